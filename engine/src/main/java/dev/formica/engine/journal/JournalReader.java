package dev.formica.engine.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reads one shard's journal from the oldest segment on, and keeps up with a live writer: {@link #next()}
 * returns null at the current end and a later call returns what was appended since.
 *
 * <p>Thread contract: one reader thread per instance; any number of readers beside the one writer, also in
 * other processes (frames are published by a release write of their length).
 */
public final class JournalReader implements AutoCloseable {
    private final Path dir;
    private final Map<Integer, String[]> names = new HashMap<>();
    private long segmentStartMs = Long.MIN_VALUE;
    private MappedByteBuffer mapped;
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private int position;

    private JournalReader(Path dir) {
        this.dir = dir;
    }

    /** A reader over the segments in {@code dir} (one shard's journal directory). */
    public static JournalReader open(Path dir) {
        return new JournalReader(dir);
    }

    /** The next decision, or null when there is none yet. */
    public JournalEntry next() {
        while (true) {
            if (mapped == null && !openNextSegment()) {
                return null;
            }
            int length = position + 4 <= buffer.capacity() ? buffer.getIntAcquire(position) : JournalSegments
                    .END_OF_SEGMENT;
            if (length == 0) {
                // Not written yet; or the writer stopped here (crash, restart) and went on in a newer segment.
                if (!newerSegmentExists()) {
                    return null;
                }
                length = buffer.getIntAcquire(position);
                if (length == 0) {
                    length = JournalSegments.END_OF_SEGMENT;
                }
            }
            if (length == JournalSegments.END_OF_SEGMENT) {
                closeSegment();
                continue;
            }
            int index = position;
            position += JournalSegments.align(length);
            int type = buffer.getInt(index + 4);
            if (type == JournalSegments.TYPE_LAYOUT) {
                readLayout(index + JournalSegments.FRAME_HEADER_BYTES);
            } else if (type == JournalSegments.TYPE_DECISION) {
                return readDecision(index + JournalSegments.FRAME_HEADER_BYTES);
            }
        }
    }

    private void readLayout(int i) {
        int id = buffer.getInt(i);
        int versionLength = buffer.getInt(i + 4);
        i += 8 + versionLength;
        int count = buffer.getInt(i);
        i += 4;
        String[] bySlot = new String[0];
        for (int k = 0; k < count; k++) {
            int slot = buffer.getShort(i);
            int nameLength = buffer.getInt(i + 3);
            String name = buffer.getStringWithoutLengthUtf8(i + 7, nameLength);
            if (slot >= bySlot.length) {
                bySlot = java.util.Arrays.copyOf(bySlot, slot + 1);
            }
            bySlot[slot] = name;
            i += 7 + nameLength;
        }
        names.put(id, bySlot);
    }

    private JournalEntry readDecision(int i) {
        long timeMs = buffer.getLong(i);
        int shard = buffer.getInt(i + 8);
        int layoutId = buffer.getInt(i + 12);
        i += 16;
        int requestLength = buffer.getInt(i);
        byte[] request = new byte[requestLength];
        buffer.getBytes(i + 4, request);
        i += 4 + requestLength;
        int responseLength = buffer.getInt(i);
        byte[] response = new byte[responseLength];
        buffer.getBytes(i + 4, response);
        i += 4 + responseLength;
        int count = buffer.getInt(i);
        i += 4;
        String[] slotNames = names.getOrDefault(layoutId, new String[0]);
        Map<String, Object> features = count == 0 ? Map.of() : new LinkedHashMap<>();
        for (int k = 0; k < count; k++) {
            int slot = buffer.getShort(i);
            byte type = buffer.getByte(i + 2);
            i += 3;
            Object value;
            switch (type) {
                case DecisionRecordEncoder.DOUBLE -> {
                    value = buffer.getDouble(i);
                    i += 8;
                }
                case DecisionRecordEncoder.STRING -> {
                    int n = buffer.getInt(i);
                    value = buffer.getStringWithoutLengthUtf8(i + 4, n);
                    i += 4 + n;
                }
                case DecisionRecordEncoder.BOOL -> {
                    value = buffer.getLong(i) != 0;
                    i += 8;
                }
                default -> {
                    value = buffer.getLong(i);
                    i += 8;
                }
            }
            String name = slot < slotNames.length && slotNames[slot] != null ? slotNames[slot] : "slot." + slot;
            features.put(name, value);
        }
        try {
            return new JournalEntry(timeMs, shard, DecisionRequest.parseFrom(request),
                    DecisionResponse.parseFrom(response), count == 0 ? features
                            : Collections.unmodifiableMap(features));
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException("journal " + dir + ": unreadable decision at " + timeMs, e);
        }
    }

    private boolean openNextSegment() {
        try {
            for (Path segment : JournalSegments.list(dir)) {
                long start = JournalSegments.startMsOf(segment);
                if (start > segmentStartMs) {
                    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
                        long size = channel.size();
                        if (size < JournalSegments.HEADER_BYTES) {
                            return false;
                        }
                        mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
                    }
                    buffer.wrap(mapped);
                    if (buffer.getInt(0) != JournalSegments.MAGIC) {
                        // Created but header not yet written: try again on the next call.
                        closeSegment();
                        return false;
                    }
                    segmentStartMs = start;
                    position = JournalSegments.HEADER_BYTES;
                    return true;
                }
            }
            return false;
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read journal " + dir, e);
        }
    }

    private boolean newerSegmentExists() {
        try {
            List<Path> segments = JournalSegments.list(dir);
            return !segments.isEmpty() && JournalSegments.startMsOf(segments.get(segments.size() - 1))
                    > segmentStartMs;
        } catch (IOException e) {
            return false;
        }
    }

    private void closeSegment() {
        if (mapped != null) {
            buffer.wrap(0, 0);
            IoUtil.unmap(mapped);
            mapped = null;
        }
    }

    @Override
    public void close() {
        closeSegment();
    }
}
