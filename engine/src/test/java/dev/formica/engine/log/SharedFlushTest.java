package dev.formica.engine.log;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The round of syncs with a shared cache flush ({@link SyncRound}): two logs on one device, both in preallocated
 * segments, are made durable by writing the first out and {@code fdatasync}ing the last, and nothing of either is
 * released before that sync has returned; a log whose segment still grows, or whose device's sync failed, gets its
 * own {@code fdatasync}; after a power cut every released frame of either log is there.
 */
class SharedFlushTest {
    private static final long SEGMENT = 256 << 10;
    private static final int WINDOW = 2 * LogFrames.MAX_FRAME;
    private static final long WAIT_S = 10;

    @TempDir
    Path dir;

    /**
     * Real segment files whose syncs and write-outs are recorded in order and whose syncs can be held or failed by
     * the test. {@code real}: write-out and the device are the real ones ({@link LogChannel#FILES}); else a pretend
     * device whose write-out does nothing (the bytes are in the page cache, which is all a test can see).
     */
    private static final class Device implements LogChannel.Factory {
        final boolean real;
        final List<String> calls = new CopyOnWriteArrayList<>();
        /** Before each sync: the log's name is put here, then a permit taken (unlimited until {@link #hold}). */
        final BlockingQueue<String> entered = new LinkedBlockingQueue<>();
        final Semaphore permits = new Semaphore(Integer.MAX_VALUE);
        /** A log whose next sync fails (once), or null. */
        volatile String failNext;

        Device(boolean real) {
            this.real = real;
        }

        void hold() {
            permits.drainPermits();
            entered.clear();
            calls.clear();
        }

        @Override
        public LogChannel open(Path file, long size) throws IOException {
            LogChannel channel = LogChannel.FILES.open(file, size);
            String log = file.getParent().getFileName().toString();
            return new LogChannel() {
                @Override
                public void append(ByteBuffer src) throws IOException {
                    channel.append(src);
                }

                @Override
                public void sync() throws IOException {
                    entered.add(log);
                    permits.acquireUninterruptibly();
                    if (log.equals(failNext)) {
                        failNext = null;
                        calls.add("failed sync " + log);
                        throw new IOException("the device refused the flush");
                    }
                    channel.sync();
                    calls.add("sync " + log);
                }

                @Override
                public void startWrite() throws IOException {
                    channel.startWrite();
                }

                @Override
                public boolean writeOut() throws IOException {
                    boolean out = real ? channel.writeOut() : true;
                    calls.add("writeOut " + log + (out ? "" : " refused"));
                    return out;
                }

                @Override
                public Object device() {
                    return real ? channel.device() : Device.this;
                }

                @Override
                public void close() throws IOException {
                    channel.close();
                }
            };
        }
    }

    private static UnsafeBuffer payload(int i, int size) {
        return new UnsafeBuffer(("f" + i + "-").repeat(size).substring(0, size).getBytes(StandardCharsets.UTF_8));
    }

    private static CompletableFuture<Boolean> append(LogWriter.Log log, int i, int size) {
        long end = log.append(1000 + i, payload(i, size), 0, size);
        CompletableFuture<Boolean> durable = new CompletableFuture<>();
        log.whenDurable(end, durable::complete);
        return durable;
    }

