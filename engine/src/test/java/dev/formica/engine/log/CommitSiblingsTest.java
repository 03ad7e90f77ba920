package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fsync} mode with {@code groupCommitSiblings} ({@link CommitDelay}) on a real writer thread, its clock
 * injected: a lone frame is never held, however long the bound; with company a round waits for more batches and
 * releases none of them before the one sync that covers them all, woken by the batch that reaches the target or by
 * the bound; after an idle spell a lone frame waits for nobody again.
 */
class CommitSiblingsTest {
    private static final long SEGMENT = 1 << 20;
    private static final int WINDOW = 4 * LogFrames.MAX_FRAME;
    private static final long MS = 1_000_000;

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong();
    private final RecordingLogChannels channels = new RecordingLogChannels();

    /** One frame appended and its release asked for, as a shard's batch of one command. */
    private CompletableFuture<Long> ask(LogWriter.Log log, int i) {
        UnsafeBuffer payload = new UnsafeBuffer(("frame-" + i).getBytes(StandardCharsets.UTF_8));
        long end = log.append(i, payload, 0, payload.capacity());
        CompletableFuture<Long> released = new CompletableFuture<>();
        log.whenDurable(end, ok -> {
            // what the channel had synced when the answer was released: at least the frame's end, or it was early
            released.complete(ok ? channels.synced.get() - end : -1);
        });
        return released;
    }

    private static void assertReleasedAfterItsSync(CompletableFuture<Long> answer, String what) throws Exception {
        long syncedPastEnd = answer.get(30, TimeUnit.SECONDS);
        assertTrue(syncedPastEnd >= 0, what + ": released only once its frame was synced (" + syncedPastEnd + ")");
    }

    @Test
    void shouldNeverHoldALoneFrameHoweverLongTheBound() throws Exception {
        // a minute's bound: any wait would outlast the test's timeout
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1,
                TimeUnit.SECONDS.toNanos(60), 4, System::nanoTime);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        writer.start();
        try {
            for (int i = 0; i < 20; i++) {
                assertReleasedAfterItsSync(ask(log, i), "frame " + i);
            }
            assertEquals(20, channels.syncStarts.size(), "one sync per lone frame");
        } finally {
            writer.close();
        }
    }

    @Test
    void shouldWaitForCompanyAndReleaseNothingBeforeTheSyncThatCoversItAll() throws Exception {
        // bound 1 ms, one sibling a millisecond is company (a window of 8 ms), the wait ends at 4 batches
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1, MS, 1, clock::get);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        writer.start();
        try {
            int i = 0;
            // 7 ms at 2 batches a millisecond; each round is at least the bound after the one before, so none waits
            for (int t = 1; t <= 7; t++) {
                clock.set(t * MS);
                CompletableFuture<Long> a = ask(log, i++);
                CompletableFuture<Long> b = ask(log, i++);
                assertReleasedAfterItsSync(a, "warm-up " + t);
                assertReleasedAfterItsSync(b, "warm-up " + t);
            }
            // the window of 8 ms ends: 14 batches, company; this round is due (a millisecond after the last)
            clock.set(8 * MS);
            assertReleasedAfterItsSync(ask(log, i++), "the round that ends the window");

            // company, and the previous round a moment ago: a lone batch waits
            int syncs = channels.syncStarts.size();
            CompletableFuture<Long> first = ask(log, i++);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(writer.parking()::holding);
            assertFalse(first.isDone(), "held for company");
            List<CompletableFuture<Long>> company = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                company.add(ask(log, i++));
            }
            // the fourth batch reaches the target and wakes the writer; the clock has not moved: not the bound
            assertReleasedAfterItsSync(first, "the first of the round");
            for (CompletableFuture<Long> c : company) {
                assertReleasedAfterItsSync(c, "a sibling");
            }
            assertEquals(syncs + 1, channels.syncStarts.size(), "one sync for the four batches");
            assertEquals(8 * MS, clock.get());

            // the bound: a lone batch held for company is synced once the interval since the last round passed
            CompletableFuture<Long> lone = ask(log, i++);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(writer.parking()::holding);
            assertFalse(lone.isDone(), "held for company");
            clock.set(9 * MS);
            assertReleasedAfterItsSync(lone, "held no longer than the bound");

            // an idle spell: the next window has no company, so a lone batch waits for nobody
            clock.set(200 * MS);
            assertReleasedAfterItsSync(ask(log, i++), "after the idle spell");
            assertReleasedAfterItsSync(ask(log, i++), "inside the interval, without company");
        } finally {
            writer.close();
        }
    }
}
