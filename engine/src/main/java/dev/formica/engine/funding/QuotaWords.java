package dev.formica.engine.funding;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The counter operations of one funder's quota use, shared by the node's table ({@link FundingQuotas}, a mapped file)
 * and the Raft groups' leases ({@link QuotaLeases}, a direct buffer): two 64-bit words at an offset of an
 * {@link AtomicBuffer}, {@code used} (originated and not released) and, 8 bytes after it, the day word (the UTC day
 * index in the top 20 bits, the amount used that day in the low 44). Every change is a compare-and-set loop on one
 * word, so concurrent callers never take a word past its limit; the day rules are those of {@link FundingQuotas}.
 *
 * <p>Thread contract: lock-free and allocation-free from any thread.
 */
final class QuotaWords {
    static final int DAY_SHIFT = 44;
    static final long USED_MASK = (1L << DAY_SHIFT) - 1;
    /** Bytes of one funder's words: used, then the day word. */
    static final int BYTES = 16;
    private static final int TODAY = 8;

    private QuotaWords() {
    }

    /**
     * Reserves up to {@code maxMinor} (exactly it or nothing when {@code allOrNothing}) within {@code totalLimit} and
     * {@code dailyLimit} ({@link FunderSpec#UNLIMITED_DAILY}: no daily limit, the day word is not kept) and answers
     * the amount and the UTC day it was charged to, packed: {@code day << 44 | amount}. The day is {@code dayIndex},
     * or the newer day already stored when a late caller's day has passed.
     */
    static long reserve(AtomicBuffer buffer, int at, long totalLimit, long dailyLimit, long maxMinor, long dayIndex,
            boolean allOrNothing) {
        if (maxMinor <= 0) {
            return dayIndex << DAY_SHIFT;
        }
        long granted;
        while (true) {
            long used = buffer.getLongVolatile(at);
            granted = Math.min(maxMinor, totalLimit - used);
            if (granted <= 0 || (allOrNothing && granted < maxMinor)) {
                return dayIndex << DAY_SHIFT;
            }
            if (buffer.compareAndSetLong(at, used, used + granted)) {
                break;
            }
        }
        if (dailyLimit >= FunderSpec.UNLIMITED_DAILY) {
            // No daily limit (the platform): nothing to count per day, and no 2^44 ceiling on a day's total.
            return (dayIndex << DAY_SHIFT) | granted;
        }
        long today;
        long day;
        while (true) {
            long word = buffer.getLongVolatile(at + TODAY);
            day = Math.max(dayIndex, word >>> DAY_SHIFT);
            long used = (word >>> DAY_SHIFT) == day ? word & USED_MASK : 0;
            today = Math.min(granted, dailyLimit - used);
            if (today <= 0 || (allOrNothing && today < granted)) {
                today = 0;
                break;
            }
            if (buffer.compareAndSetLong(at + TODAY, word, (day << DAY_SHIFT) | (used + today))) {
                break;
            }
        }
        if (today < granted) {
            subtractTotal(buffer, at, granted - today);
        }
        return (day << DAY_SHIFT) | today;
    }

    /** Gives back a reservation: to the total, to the day only while that day is the stored one; never below 0. */
    static void release(AtomicBuffer buffer, int at, long amountMinor, long dayIndexOfReservation) {
        if (amountMinor <= 0) {
            return;
        }
        subtractTotal(buffer, at, amountMinor);
        while (true) {
            long word = buffer.getLongVolatile(at + TODAY);
            if ((word >>> DAY_SHIFT) != dayIndexOfReservation) {
                return;
            }
            long next = (word & ~USED_MASK) | Math.max(0, (word & USED_MASK) - amountMinor);
            if (buffer.compareAndSetLong(at + TODAY, word, next)) {
                return;
            }
        }
    }

    private static void subtractTotal(AtomicBuffer buffer, int at, long amountMinor) {
        while (true) {
            long used = buffer.getLongVolatile(at);
            if (buffer.compareAndSetLong(at, used, Math.max(0, used - amountMinor))) {
                return;
            }
        }
    }

    /**
     * A reservation a log recorded, with no limit check (the limits may have changed since; it happened);
     * {@code daily}: the funder has a daily limit, so the day word is kept.
     */
    static void replayReserve(AtomicBuffer buffer, int at, long amountMinor, long dayIndex, boolean daily) {
        if (amountMinor <= 0) {
            return;
        }
        buffer.getAndAddLong(at, amountMinor);
        if (!daily) {
            return;
        }
        while (true) {
            long word = buffer.getLongVolatile(at + TODAY);
            long next = replayedOnDay(word, dayIndex, amountMinor);
            if (next == word || buffer.compareAndSetLong(at + TODAY, word, next)) {
                return;
            }
        }
    }

    /**
     * A day word after a replayed reservation of {@code amountMinor} on {@code dayIndex}: added on the same day, the
     * day's first use on a later one, and unchanged for a day already over.
     */
    static long replayedOnDay(long word, long dayIndex, long amountMinor) {
        long day = word >>> DAY_SHIFT;
        if (day == dayIndex) {
            return (word & ~USED_MASK) | ((word & USED_MASK) + amountMinor);
        }
        return dayIndex > day ? (dayIndex << DAY_SHIFT) | amountMinor : word;
    }

    /** Adds a snapshot's tally: {@code total} originated and not released, {@code used} of it on {@code dayIndex}. */
    static void restore(AtomicBuffer buffer, int at, long total, long dayIndex, long used, boolean daily) {
        buffer.getAndAddLong(at, total);
        if (used <= 0 || !daily) {
            return;
        }
        long word = buffer.getLongVolatile(at + TODAY);
        long day = word >>> DAY_SHIFT;
        if (dayIndex > day) {
            buffer.putLongVolatile(at + TODAY, (dayIndex << DAY_SHIFT) | used);
        } else if (dayIndex == day) {
            buffer.putLongVolatile(at + TODAY, word + used);
        }
    }

    static long usedTotal(AtomicBuffer buffer, int at) {
        return buffer.getLongVolatile(at);
    }

    /** The use of {@code dayIndex} (0 for a day not yet begun; a newer stored day's use for an older day). */
    static long usedToday(AtomicBuffer buffer, int at, long dayIndex) {
        long word = buffer.getLongVolatile(at + TODAY);
        return (word >>> DAY_SHIFT) >= dayIndex ? word & USED_MASK : 0;
    }

    /** The UTC day of the day word (0 when none is kept: no reservation yet, or no daily limit). */
    static long day(AtomicBuffer buffer, int at) {
        return buffer.getLongVolatile(at + TODAY) >>> DAY_SHIFT;
    }

    /** Zeroes both words. */
    static void clear(AtomicBuffer buffer, int at) {
        buffer.putLongVolatile(at, 0);
        buffer.putLongVolatile(at + TODAY, 0);
    }
}