    /** Appends to both logs until each writes into a preallocated segment (its second). */
    private static void intoPreallocatedSegments(LogWriter.Log... logs) {
        int[] i = {0};
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            boolean all = true;
            for (LogWriter.Log log : logs) {
                assertTrue(append(log, i[0]++, 200).get(WAIT_S, TimeUnit.SECONDS));
                all &= log.segments().list().size() >= 2;
            }
            return all;
        });
    }

    private LogWriter.Log open(LogWriter writer, int shard) throws IOException {
        return writer.open(shard, LogSegments.open(dir.resolve("log" + shard)), 0, dir.resolve("w" + shard));
    }

    private boolean onExt4() throws IOException {
        return "ext4".equals(Files.getFileStore(dir).type());
    }

    /**
     * Holds the writer in a sync of log1 alone, appends one frame to each log meanwhile, and lets the held sync
     * finish: the next round has both logs. Returns their answers.
     */
    private static List<CompletableFuture<Boolean>> roundOfBoth(Device device, LogWriter.Log log0,
            LogWriter.Log log1) throws Exception {
        device.hold();
        CompletableFuture<Boolean> gate = append(log1, 100, 300);
        assertEquals("log1", device.entered.poll(WAIT_S, TimeUnit.SECONDS), "the writer syncs log1 alone");
        List<CompletableFuture<Boolean>> both = List.of(append(log0, 101, 300), append(log1, 102, 300));
        device.permits.release();
        assertTrue(gate.get(WAIT_S, TimeUnit.SECONDS));
        return both;
    }

    @ParameterizedTest(name = "real device: {0}")
    @ValueSource(booleans = {false, true})
    void nothingOfEitherLogIsReleasedUntilTheOneSyncCoveringBothHasReturned(boolean real) throws Exception {
        assumeTrue(!real || onExt4() && RangeSync.available(), "the real write-out needs Linux and ext4");
        Device device = new Device(real);
        LogWriter writer = new LogWriter(Durability.FSYNC, device, SEGMENT, WINDOW, 0);
        LogWriter.Log log0 = open(writer, 0);
        LogWriter.Log log1 = open(writer, 1);
        writer.start();
        try {
            intoPreallocatedSegments(log0, log1);
            long syncs = writer.syncs();
            List<CompletableFuture<Boolean>> both = roundOfBoth(device, log0, log1);

            assertEquals("log1", device.entered.poll(WAIT_S, TimeUnit.SECONDS), "the round's one fdatasync: log1's");
            assertEquals(List.of("sync log1", "writeOut log0"), device.calls, "log0 written out before it");
            assertTrue(both.stream().noneMatch(CompletableFuture::isDone), "nothing released during the sync");
            assertTrue(log0.durablePosition() < log0.appendedPosition(), "log0 not durable yet");
            assertTrue(log1.durablePosition() < log1.appendedPosition(), "log1 not durable yet");

            device.permits.release();
            for (CompletableFuture<Boolean> answer : both) {
                assertTrue(answer.get(WAIT_S, TimeUnit.SECONDS));
            }
            assertEquals(List.of("sync log1", "writeOut log0", "sync log1"), device.calls, "no fdatasync of log0");
            assertEquals(log0.appendedPosition(), log0.durablePosition());
            assertEquals(log1.appendedPosition(), log1.durablePosition());
            assertEquals(syncs + 2, writer.syncs(), "the gate's sync and the round's one");
        } finally {
            device.permits.release(Integer.MAX_VALUE / 2);
            writer.close();
        }
    }

    @Test
    void growingSegmentsKeepAnFdatasyncEach() throws Exception {
        Device device = new Device(false);
        LogWriter writer = new LogWriter(Durability.FSYNC, device, SEGMENT, WINDOW, -1); // no preallocation
        LogWriter.Log log0 = open(writer, 0);
        LogWriter.Log log1 = open(writer, 1);
        writer.start();
        try {
            List<CompletableFuture<Boolean>> both = roundOfBoth(device, log0, log1);
            device.permits.release(Integer.MAX_VALUE / 2);
            for (CompletableFuture<Boolean> answer : both) {
                assertTrue(answer.get(WAIT_S, TimeUnit.SECONDS));
            }
            assertEquals(List.of("sync log1", "sync log0", "sync log1"), device.calls,
                    "a growing segment's size changes: each log its own fdatasync, nothing written out");
        } finally {
            device.permits.release(Integer.MAX_VALUE / 2);
            writer.close();
        }
    }

    @Test
    void aWrittenOutLogWhoseDevicesSyncFailedSyncsItselfBeforeItsRelease() throws Exception {
        Device device = new Device(false);
        LogWriter writer = new LogWriter(Durability.FSYNC, device, SEGMENT, WINDOW, 0);
        LogWriter.Log log0 = open(writer, 0);
        LogWriter.Log log1 = open(writer, 1);
        writer.start();
        try {
            intoPreallocatedSegments(log0, log1);
            List<CompletableFuture<Boolean>> both = roundOfBoth(device, log0, log1);
            device.failNext = "log1";
            device.permits.release(Integer.MAX_VALUE / 2);
            assertTrue(both.get(0).get(WAIT_S, TimeUnit.SECONDS), "log0 released, durable by its own sync");
            assertEquals(false, both.get(1).get(WAIT_S, TimeUnit.SECONDS), "log1 failed");
            assertEquals(List.of("sync log1", "writeOut log0", "failed sync log1", "sync log0"), device.calls);
            assertTrue(log1.failed());
        } finally {
            device.permits.release(Integer.MAX_VALUE / 2);
            writer.close();
        }
    }

    @Test
    void theRealChannelWritesOutOnExt4() throws Exception {
        assumeTrue(onExt4() && RangeSync.available(), "needs Linux and ext4");
        Path file = dir.resolve("segment");
        Files.write(file, new byte[8192]);
        try (LogChannel channel = LogChannel.FILES.open(file, 0)) {
            assertNotNull(channel.device(), "ext4 flushes the device's cache on every fdatasync");
            assertEquals(Files.getAttribute(file, "unix:dev"), channel.device());
            channel.append(ByteBuffer.wrap("written out".getBytes(StandardCharsets.UTF_8)));
            channel.startWrite();
            assertTrue(channel.writeOut());
            channel.sync();
        }
        assertEquals("written out", new String(Files.readAllBytes(file), 0, 11, StandardCharsets.UTF_8));
    }

    @Test
    void tmpfsIsNotKnownToFlushSoItsSegmentsSyncThemselves() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && "tmpfs".equals(Files.getFileStore(shm).type()), "needs tmpfs");
        Path file = Files.createTempFile(shm, "formica-shared-flush", ".seg");
        try (LogChannel channel = LogChannel.FILES.open(file, 0)) {
            assertEquals(null, channel.device());
            assertEquals(false, channel.writeOut());
        } finally {
            Files.delete(file);
        }
    }

    /**
     * A power cut at a random sync while both logs write into preallocated segments on one disk with a volatile
     * cache: bytes written out but not yet covered by a completed sync are lost, and every frame released of either
     * log is read back.
     */
    @RepeatedTest(5)
    void everyReleasedFrameOfEitherLogSurvivesAPowerCut(RepetitionInfo rep) throws Exception {
        SplittableRandom random = new SplittableRandom(11 + rep.getCurrentRepetition());
        PowerCutChannels disk = new PowerCutChannels(60 + random.nextInt(150), true);
        LogWriter writer = new LogWriter(Durability.FSYNC, disk, 64 << 10, WINDOW, 0);
        LogWriter.Log[] logs = {open(writer, 0), open(writer, 1)};
        writer.start();
        intoPreallocatedSegments(logs); // a few syncs, before the cut
        Map<Integer, Long> released = new ConcurrentHashMap<>(Map.of(0, 0L, 1, 0L));
        int i = 0;
        while (!disk.cut() && i < 100_000) {
            long[] ends = new long[2];
            CompletableFuture<?>[] answers = new CompletableFuture<?>[2];
            try {
                for (int k = 0; k < 2; k++) { // both frames before either wakes the writer: mostly one round
                    int size = 100 + random.nextInt(1500);
                    ends[k] = logs[k].append(1000 + i, payload(i, size), 0, size);
                    i++;
                }
            } catch (IllegalStateException logFailed) {
                break; // the cut came between the check and the append
            }
            for (int k = 0; k < 2; k++) {
                int shard = k;
                long end = ends[k];
                CompletableFuture<Boolean> durable = new CompletableFuture<>();
                logs[k].whenDurable(end, durable::complete);
                answers[k] = durable.thenAccept(ok -> {
                    if (ok) {
                        released.merge(shard, end, Math::max);
                    }
                });
            }
            CompletableFuture.allOf(answers).get(WAIT_S, TimeUnit.SECONDS);
        }
        assertTrue(disk.cut(), "the power failed");
        assertTrue(disk.writeOuts() > 0, "logs were written out rather than synced");
        writer.close();
        disk.applyCut(random);
        for (int k = 0; k < 2; k++) {
            try (LogSegments.Cursor c = LogSegments.existing(dir.resolve("log" + k)).cursor(0)) {
                while (c.next()) {
                    // to the end
                }
                assertTrue(c.tornAt() < 0 || c.tornInLastSegment(), "damage only where the cut was");
                long end = c.tornAt() >= 0 ? c.tornAt() : c.position();
                assertTrue(end >= released.get(k), "log" + k + ": every released frame is read back: end " + end
                        + ", released " + released.get(k));
            }
        }
    }
}
