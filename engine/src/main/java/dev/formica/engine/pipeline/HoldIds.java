package dev.formica.engine.pipeline;

/**
 * Hold ids: {@code "h"} + lower-case hex of a 64-bit number whose top 8 bits name the shard that owns the
 * hold, so Confirm and Cancel (which carry only the hold id) route without a look-up. The low 56
 * bits are a per-shard sequence that starts above {@code epochMs << 12} on every start, so ids never
 * repeat across restarts.
 *
 * <p>Thread contract: stateless.
 */
public final class HoldIds {
    static final int SHARD_SHIFT = 56;
    static final long SEQUENCE_MASK = (1L << SHARD_SHIFT) - 1;
    /** Returned by {@link #parse} for text that is not a hold id. */
    public static final long INVALID = -1;

    private HoldIds() {
    }

    static long compose(int shard, long sequence) {
        return ((long) shard << SHARD_SHIFT) | (sequence & SEQUENCE_MASK);
    }

    static int shardOf(long holdId) {
        return (int) (holdId >>> SHARD_SHIFT);
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

    /** The id, or {@link #INVALID}. */
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
        return value < 0 ? INVALID : value;
    }
}
