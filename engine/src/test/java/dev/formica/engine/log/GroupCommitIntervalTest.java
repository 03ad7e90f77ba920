package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fsync} mode with a group commit interval: a round of syncs never starts sooner than the interval after the
 * previous one, every answer is still released only once its frame is synced, and a writer that holds its frames
 * for the next round comes back by itself (a release asked for while it holds does not wake it, and is not lost).
 */
class GroupCommitIntervalTest {
    private static final long SEGMENT = 1 << 20;
    private static final int WINDOW = 4 * LogFrames.MAX_FRAME;

    @TempDir
    Path dir;

    private static UnsafeBuffer payload(int i) {
        return new UnsafeBuffer(("frame-" + i).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRoundOfSyncsNeverStartsSoonerThanTheIntervalAndEveryAnswerWaitsForItsSync() throws Exception {
        long interval = TimeUnit.MILLISECONDS.toNanos(20);
        RecordingLogChannels channels = new RecordingLogChannels();
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1, interval);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        writer.start();
        int frames = 2_000;
        CountDownLatch released = new CountDownLatch(frames);
        AtomicLong early = new AtomicLong();
        long start = System.nanoTime();
        long headerBytes = 0;
        for (int i = 0; i < frames; i++) {
            long end = log.append(i, payload(i), 0, payload(i).capacity());
            headerBytes = end;
            log.whenDurable(end, ok -> {
                // released only once the channel synced every byte of this frame
                if (!ok || channels.synced.get() < end) {
                    early.incrementAndGet();
                }
                released.countDown();
            });
        }
        assertTrue(released.await(30, TimeUnit.SECONDS), "every answer released");
        long elapsed = System.nanoTime() - start;
        writer.close();
        assertEquals(0, early.get(), "answers released before their frame was synced");
        assertEquals(headerBytes, log.durablePosition(), "everything appended is durable");
        // every round starts inside [start, start + elapsed] (after the first append, before the last release)
        // and at least an interval after the one before it
        int syncs = channels.syncStarts.size();
        assertTrue(syncs <= elapsed / interval + 1, syncs + " syncs in " + elapsed + " ns");
    }

    @Test
    void aWriterHoldingItsFramesComesBackByItselfForEachRelease() throws Exception {
        RecordingLogChannels channels = new RecordingLogChannels();
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1,
                TimeUnit.MILLISECONDS.toNanos(10));
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        writer.start();
        try {
            // one frame at a time, each appended right after the previous one's sync: the writer holds each one for
            // the rest of its interval, and a release asked for then does not unpark it
            for (int i = 0; i < 30; i++) {
                long end = log.append(i, payload(i), 0, payload(i).capacity());
                CompletableFuture<Boolean> durable = new CompletableFuture<>();
                log.whenDurable(end, durable::complete);
                assertTrue(durable.get(10, TimeUnit.SECONDS), "frame " + i + " released");
                assertTrue(channels.synced.get() >= end, "frame " + i + " synced before its release");
            }
            assertEquals(30, channels.syncStarts.size(), "one sync per frame appended one at a time");
        } finally {
            writer.close();
        }
    }

    @Test
    void processModeIgnoresTheInterval() {
        LogWriter writer = new LogWriter(Durability.PROCESS, LogChannel.FILES, SEGMENT, WINDOW, -1,
                TimeUnit.MILLISECONDS.toNanos(50));
        assertEquals(Durability.PROCESS, writer.durability());
        writer.close();
    }
}
