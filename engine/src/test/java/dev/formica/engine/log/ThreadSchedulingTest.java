package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduling the log writer gives itself, read back on the writer thread (in the release callback it runs) with
 * {@code sched_getattr}: a short slice at nice 0, which needs no privilege. A thread's settings are its own: the one
 * that set them changes, its caller does not. Linux 6.12 or later (the slice of a {@code SCHED_OTHER} thread);
 * elsewhere the tests are skipped.
 */
class ThreadSchedulingTest {
    @TempDir
    Path dir;

    /** The kernel reports the slice it was given (6.12+: before, it reports 0 and ignores it). */
    private static boolean slicesSupported() throws Exception {
        CompletableFuture<long[]> read = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            ThreadScheduling.set(0, 2 * ThreadScheduling.SHORT_SLICE_NANOS, "a test thread");
            read.complete(ThreadScheduling.get());
        });
        t.start();
        t.join();
        long[] got = read.get();
        return got != null && got[1] == 2 * ThreadScheduling.SHORT_SLICE_NANOS;
    }

    @Test
    void aThreadSetsItsOwnNiceValueAndSliceAndNoOtherThreads() throws Exception {
        assumeTrue(slicesSupported());
        long[] before = ThreadScheduling.get();
        CompletableFuture<long[]> after = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            assertTrue(ThreadScheduling.set(3, 400_000, "a test thread")); // later and shorter: no privilege needed
            after.complete(ThreadScheduling.get());
        });
        t.start();
        t.join();
        assertArrayEquals(new long[] {3, 400_000}, after.get());
        assertArrayEquals(before, ThreadScheduling.get());
    }

    @Test
    void theLogWriterRunsWithTheShortSliceAtTheDefaultNiceValue() throws Exception {
        assumeTrue(slicesSupported());
        LogWriter writer = new LogWriter(Durability.FSYNC, LogChannel.FILES, 1 << 20, 4 * LogFrames.MAX_FRAME);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        writer.start();
        try {
            UnsafeBuffer payload = new UnsafeBuffer("frame".getBytes(StandardCharsets.UTF_8));
            long end = log.append(1, payload, 0, payload.capacity());
            CompletableFuture<long[]> scheduling = new CompletableFuture<>();
            log.whenDurable(end, durable -> scheduling.complete(ThreadScheduling.get())); // on the writer thread
            long[] got = scheduling.get(10, TimeUnit.SECONDS);
            assertEquals(0, got[0]);
            assertEquals(ThreadScheduling.SHORT_SLICE_NANOS, got[1]);
        } finally {
            writer.close();
        }
    }
}
