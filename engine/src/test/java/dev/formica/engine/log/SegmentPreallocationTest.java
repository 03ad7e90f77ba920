package dev.formica.engine.log;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Preallocated segments in {@code fsync} mode: frames go into files of zeros made ahead of time; every reader stops
 * at the zeros (no torn tail) and goes on into the next segment where it starts; a reopened segment is cut at its
 * last frame, so stale bytes after zeros (a power cut) are never read; a file left half zeroed by a crash is never a
 * segment and is made again.
 */
@ParameterizedClass(name = "sync on the shard's thread: {0}")
@ValueSource(booleans = {false, true})
class SegmentPreallocationTest {
    private static final long SEGMENT = 256 << 10;
    private static final int WINDOW = 2 * LogFrames.MAX_FRAME;

    @TempDir
    Path dir;

    /**
     * {@code logSync: LOOP}: the thread that appends also writes, syncs and moves into the prepared segments (with no
     * owner loop to ask, {@link LogWriter.Log#whenDurable} syncs at once on the appending thread).
     */
    @Parameter
    boolean onShard;

    private LogWriter.Log open(LogWriter writer, LogSegments segments, long position, Path window)
            throws IOException {
        LogWriter.Log log = writer.open(0, segments, position, window);
        if (onShard) {
            log.syncOnShard();
        }
        return log;
    }

