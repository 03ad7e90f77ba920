package dev.formica.engine.funding;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The Raft groups' leases of the funders' quotas on a replicated node ({@link FundingQuotas#leases}): per group and
 * funder slot, what the group holds of its lease, the amount reserved and not released and the newest day's use
 * (the same words and day rules as the node's table). Group {@code g}'s lease of a quota {@code q} is fixed,
 * {@link #lease}, so the leases of all groups add up to {@code q} exactly and no group's leader needs another
 * group's state to stay within its own.
 *
 * <p>Thread contract: lock-free and allocation-free from any thread (the compare-and-set loops of
 * {@link QuotaWords}, as {@link FundingQuotas}); in practice group {@code g}'s words change on one thread at a
 * time: its leader's shard, or the Raft applier that replays the group's frames while the node follows it (a group
 * is led or followed, never both), or start-up.
 */
final class QuotaLeases {
    private final int groups;
    /** Per group and funder slot, at {@link #check}: the two words of {@link QuotaWords} (used, day << 44 | used). */
    private final UnsafeBuffer usage;

    QuotaLeases(int groups) {
        if (groups < 1 || groups > 255) {
            throw new IllegalArgumentException("lease groups: must be 1..255, was " + groups);
        }
        this.groups = groups;
        this.usage = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                groups * FundingQuotas.CAPACITY * QuotaWords.BYTES, 64));
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

    /** The offset of group {@code group}'s words of the funder; refuses a group or funder out of range. */
    int check(int group, int funder) {
        if (group < 0 || group >= groups || funder < 0 || funder >= FundingQuotas.CAPACITY) {
            throw new IndexOutOfBoundsException("lease of group " + group + " of " + groups + ", funder " + funder);
        }
        return (group * FundingQuotas.CAPACITY + funder) * QuotaWords.BYTES;
    }

    long usedTotal(int group, int funder) {
        return QuotaWords.usedTotal(usage, check(group, funder));
    }

    long usedToday(int group, int funder, long dayIndex) {
        return QuotaWords.usedToday(usage, check(group, funder), dayIndex);
    }

    /**
     * Reserves up to {@code maxMinor} (exactly it or nothing when {@code allOrNothing}) within the group's leases
     * {@code totalLease} and {@code dailyLease} ({@link FunderSpec#UNLIMITED_DAILY}: no daily limit), with
     * {@link FundingQuotas}' rules; answers {@code day << 44 | amount}.
     */
    long reserve(int group, int funder, long totalLease, long dailyLease, long maxMinor, long dayIndex,
            boolean allOrNothing) {
        return QuotaWords.reserve(usage, check(group, funder), totalLease, dailyLease, maxMinor, dayIndex,
                allOrNothing);
    }

    /** Gives back to the group's lease: to the total, to the day only while it is still the newest. */
    void release(int group, int funder, long amountMinor, long dayIndexOfReservation) {
        QuotaWords.release(usage, check(group, funder), amountMinor, dayIndexOfReservation);
    }

    /** A reservation of the group's log, replayed with no limit check; {@code daily}: the funder has a daily limit. */
    void replayReserve(int group, int funder, long amountMinor, long dayIndex, boolean daily) {
        QuotaWords.replayReserve(usage, check(group, funder), amountMinor, dayIndex, daily);
    }

    /** Adds a group snapshot's tally of one funder (start-up, or a snapshot installed into an empty group). */
    void restore(int group, int funder, long total, long dayIndex, long used, boolean daily) {
        QuotaWords.restore(usage, check(group, funder), total, dayIndex, used, daily);
    }

    /** Forgets every group's use (start-up, before the snapshots and logs are replayed). */
    void clear() {
        usage.setMemory(0, usage.capacity(), (byte) 0);
    }
}
