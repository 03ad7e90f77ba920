package dev.formica.engine.replication;

import dev.formica.engine.log.LogFrames;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * The Ratis entry of a replicated shard log: the frames a shard appended in one pass, as one entry, so Ratis's
 * per-entry cost (its appendEntries stream, log worker, sync and state-machine updater) is paid once per batch
 * instead of once per frame. Little-endian:
 *
 * <pre>
 *   format 2 (a batch, written by this build):
 *    0  long  {@link #MAGIC}     negative, so never the position a format-1 entry starts with
 *    8  long  position           where the first frame starts in the shard log
 *   16  int   count              frames that follow, at least 1
 *   20  per frame: int length (of the payload), long timeMs, the payload
 *
 *   format 1 (one frame per entry, written before; still read):
 *    0  long  position           0 or more
 *    8  long  timeMs
 *   16  ...   the payload (the rest of the entry)
 * </pre>
 *
 * Frame {@code i + 1} starts where frame {@code i} ends ({@link LogFrames#frameLength}), as in the local shard log,
 * so positions are those the local log would give the same frames. Any other entry (a negative first long other than
 * the magic, a short or truncated entry) is refused with {@link IllegalArgumentException}: a replica cannot follow a
 * log it cannot read, and says which entry.
 *
 * <p>Thread contract: a batch being built belongs to the shard's writer; {@link #read} is stateless.
 */
public final class FrameBatch {
    /** Format 2's first eight bytes: "formica batch, format 2". */
    static final long MAGIC = 0xF0B4_7C40_0000_0002L;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final int HEADER = 20;
    static final int FRAME_HEADER = Integer.BYTES + Long.BYTES;
    /** Format 1: position and time, then the payload. */
    static final int LEGACY_HEADER = 16;

    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    private long start;
    private int count;
    private int length = HEADER;

    /** What {@link #read} hands each frame to (in order). */
    @FunctionalInterface
    public interface Frames {
        void frame(long position, long timeMs, DirectBuffer payload, int offset, int length);
    }

    /** Whether no frame waits in the batch. */
    public boolean isEmpty() {
        return count == 0;
    }

    /** The entry's size in bytes if it were sent now. */
    public int size() {
        return length;
    }

    /** The frames waiting. */
    public int count() {
        return count;
    }

    /** Adds a frame that starts at {@code position} (the first frame's position starts the batch). */
    public void add(long position, long timeMs, DirectBuffer payload, int offset, int payloadLength) {
        if (count == 0) {
            start = position;
        }
        buffer.putInt(length, payloadLength, ORDER);
        buffer.putLong(length + Integer.BYTES, timeMs, ORDER);
        buffer.putBytes(length + FRAME_HEADER, payload, offset, payloadLength);
        length += FRAME_HEADER + payloadLength;
        count++;
    }

    /** The entry of the frames added since the last call (a new array: Ratis keeps it), and empties the batch. */
    public byte[] take() {
        buffer.putLong(0, MAGIC, ORDER);
        buffer.putLong(Long.BYTES, start, ORDER);
        buffer.putInt(2 * Long.BYTES, count, ORDER);
        byte[] entry = new byte[length];
        buffer.getBytes(0, entry);
        count = 0;
        length = HEADER;
        return entry;
    }

    /** Forgets the frames added (they will never be sent). */
    public void clear() {
        count = 0;
        length = HEADER;
    }

    /**
     * Hands every frame of {@code entry} (either format) to {@code frames}, in order; with {@code frames} null it
     * only checks the entry (call it so first to apply all of an entry or none of it).
     *
     * @return the position after the last frame
     * @throws IllegalArgumentException when the entry is not one of the two formats
     */
    public static long read(DirectBuffer entry, Frames frames) {
        int capacity = entry.capacity();
        if (capacity < LEGACY_HEADER) {
            throw new IllegalArgumentException("an entry of " + capacity + " bytes is no frame entry");
        }
        long first = entry.getLong(0, ORDER);
        if (first >= 0) {
            int payload = capacity - LEGACY_HEADER;
            if (frames != null) {
                frames.frame(first, entry.getLong(Long.BYTES, ORDER), entry, LEGACY_HEADER, payload);
            }
            return first + LogFrames.frameLength(payload);
        }
        if (first != MAGIC) {
            throw new IllegalArgumentException(String.format("an entry of unknown format %016x (format 2 is %016x;"
                    + " written by a newer build?)", first, MAGIC));
        }
        if (capacity < HEADER) {
            throw new IllegalArgumentException("a format-2 entry of " + capacity + " bytes has no header");
        }
        long position = entry.getLong(Long.BYTES, ORDER);
        int count = entry.getInt(2 * Long.BYTES, ORDER);
        if (count < 1) {
            throw new IllegalArgumentException("a format-2 entry of " + count + " frames");
        }
        int at = HEADER;
        for (int i = 0; i < count; i++) {
            if (at + FRAME_HEADER > capacity) {
                throw new IllegalArgumentException("a format-2 entry truncated in the header of frame " + i);
            }
            int payload = entry.getInt(at, ORDER);
            if (payload < 0 || payload > capacity - at - FRAME_HEADER) {
                throw new IllegalArgumentException("a format-2 entry whose frame " + i + " claims " + payload
                        + " bytes");
            }
            if (frames != null) {
                frames.frame(position, entry.getLong(at + Integer.BYTES, ORDER), entry, at + FRAME_HEADER, payload);
            }
            position += LogFrames.frameLength(payload);
            at += FRAME_HEADER + payload;
        }
        if (at != capacity) {
            throw new IllegalArgumentException("a format-2 entry with " + (capacity - at) + " bytes after its "
                    + count + " frames");
        }
        return position;
    }

    /** The position of the first frame of {@code entry} (either format; checked by {@link #read} before). */
    public static long start(DirectBuffer entry) {
        long first = entry.getLong(0, ORDER);
        return first >= 0 ? first : entry.getLong(Long.BYTES, ORDER);
    }
}
