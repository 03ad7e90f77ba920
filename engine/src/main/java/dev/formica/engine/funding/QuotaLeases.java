package dev.formica.engine.funding;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The Raft groups' leases of the funders' quotas on a replicated node ({@link FundingQuotas#leases}): per group and
 * funder slot, what the group holds of its lease, the amount reserved and not released and the newest day's use
 * (the same words and day rules as the node's table). Group {@code g}'s lease of a quota {@code q} is fixed,
 * {@link #lease}, so the leases of all groups add up to {@code q} exactly and no group's leader needs another
 * group's state to stay within its own.
 *
 * <p>Thread contract: lock-free and allocation-free from any thread (compare-and-set loops on one word each, as
 * {@link FundingQuotas}); in practice group {@code g}'s words change on one thread at a time: its leader's shard, or
 * the Raft applier that replays the group's frames while the node follows it (a group is led or followed, never
 * both), or start-up.
 */
final class QuotaLeases {
    private static final int DAY_SHIFT = 44;
    private static final long USED_MASK = (1L << DAY_SHIFT) - 1;

    private final int groups;
    /** {@code [2 × (group × CAPACITY + slot)]}: reserved and not released; {@code [... + 1]}: day << 44 | used. */
    private final AtomicLongArray usage;

    QuotaLeases(int groups) {
        if (groups < 1 || groups > 255) {
            throw new IllegalArgumentException("lease groups: must be 1..255, was " + groups);
        }
        this.groups = groups;
        this.usage = new AtomicLongArray(2 * groups * FundingQuotas.CAPACITY);
    }

    int groups() {
        return groups;
    }

    /**
     * Group {@code group}'s lease of a quota of {@code quotaMinor} among {@code groups}: {@code quota / groups}, and
     * one more minor unit for each of the first {@code quota % groups} groups, so the leases add up to the quota.
     */
    static long lease(long quotaMinor, int group, int groups) {
        return quotaMinor / groups + (group < quotaMinor % groups ? 1 : 0);
    }

    int check(int group, int funder) {
        if (group < 0 || group >= groups || funder < 0 || funder >= FundingQuotas.CAPACITY) {
            throw new IndexOutOfBoundsException("lease of group " + group + " of " + groups + ", funder " + funder);
        }
        return 2 * (group * FundingQuotas.CAPACITY + funder);
    }

    long usedTotal(int group, int funder) {
        return usage.get(check(group, funder));
    }

    long usedToday(int group, int funder, long dayIndex) {
        long word = usage.get(check(group, funder) + 1);
        return (word >>> DAY_SHIFT) >= dayIndex ? word & USED_MASK : 0;
    }

    /**
     * Reserves up to {@code maxMinor} (exactly it or nothing when {@code allOrNothing}) within the group's leases
     * {@code totalLease} and {@code dailyLease} ({@link FunderSpec#UNLIMITED_DAILY}: no daily limit), with
     * {@link FundingQuotas}' rules; answers {@code day << 44 | amount}.
     */
    long reserve(int group, int funder, long totalLease, long dailyLease, long maxMinor, long dayIndex,
            boolean allOrNothing) {
        int at = check(group, funder);
        long granted;
        while (true) {
            long used = usage.get(at);
            granted = Math.min(maxMinor, totalLease - used);
            if (granted <= 0 || (allOrNothing && granted < maxMinor)) {
                return dayIndex << DAY_SHIFT;
            }
            if (usage.compareAndSet(at, used, used + granted)) {
                break;
            }
        }
        if (dailyLease >= FunderSpec.UNLIMITED_DAILY) {
            return (dayIndex << DAY_SHIFT) | granted;
        }
        long today;
        long day;
        while (true) {
            long word = usage.get(at + 1);
            day = Math.max(dayIndex, word >>> DAY_SHIFT);
            long used = (word >>> DAY_SHIFT) == day ? word & USED_MASK : 0;
            today = Math.min(granted, dailyLease - used);
            if (today <= 0 || (allOrNothing && today < granted)) {
                today = 0;
                break;
            }
            if (usage.compareAndSet(at + 1, word, (day << DAY_SHIFT) | (used + today))) {
                break;
            }
        }
        if (today < granted) {
            subtractTotal(at, granted - today);
        }
        return (day << DAY_SHIFT) | today;
    }

    /** Gives back to the group's lease: to the total, to the day only while it is still the newest. */
    void release(int group, int funder, long amountMinor, long dayIndexOfReservation) {
        if (amountMinor <= 0) {
            return;
        }
        int at = check(group, funder);
        subtractTotal(at, amountMinor);
        while (true) {
            long word = usage.get(at + 1);
            if ((word >>> DAY_SHIFT) != dayIndexOfReservation) {
                return;
            }
            long next = (word & ~USED_MASK) | Math.max(0, (word & USED_MASK) - amountMinor);
            if (usage.compareAndSet(at + 1, word, next)) {
                return;
            }
        }
    }

    private void subtractTotal(int at, long amountMinor) {
        while (true) {
            long used = usage.get(at);
            if (usage.compareAndSet(at, used, Math.max(0, used - amountMinor))) {
                return;
            }
        }
    }

    /** A reservation of the group's log, replayed with no limit check; {@code daily}: the funder has a daily limit. */
    void replayReserve(int group, int funder, long amountMinor, long dayIndex, boolean daily) {
        if (amountMinor <= 0) {
            return;
        }
        int at = check(group, funder);
        usage.getAndAdd(at, amountMinor);
        if (!daily) {
            return;
        }
        while (true) {
            long word = usage.get(at + 1);
            long next = FundingQuotas.replayedOnDay(word, dayIndex, amountMinor);
            if (next == word || usage.compareAndSet(at + 1, word, next)) {
                return;
            }
        }
    }

    /** Adds a group snapshot's tally of one funder (start-up, or a snapshot installed into an empty group). */
    void restore(int group, int funder, long total, long dayIndex, long used, boolean daily) {
        int at = check(group, funder);
        usage.getAndAdd(at, total);
        if (used <= 0 || !daily) {
            return;
        }
        long word = usage.get(at + 1);
        long day = word >>> DAY_SHIFT;
        if (dayIndex > day) {
            usage.set(at + 1, (dayIndex << DAY_SHIFT) | used);
        } else if (dayIndex == day) {
            usage.set(at + 1, word + used);
        }
    }

    /** Forgets every group's use (start-up, before the snapshots and logs are replayed). */
    void clear() {
        for (int i = 0; i < usage.length(); i++) {
            usage.set(i, 0);
        }
    }
}
