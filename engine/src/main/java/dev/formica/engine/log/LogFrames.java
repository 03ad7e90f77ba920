package dev.formica.engine.log;

import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The frame format of the shard log, one frame per mutation, little-endian:
 *
 * <pre>
 *   0  int  length     the whole frame, header included
 *   4  int  checksum   CRC32C of bytes 8 .. length
 *   8  long position   where this frame starts in the shard's log (the sum of the lengths before it)
 *  16  long timeMs     the mutation's time: replay takes time from here, never from the clock
 *  24  ...  payload    the operations ({@code dev.formica.engine.state.StateOps})
 * </pre>
 *
 * A frame is valid when its length is sane, its position is the one expected and its checksum matches; the first
 * invalid frame of the last segment is a torn tail (a crash in the middle of a write) and is cut off.
 */
public final class LogFrames {
    public static final int HEADER = 24;
    /** The largest frame: a 16 KiB profile or answer plus its ops fit many times over. */
    public static final int MAX_FRAME = 1 << 20;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final int LENGTH_OFFSET = 0;
    static final int CHECKSUM_OFFSET = 4;
    static final int POSITION_OFFSET = 8;
    static final int TIME_OFFSET = 16;

    private LogFrames() {
    }

    /** The length of a frame carrying {@code payloadLength} bytes. */
    public static int frameLength(int payloadLength) {
        return HEADER + payloadLength;
    }

    /** Whether a frame's length field can be a frame's: at least a header, at most {@link #MAX_FRAME}. */
    static boolean saneLength(int length) {
        return length >= HEADER && length <= MAX_FRAME;
    }

    /**
     * Whether the {@code length} bytes at {@code at} of {@code buffer} (in {@link #ORDER}) are the whole frame that
     * belongs at log position {@code position}: its position field names it and its checksum holds. Segment reading
     * and window recovery take a frame only when this is true.
     */
    static boolean valid(CRC32C crc, java.nio.ByteBuffer buffer, int at, int length, long position) {
        return buffer.getLong(at + POSITION_OFFSET) == position
                && checksum(crc, buffer, at + 8, length - 8) == buffer.getInt(at + CHECKSUM_OFFSET);
    }

    /**
     * CRC32C of {@code length} bytes of {@code buffer} from {@code offset}; the buffer's position and limit are
     * as they were afterwards. No view is allocated: this runs once per frame on the log writer and on replay.
     */
    static int checksum(CRC32C crc, java.nio.ByteBuffer buffer, int offset, int length) {
        int position = buffer.position();
        int limit = buffer.limit();
        crc.reset();
        buffer.limit(offset + length).position(offset);
        crc.update(buffer);
        buffer.limit(limit).position(position);
        return (int) crc.getValue();
    }
}
