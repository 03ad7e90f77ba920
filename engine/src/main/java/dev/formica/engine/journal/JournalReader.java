package dev.formica.engine.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.formica.engine.log.FrameLog;
import dev.formica.engine.state.StateOps;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reads one shard's decisions from its shard log (the audit records in its frames), oldest first, and keeps up
 * with a live writer: {@link #next()} returns null at the current end and a later call returns what was appended
 * since. Read-only: a frame still being written ends a read and is read whole on a later call. The log is a single
 * node's shard log or a replicated group's Raft log on this node ({@link FrameLog}); with the latter, an entry's
 * shard is the group's number.
 *
 * <p>Thread contract: one reader thread per instance; any number of readers beside the one writer, also in
 * other processes.
 */
final class JournalReader implements AutoCloseable {
    private final FrameLog log;
    private final Map<Integer, String[]> names = new HashMap<>();
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private final ArrayDeque<JournalEntry> ready = new ArrayDeque<>();
    private long position;

    private JournalReader(FrameLog log) {
        this.log = log;
    }

    /** A reader over one shard's log directory ({@code <data-dir>/shard-k/log}). */
    public static JournalReader open(Path dir) {
        return new JournalReader(FrameLog.local(dir));
    }

    /** A reader over any shard log on disk (a replicated group's: {@code replication.RaftLogFrames}). */
    public static JournalReader open(FrameLog log) {
        return new JournalReader(log);
    }

    /** What an operator should know about the log's extent (purged entries), or null. */
    String note() {
        return log.note();
    }

    /** The next decision, or null when there is none yet. */
    public JournalEntry next() {
        if (ready.isEmpty()) {
            readMore();
        }
        return ready.poll();
    }

    /** Reads the frames after {@link #position} (up to a batch of decisions) into {@link #ready}. */
    private void readMore() {
        try {
            position = log.read(position, (at, timeMs, payload, offset, length) -> {
                StateOps.forEachAudit(payload, offset, length, timeMs, this::record);
                return ready.size() < 4096;
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shard log " + log.name(), e);
        }
    }

    private void record(DirectBuffer frame, int offset, int length, long timeMs) {
        buffer.wrap(frame, offset, length);
        int type = buffer.getInt(4);
        if (type == JournalSegments.TYPE_LAYOUT) {
            readLayout(JournalSegments.FRAME_HEADER_BYTES);
        } else if (type == JournalSegments.TYPE_DECISION) {
            ready.add(readDecision(JournalSegments.FRAME_HEADER_BYTES));
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
        int shard = log.shard() >= 0 ? log.shard() : buffer.getInt(i + 8);
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
                case JournalFrameEncoder.DOUBLE -> {
                    value = buffer.getDouble(i);
                    i += 8;
                }
                case JournalFrameEncoder.STRING -> {
                    int n = buffer.getInt(i);
                    value = buffer.getStringWithoutLengthUtf8(i + 4, n);
                    i += 4 + n;
                }
                case JournalFrameEncoder.BOOL -> {
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
            throw new UncheckedIOException("journal " + log.name() + ": unreadable decision at " + timeMs, e);
        }
    }

    @Override
    public void close() {
        ready.clear();
    }
}
