package dev.formica.engine.state;

/**
 * Arithmetic on the raw bucket words of one velocity key ({@link VelocityWindows#SLOT_WORDS} words: a 24-bit period
 * stamp over a 40-bit value each). Two operations, both per word, both free of any notion of order of arrival:
 * <ul>
 *   <li>{@link #max}: the join of two copies of the same node's counter (a newer period wins, the same period keeps
 *       the larger value, because a node's count in one period only grows), so taking one node's words again, or an
 *       older copy after a newer one, changes nothing: what makes the velocity exchange idempotent;</li>
 *   <li>{@link #sum}: the total of several nodes' counters (a newer period replaces an older one, the same period
 *       adds up, saturating), which is what one table would hold had every add gone to it.</li>
 * </ul>
 *
 * <p>Thread contract: stateless, any thread, allocation-free.
 */
public final class VelocityWords {
    private static final int STAMP_SHIFT = 40;
    private static final long VALUE_MASK = (1L << STAMP_SHIFT) - 1;
    private static final long STAMP_MASK = (1L << 24) - 1;

    private VelocityWords() {
    }

    /** Joins {@code incoming} (a copy of the same node's words) into {@code stored}; true when a word changed. */
    public static boolean max(long[] stored, long[] incoming) {
        boolean changed = false;
        for (int i = 0; i < VelocityWindows.SLOT_WORDS; i++) {
            long in = incoming[i];
            long old = stored[i];
            if (in == 0 || in == old) {
                continue;
            }
            if (old == 0 || newer(in, old) || (stamp(in) == stamp(old) && value(in) > value(old))) {
                stored[i] = in;
                changed = true;
            }
        }
        return changed;
    }

    /** Adds another node's {@code words} into {@code total}. */
    public static void sum(long[] total, long[] words) {
        for (int i = 0; i < VelocityWindows.SLOT_WORDS; i++) {
            long w = words[i];
            if (w == 0) {
                continue;
            }
            long t = total[i];
            if (t == 0 || newer(w, t)) {
                total[i] = w;
            } else if (stamp(w) == stamp(t)) {
                total[i] = (stamp(t) << STAMP_SHIFT) | Math.min(VALUE_MASK, value(t) + value(w));
            }
        }
    }

    /**
     * Zeroes the words dated more than one bucket after {@code nowMs} (a clock far ahead, or a caller that would
     * replace a node's current counts by a later period that no read counts yet); true when it dropped any.
     */
    public static boolean dropFuture(long[] words, long nowMs) {
        boolean dropped = false;
        for (int i = 0; i < VelocityWindows.SLOT_WORDS; i++) {
            long w = words[i];
            if (w == 0) {
                continue;
            }
            long width = i < 12 ? 10_000L : i < 36 ? 300_000L : 3_600_000L; // the table's three rings
            long current = (nowMs / width) & STAMP_MASK;
            long ahead = (stamp(w) - current) & STAMP_MASK;
            if (ahead > 1 && ahead < (1L << 23)) {
                words[i] = 0;
                dropped = true;
            }
        }
        return dropped;
    }

    /** True when every word is 0. */
    public static boolean empty(long[] words) {
        for (int i = 0; i < VelocityWindows.SLOT_WORDS; i++) {
            if (words[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static long stamp(long word) {
        return word >>> STAMP_SHIFT;
    }

    private static long value(long word) {
        return word & VALUE_MASK;
    }

    /** True when {@code a}'s period is after {@code b}'s (24-bit stamps, the same wrap-around rule as the table). */
    private static boolean newer(long a, long b) {
        long d = (stamp(a) - stamp(b)) & STAMP_MASK;
        return d != 0 && d < (1L << 23);
    }
}
