package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.LogFrames;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The Ratis entry format: a batch of frames (format 2) and the single frame written before it (format 1). */
class FrameBatchTest {

    private record Frame(long position, long timeMs, byte[] payload) {
    }

    private static List<Frame> read(byte[] entry) {
        List<Frame> out = new ArrayList<>();
        FrameBatch.read(new UnsafeBuffer(entry), (position, timeMs, payload, offset, length) -> {
            byte[] copy = new byte[length];
            payload.getBytes(offset, copy);
            out.add(new Frame(position, timeMs, copy));
        });
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldHandTheFramesOfABatchBackInOrderAtTheirPositions() {
        FrameBatch batch = new FrameBatch();
        byte[][] payloads = {bytes("first"), new byte[0], bytes("a longer third payload")};
        long position = 4_096;
        List<Frame> expected = new ArrayList<>();
        for (int i = 0; i < payloads.length; i++) {
            batch.add(position, 100 + i, new UnsafeBuffer(payloads[i]), 0, payloads[i].length);
            expected.add(new Frame(position, 100 + i, payloads[i]));
            position += LogFrames.frameLength(payloads[i].length);
        }
        assertEquals(3, batch.count());
        byte[] entry = batch.take();
        assertTrue(batch.isEmpty(), "taking the entry empties the batch");
        assertEquals(entry.length, FrameBatch.HEADER + 3 * FrameBatch.FRAME_HEADER + 5 + 22);
        List<Frame> got = read(entry);
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).position(), got.get(i).position());
            assertEquals(expected.get(i).timeMs(), got.get(i).timeMs());
            assertArrayEquals(expected.get(i).payload(), got.get(i).payload());
        }
        assertEquals(position, FrameBatch.read(new UnsafeBuffer(entry), null), "read returns the end position");
        assertEquals(4_096, FrameBatch.start(new UnsafeBuffer(entry)));
    }

    @Test
    void shouldStartTheNextBatchWhereTheFirstEnded() {
        FrameBatch batch = new FrameBatch();
        byte[] p = bytes("x");
        batch.add(0, 1, new UnsafeBuffer(p), 0, 1);
        batch.take();
        long second = LogFrames.frameLength(1);
        batch.add(second, 2, new UnsafeBuffer(p), 0, 1);
        List<Frame> got = read(batch.take());
        assertEquals(1, got.size());
        assertEquals(second, got.get(0).position());
    }

    @Test
    void shouldStillReadTheOneFrameEntriesOfTheFormatBefore() {
        byte[] payload = bytes("written by an older build");
        byte[] legacy = FrameStateMachine.entry(777, 42, new UnsafeBuffer(payload), 0, payload.length);
        List<Frame> got = read(legacy);
        assertEquals(1, got.size());
        assertEquals(777, got.get(0).position());
        assertEquals(42, got.get(0).timeMs());
        assertArrayEquals(payload, got.get(0).payload());
        assertEquals(777 + LogFrames.frameLength(payload.length), FrameBatch.read(new UnsafeBuffer(legacy), null));
    }

    @Test
    void shouldRefuseAnEntryOfAnUnknownFormat() {
        byte[] entry = new byte[40];
        new UnsafeBuffer(entry).putLong(0, 0xF0B4_7C40_0000_0003L, ByteOrder.LITTLE_ENDIAN); // a "format 3"
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(entry));
        assertTrue(e.getMessage().contains("unknown format"), e.getMessage());
    }

    @Test
    void shouldRefuseTruncatedAndMalformedBatches() {
        FrameBatch batch = new FrameBatch();
        byte[] p = bytes("payload");
        batch.add(0, 1, new UnsafeBuffer(p), 0, p.length);
        batch.add(LogFrames.frameLength(p.length), 2, new UnsafeBuffer(p), 0, p.length);
        byte[] entry = batch.take();
        assertThrows(IllegalArgumentException.class, () -> read(Arrays.copyOf(entry, entry.length - 1)),
                "the last frame cut short");
        assertThrows(IllegalArgumentException.class, () -> read(Arrays.copyOf(entry, FrameBatch.HEADER + 3)),
                "cut in a frame's header");
        assertThrows(IllegalArgumentException.class, () -> read(Arrays.copyOf(entry, entry.length + 2)),
                "bytes after the frames");
        byte[] noFrames = Arrays.copyOf(entry, entry.length);
        new UnsafeBuffer(noFrames).putInt(16, 0, ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class, () -> read(noFrames), "a batch of no frames");
        byte[] negative = Arrays.copyOf(entry, entry.length);
        new UnsafeBuffer(negative).putInt(FrameBatch.HEADER, -5, ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class, () -> read(negative), "a negative frame length");
        assertThrows(IllegalArgumentException.class, () -> read(new byte[8]), "shorter than any header");
    }
}
