package dev.formica.engine.log;

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
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log window: frames a process put there and never wrote to its segment are brought back at the next start,
 * each exactly where its position says; torn segment tails are cut and refilled from the window; stale bytes are
 * never taken.
 */
class LogBufferTest {
    private static final int CAPACITY = 2 * LogFrames.MAX_FRAME;

    @TempDir
    Path dir;

    private final CRC32C crc = new CRC32C();
    private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(LogFrames.MAX_FRAME));

    private static UnsafeBuffer payload(String text) {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Every frame's payload from {@code from} on, as text. */
    private static List<String> read(LogSegments segments, long from) throws IOException {
        List<String> out = new ArrayList<>();
        try (LogSegments.Cursor c = segments.cursor(from)) {
            while (c.next()) {
                byte[] b = new byte[c.payloadLength()];
                c.buffer().getBytes(c.payloadOffset(), b);
                out.add(new String(b, StandardCharsets.UTF_8));
            }
            assertEquals(-1, c.tornAt(), "no torn frame left in the log");
        }
        return out;
    }

    /** Puts frames "f0".."f{n-1}" (each {@code size} bytes of payload) from {@code position}; returns the end. */
    private long put(LogBuffer window, long position, int n, int size) {
        long p = position;
        for (int i = 0; i < n; i++) {
            String text = ("f" + i + "-").repeat(size).substring(0, size);
            window.put(p, 1000 + i, payload(text), 0, size, crc, scratch);
            p += LogFrames.frameLength(size);
        }
        return p;
    }

    @Test
    void shouldAppendTheFramesAKilledProcessLeftInItsWindow() throws IOException {
        LogSegments segments = LogSegments.open(dir.resolve("log"));
        Path file = LogBuffer.file(dir.resolve("windows"), 0);
        LogWriter writer = new LogWriter(Durability.PROCESS, LogChannel.FILES, 1 << 20, CAPACITY);
        LogWriter.Log log = writer.open(0, segments, 0, file);
        for (int i = 0; i < 10; i++) {
            log.append(2000 + i, payload("decision " + i), 0, ("decision " + i).length());
        }
        // the writer never ran: the frames are only in the window (a kill -9 now keeps the file)
        assertEquals(0, segments.end());

        assertEquals(10, LogBuffer.recover(file, segments));
        List<String> frames = read(segments, 0);
        assertEquals(10, frames.size());
        assertEquals("decision 0", frames.get(0));
        assertEquals("decision 9", frames.get(9));
        assertEquals(log.appendedPosition(), segments.end(), "the segment ends where the appends ended");
        // a second recovery finds nothing new: every frame in the window is in the segment now
        assertEquals(0, LogBuffer.recover(file, segments));
        assertEquals(10, read(segments, 0).size());
    }

    @Test
    void shouldCutATornSegmentTailAndRefillItFromTheWindow() throws IOException {
        LogSegments segments = LogSegments.open(dir.resolve("log"));
        Path file = LogBuffer.file(dir.resolve("windows"), 0);
        LogBuffer window = LogBuffer.create(file, CAPACITY);
        long end = put(window, 0, 6, 300);
        // the writer had written three whole frames and a part of the fourth when the process died
        long three = 3L * LogFrames.frameLength(300);
        Path segment = segments.file(0);
        Files.createFile(segment);
        ByteBuffer[] slices = new ByteBuffer[2];
        int n = window.slices(0, three + 100, slices);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            for (int i = 0; i < n; i++) {
                ch.write(slices[i]);
            }
        }
        window.close();

        assertEquals(3, LogBuffer.recover(file, segments), "the torn fourth frame and the two after it");
        List<String> frames = read(segments, 0);
        assertEquals(6, frames.size());
        assertTrue(frames.get(3).startsWith("f3-"));
        assertEquals(end, segments.end());
    }

    @Test
    void shouldRecoverFramesThatWrapAroundTheWindowsEnd() throws IOException {
        LogSegments segments = LogSegments.open(dir.resolve("log"));
        Path file = LogBuffer.file(dir.resolve("windows"), 0);
        LogBuffer window = LogBuffer.create(file, CAPACITY);
        // the log had reached just short of the window's end: the first frame wraps
        long start = CAPACITY - 100;
        Files.createFile(segments.file(start));
        long end = put(window, start, 5, 1000);
        window.close();

        assertEquals(5, LogBuffer.recover(file, segments));
        List<String> frames = read(segments, start);
        assertEquals(5, frames.size());
        assertEquals(("f0-").repeat(1000).substring(0, 1000), frames.get(0), "the wrapped frame is whole");
        assertEquals(end, segments.end());
    }

    @Test
    void shouldTakeNothingWhoseFramesBelongElsewhereInTheLog() throws IOException {
        LogSegments segments = LogSegments.open(dir.resolve("log"));
        Path file = LogBuffer.file(dir.resolve("windows"), 0);
        LogBuffer window = LogBuffer.create(file, CAPACITY);
        // frames from position 0 of a log that has since moved on by a whole window: stale, never appended
        put(window, 0, 4, 200);
        window.close();
        Files.createFile(segments.file(CAPACITY));

        assertEquals(0, LogBuffer.recover(file, segments));
        assertTrue(read(segments, CAPACITY).isEmpty());
    }

    @Test
    void shouldDeleteTheWindowOnACleanStop() throws IOException {
        LogSegments segments = LogSegments.open(dir.resolve("log"));
        Path file = LogBuffer.file(dir.resolve("windows"), 0);
        LogWriter writer = new LogWriter(Durability.FSYNC, LogChannel.FILES, 1 << 20, CAPACITY);
        LogWriter.Log log = writer.open(0, segments, 0, file);
        writer.start();
        log.append(1, payload("one"), 0, 3);
        writer.close();

        assertFalse(Files.exists(file), "a clean stop leaves no window behind");
        assertEquals(List.of("one"), read(segments, 0));
    }

    @Test
    void shouldDeleteTheWindowsOfDataDirectoriesThatAreGoneAndKeepTheOthers() throws IOException {
        Path shm = Files.createDirectories(dir.resolve("shm"));
        Path live = Files.createDirectories(dir.resolve("live"));
        Files.writeString(live.resolve("formica.properties"), "id=live-id\n");
        Path gone = dir.resolve("gone");
        LogBuffer.claim(shm.resolve("formica-live-id"), live, "live-id");
        LogBuffer.create(LogBuffer.file(shm.resolve("formica-live-id"), 0), CAPACITY).close();
        Path orphan = shm.resolve("formica-gone-id");
        LogBuffer.claim(orphan, gone, "gone-id");
        LogBuffer.create(LogBuffer.file(orphan, 0), CAPACITY).close();

        Path mine = Files.createDirectories(dir.resolve("mine"));
        LogBuffer.claim(shm.resolve("formica-mine-id"), mine, "mine-id");

        assertFalse(Files.exists(orphan), "the windows of a deleted data directory are removed");
        assertTrue(Files.exists(LogBuffer.file(shm.resolve("formica-live-id"), 0)), "a live one is kept");
        LogBuffer.release(shm.resolve("formica-mine-id"));
        assertFalse(Files.exists(shm.resolve("formica-mine-id")), "a clean stop removes its own directory");
    }
}
