package dev.formica.engine.pipeline;

/**
 * Hold ids: {@code "h"} + lower-case hex of an unsigned 64-bit number whose top 8 bits name the borrower's
 * partition (0..255, {@link dev.formica.engine.cluster.Partitions}), so Confirm and Cancel (which carry only the
 * hold id) route to the node and shard that own the hold without a look-up, in the engine and in clients. The low
 * 56 bits are a per-shard sequence that starts above {@code epochMs << 12} on every start, so ids never repeat
 * across restarts. Ids issued before partitions (data format 2) carry the shard there instead, which is the
 * partition of the same number on the same shard, so they keep working.
 *
 * <p>Thread contract: stateless.
 */
public final class HoldIds {
    static final int PARTITION_SHIFT = 56;
    static final long SEQUENCE_MASK = (1L << PARTITION_SHIFT) - 1;
    /** Returned by {@link #parse} for text that is not a hold id. */
    public static final long INVALID = -1;

    private HoldIds() {
    }

    static long compose(int partition, long sequence) {
        return ((long) partition << PARTITION_SHIFT) | (sequence & SEQUENCE_MASK);
    }

    /** The partition a hold id names, 0..255. */
    public static int partitionOf(long holdId) {
        return (int) (holdId >>> PARTITION_SHIFT);
    }

    static long sequenceOf(long holdId) {
        return holdId & SEQUENCE_MASK;
    }

    /** First sequence to use after a start at {@code nowMs}, above every sequence seen so far. */
    static long firstSequence(long nowMs, long highestSeen) {
        return Math.max(highestSeen + 1, (nowMs << 12) & SEQUENCE_MASK);
    }

    public static String format(long holdId) {
        // hex, not base 36: Long.toString(x, 36) divides per digit and showed up in the decide profile
        return "h" + Long.toHexString(holdId);
    }

    /** The id (unsigned: partitions 128..255 set the top bit), or {@link #INVALID}. */
    public static long parse(String text) {
        if (text.length() < 2 || text.length() > 17 || text.charAt(0) != 'h') {
            return INVALID;
        }
        long value = 0;
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) {
                return INVALID;
            }
            value = (value << 4) | digit;
        }
        return value;
    }
}