    private static UnsafeBuffer payload(String text) {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(int i, int size) {
        return ("f" + i + "-").repeat(size).substring(0, size);
    }

    private LogWriter writer(Durability durability) {
        return new LogWriter(durability, LogChannel.FILES, SEGMENT, WINDOW, 0);
    }

    /** Appends frame i (payload of {@code size} bytes) and waits until it is durable. */
    private static long appendDurably(LogWriter.Log log, int i, int size) throws Exception {
        long end = log.append(1000 + i, payload(text(i, size)), 0, size);
        CompletableFuture<Boolean> durable = new CompletableFuture<>();
        log.whenDurable(end, durable::complete);
        assertTrue(durable.get(10, TimeUnit.SECONDS), "durable");
        return end;
    }

    /** Every frame's payload from 0 on; asserts the read ends with no torn frame, at {@code end}. */
    private static List<String> readAll(Path logDir, long end) throws IOException {
        List<String> out = new ArrayList<>();
        try (LogSegments.Cursor c = LogSegments.existing(logDir).cursor(0)) {
            while (c.next()) {
                byte[] b = new byte[c.payloadLength()];
                c.buffer().getBytes(c.payloadOffset(), b);
                out.add(new String(b, StandardCharsets.UTF_8));
            }
            assertEquals(-1, c.tornAt(), "the zeros of a preallocated segment are no torn frame");
            assertEquals(end, c.position(), "the log ends after its last frame");
        }
        return out;
    }

    private static List<String> expected(int from, int to, int size) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(text(i, size));
        }
        return out;
    }

    private static boolean allZero(Path file, long from) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 << 10);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long at = from;
            int n;
            while ((n = ch.read(b.clear(), at)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (b.get(i) != 0) {
                        return false;
                    }
                }
                at += n;
            }
        }
        return true;
    }

    private Path ready(Path logDir) {
        return logDir.resolve(SegmentPreparer.READY);
    }

    @Test
    void framesGoIntoPreallocatedSegmentsAndEveryReaderStopsAtTheZeros() throws Exception {
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        LogWriter writer = writer(Durability.FSYNC);
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        int size = 1000;
        long end = appendDurably(log, 0, size); // a growing first segment, which asks for its successor
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        int i = 1;
        end = appendDurably(log, i++, size);
        List<Long> starts = segments.list();
        assertEquals(2, starts.size(), "the writer moved into the preallocated segment: " + starts);
        long second = starts.get(1);
        assertEquals(LogFrames.frameLength(size), second, "the first segment holds the first frame");
        Path file = logDir.resolve(LogSegments.name(second));
        assertEquals(SEGMENT, Files.size(file), "a preallocated segment does not grow");
        assertTrue(allZero(file, end - second), "after its frames, zeros");
        assertEquals(expected(0, i, size), readAll(logDir, end));

        // fill it up to where the next group does not fit: the writer moves on, leaving zeros behind
        while (end - second + LogFrames.frameLength(size) <= SEGMENT) {
            end = appendDurably(log, i++, size);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        end = appendDurably(log, i++, size);
        starts = segments.list();
        assertEquals(3, starts.size(), "a third segment: " + starts);
        assertEquals(SEGMENT, Files.size(file), "the full segment kept its size, zeros after its frames");
        assertEquals(expected(0, i, size), readAll(logDir, end), "the reader goes on past the zeros");
        writer.close();
        assertEquals(expected(0, i, size), readAll(logDir, end), "after the writer stopped, too");
    }

    @Test
    void aPreallocatedSegmentAsksForItsSuccessorOnlyOnceHalfFull() throws Exception {
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        LogWriter writer = writer(Durability.FSYNC);
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        int size = 1000;
        long end = appendDurably(log, 0, size); // the growing first segment asks at once (prepareAfter 0)
        assertTrue(log.successorRequested(), "a growing segment asks for a preallocated successor");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        int i = 1;
        end = appendDurably(log, i++, size);
        long second = segments.list().get(1);
        assertFalse(log.successorRequested(), "moving into the preallocated segment asks for nothing yet");
        assertFalse(Files.exists(ready(logDir)), "the ready file became the segment");
        while (end - second + LogFrames.frameLength(size) < SEGMENT / 2) {
            end = appendDurably(log, i++, size);
            assertFalse(log.successorRequested(), "not before half full: " + (end - second) + " bytes");
        }
        end = appendDurably(log, i++, size);
        assertTrue(end - second >= SEGMENT / 2);
        assertTrue(log.successorRequested(), "half full: the successor is asked for");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        while (end - second + LogFrames.frameLength(size) <= SEGMENT) {
            end = appendDurably(log, i++, size);
        }
        end = appendDurably(log, i++, size);
        assertEquals(3, segments.list().size(), "the writer moved into the successor when the segment was full");
        writer.close();
        assertEquals(expected(0, i, size), readAll(logDir, end));
    }

    @Test
    void aReopenedSegmentIsCutAtItsLastFrameSoStaleBytesAfterZerosAreNeverRead() throws Exception {
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        LogWriter writer = writer(Durability.FSYNC);
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        int size = 500;
        appendDurably(log, 0, size);
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        List<Long> ends = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            ends.add(appendDurably(log, i, size));
        }
        writer.close();
        long start = segments.list().get(1);
        Path file = logDir.resolve(LogSegments.name(start));
        // a power cut: frame 3's first page never reached the disk, frame 4 did (stale, never acknowledged)
        long third = ends.get(1);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(LogFrames.HEADER), third - start);
        }
        List<String> before = readAll(logDir, third);
        assertEquals(expected(0, 3, size), before, "the log ends at the zeros, frame 4 unread");

        // the next start appends a frame of the same length where frame 3 was: frame 4 would line up after it
        LogWriter again = writer(Durability.FSYNC);
        LogWriter.Log reopened = open(again, segments, third, dir.resolve("w1"));
        assertEquals(third - start, Files.size(file), "the reopened segment is cut at its last frame");
        again.start();
        long end = reopened.append(2000, payload("x".repeat(size)), 0, size);
        CompletableFuture<Boolean> durable = new CompletableFuture<>();
        reopened.whenDurable(end, durable::complete);
        assertTrue(durable.get(10, TimeUnit.SECONDS));
        again.close();
        assertEquals(ends.get(2), end, "the new frame ends where the stale one began");
        List<String> after = readAll(logDir, end);
        List<String> want = expected(0, 3, size);
        want.add("x".repeat(size));
        assertEquals(want, after, "the stale frame 4 is gone");
    }

    @Test
    void aFileLeftHalfZeroedByACrashIsNoSegmentAndIsMadeAgain() throws Exception {
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        Files.createDirectories(logDir);
        // killed while zeroing: a partial file, with bytes that are not zeros (as a disk could hold after a cut)
        Path zeroing = logDir.resolve(SegmentPreparer.ZEROING);
        Files.write(zeroing, "not a frame, not zeros".repeat(100).getBytes(StandardCharsets.UTF_8));
        assertTrue(segments.list().isEmpty(), "a file being zeroed is no segment");
        LogWriter writer = writer(Durability.FSYNC);
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        int size = 300;
        long end = appendDurably(log, 0, size);
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        assertFalse(Files.exists(zeroing), "the half file was replaced");
        assertEquals(SEGMENT, Files.size(ready(logDir)));
        assertTrue(allZero(ready(logDir), 0), "the file made again holds zeros only");
        end = appendDurably(log, 1, size);
        writer.close();
        assertEquals(expected(0, 2, size), readAll(logDir, end));
    }

    @Test
    void aReadyFileLeftByThePreviousProcessIsUsedAtOnce() throws Exception {
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        LogWriter writer = writer(Durability.FSYNC);
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        long end = appendDurably(log, 0, 100);
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        end = appendDurably(log, 1, 100); // into the preallocated segment
        long second = segments.list().get(1);
        int i = 2;
        while (end - second < SEGMENT / 2) {
            end = appendDurably(log, i++, 100); // its successor is asked for once it is half full
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(ready(logDir)));
        writer.close();
        assertTrue(Files.exists(ready(logDir)), "a clean stop keeps a ready file for the next process");

        LogWriter again = writer(Durability.FSYNC);
        LogWriter.Log reopened = open(again, segments, end, dir.resolve("w1"));
        again.start();
        long next = appendDurably(reopened, i, 100);
        again.close();
        List<Long> starts = segments.list();
        assertEquals(end, starts.get(starts.size() - 1), "the first group after the start went into the ready file");
        assertEquals(SEGMENT, Files.size(logDir.resolve(LogSegments.name(end))));
        assertEquals(expected(0, i + 1, 100), readAll(logDir, next));
    }

    @Test
    void processModeNeverPreallocates() throws Exception {
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        LogWriter writer = writer(Durability.PROCESS);
        assertFalse(writer.preallocates());
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        long end = 0;
        for (int i = 0; i < 600; i++) {
            end = log.append(1000 + i, payload(text(i, 1000)), 0, 1000);
        }
        writer.close();
        assertFalse(Files.exists(ready(logDir)));
        long sum = 0;
        for (long s : segments.list()) {
            sum += Files.size(logDir.resolve(LogSegments.name(s)));
        }
        assertEquals(end, sum, "every segment holds its frames only");
        assertEquals(expected(0, 600, 1000), readAll(logDir, end));
    }

    /**
     * A power cut at a random sync while frames go into preallocated segments (unsynced bytes turn back into
     * zeros, or only their first header does, or a torn write is left): every position released as durable is
     * read back, the read ends with at most a torn tail in the last segment, and a writer reopened after cutting
     * that tail appends frames that are read back after the released ones, with nothing stale between.
     */
    @RepeatedTest(5)
    void everyReleasedFrameSurvivesAPowerCutInPreallocatedSegments(org.junit.jupiter.api.RepetitionInfo rep)
            throws Exception {
        SplittableRandom random = new SplittableRandom(7 + rep.getCurrentRepetition());
        Path logDir = dir.resolve("log");
        LogSegments segments = LogSegments.open(logDir);
        PowerCutChannels disk = new PowerCutChannels(40 + random.nextInt(150));
        LogWriter writer = new LogWriter(Durability.FSYNC, disk, 64 << 10, WINDOW, 0);
        LogWriter.Log log = open(writer, segments, 0, dir.resolve("w0"));
        writer.start();
        long released = 0;
        int i = 0;
        while (!disk.cut() && i < 100_000) {
            int size = 100 + random.nextInt(1500);
            long end;
            try {
                end = log.append(1000 + i, payload(text(i, size)), 0, size);
            } catch (IllegalStateException logFailed) {
                break; // the cut came between the check and the append
            }
            i++;
            CompletableFuture<Boolean> durable = new CompletableFuture<>();
            log.whenDurable(end, durable::complete);
            if (durable.get(10, TimeUnit.SECONDS)) {
                released = end;
            }
            if (i % 50 == 0 && log.successorRequested() && !Files.exists(ready(logDir))) {
                // now and then wait for a preallocated file, so that most frames go into one
                await().atMost(Duration.ofSeconds(20)).until(() -> disk.cut() || Files.exists(ready(logDir)));
            }
        }
        assertTrue(disk.cut(), "the power failed");
        writer.close();
        disk.applyCut(random);

        long end;
        try (LogSegments.Cursor c = segments.cursor(0)) {
            while (c.next()) {
                // to the end
            }
            end = c.position();
            if (c.tornAt() >= 0) {
                assertTrue(c.tornInLastSegment(), "damage only where the cut was");
                segments.truncateTo(c.tornAt());
            }
        }
        assertTrue(end >= released, "every released frame is read back: end " + end + ", released " + released);

        LogWriter again = new LogWriter(Durability.FSYNC, LogChannel.FILES, 64 << 10, WINDOW, 0);
        LogWriter.Log reopened = open(again, segments, end, dir.resolve("w1"));
        again.start();
        long last = end;
        for (int k = 0; k < 40; k++) {
            last = appendDurably(reopened, 1_000_000 + k, 100 + random.nextInt(1500));
        }
        again.close();
        int afterCut = 0;
        try (LogSegments.Cursor c = segments.cursor(0)) {
            while (c.next()) {
                if (c.framePosition() >= end) {
                    afterCut++;
                    assertTrue(c.frameTime() >= 1_001_000, "only the new frames after the cut's end");
                }
            }
            assertEquals(-1, c.tornAt());
            assertEquals(last, c.position());
        }
        assertEquals(40, afterCut);
    }
}
