package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LogTimes} splits an answer's wait for durability as it happened: with the writer held inside its sync, the
 * held time is in the answer's wait and in the writer's round, and not in the wait for the round to start; an answer
 * whose frame is durable already waits for nothing and is not recorded.
 */
class LogTimesTest {
    private static final long SEGMENT = 1 << 20;
    private static final int WINDOW = 4 * LogFrames.MAX_FRAME;

    @TempDir
    Path dir;

    @Test
    void aHeldSyncIsInTheWaitAndTheRoundAndNotInTheWaitForTheRound() throws Exception {
        CountDownLatch syncing = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        AtomicLong syncStart = new AtomicLong();
        AtomicLong syncEnd = new AtomicLong();
        LogChannel.Factory channels = SyncHookChannels.around(file -> {
            if (first.getAndSet(false)) {
                syncStart.set(System.nanoTime());
                syncing.countDown();
                try {
                    go.await(30, TimeUnit.SECONDS); // held here until the test has seen the writer in its sync
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                syncEnd.set(System.nanoTime());
            }
        }, SyncHookChannels.Hook.NONE);
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        LogTimes times = writer.times();
        writer.start();
        try {
            UnsafeBuffer payload = new UnsafeBuffer("frame".getBytes(StandardCharsets.UTF_8));
            long end = log.append(1, payload, 0, payload.capacity());
            CompletableFuture<Long> releasedAt = new CompletableFuture<>();
            long beforeAsk = System.nanoTime();
            log.whenDurable(end, ok -> releasedAt.complete(System.nanoTime()));
            long afterAsk = System.nanoTime();
            assertTrue(syncing.await(30, TimeUnit.SECONDS), "the writer syncs the frame");
            assertTrue(!releasedAt.isDone(), "not released while its sync is held");
            go.countDown();
            long released = releasedAt.get(30, TimeUnit.SECONDS);

            Histogram wait = times.waitNanos().getIntervalHistogram();
            Histogram roundWait = times.roundWaitNanos().getIntervalHistogram();
            Histogram round = times.roundNanos().getIntervalHistogram();
            assertEquals(1, wait.getTotalCount(), "one batch asked for and released");
            assertEquals(1, roundWait.getTotalCount());
            assertEquals(1, round.getTotalCount(), "one round synced");
            long held = syncEnd.get() - syncStart.get();
            assertTrue(wait.getMaxValue() >= syncEnd.get() - afterAsk, "the wait holds the sync");
            assertTrue(wait.getMinValue() <= released - beforeAsk, "the wait ends before the release ran");
            assertTrue(round.getMaxValue() >= held, "the round holds the sync");
            // the pass that released it started before its sync did (0 when it started before the ask)
            assertTrue(roundWait.getMinValue() <= Math.max(0, syncStart.get() - beforeAsk),
                    "the wait for the round ends when the round starts, before the sync");
            assertTrue(roundWait.getMinValue() <= wait.getMaxValue());

            // a release asked for once the frame is durable runs at once and waits for nothing: not recorded
            CompletableFuture<Boolean> again = new CompletableFuture<>();
            log.whenDurable(end, again::complete);
            assertTrue(again.getNow(false), "released at once");
            assertEquals(0, times.waitNanos().getIntervalHistogram().getTotalCount());
        } finally {
            go.countDown();
            writer.close();
        }
    }

    @Test
    void aShardWakingTheIdleWriterRecordsHowLongTheWriterTookToRun() throws Exception {
        LogWriter writer = new LogWriter(Durability.FSYNC, SyncHookChannels.around(SyncHookChannels.Hook.NONE,
                SyncHookChannels.Hook.NONE), SEGMENT, WINDOW);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        LogTimes times = writer.times();
        writer.start();
        try {
            long woken = 0;
            // the idle park ends by itself every 50 ms: a frame asked for just then finds the writer awake (no
            // unpark, nothing recorded), so a few frames, each asked for once the writer is seen idle
            for (int i = 0; i < 20 && woken == 0; i++) {
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(writer.parking()::idle);
                UnsafeBuffer payload = new UnsafeBuffer(("frame-" + i).getBytes(StandardCharsets.UTF_8));
                long end = log.append(i, payload, 0, payload.capacity());
                CompletableFuture<Long> releasedAt = new CompletableFuture<>();
                long beforeAsk = System.nanoTime();
                log.whenDurable(end, ok -> releasedAt.complete(System.nanoTime()));
                long released = releasedAt.get(30, TimeUnit.SECONDS);
                Histogram h = times.wakeUpNanos().getIntervalHistogram();
                woken += h.getTotalCount();
                assertTrue(h.getTotalCount() == 0 || h.getMinValue() <= released - beforeAsk,
                        "the writer ran before it released the frame");
            }
            assertTrue(woken >= 1, "an unpark of the idle writer is recorded");
        } finally {
            writer.close();
        }
    }
}
