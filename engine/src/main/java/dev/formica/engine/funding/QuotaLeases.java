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
    /**
     * Transfers of headroom between groups need every node to apply every group's frames: with at most this many
     * groups every node hosts every group (a group is replicated on min(3, n) nodes); with more there are none.
     */
    static final int MAX_TRANSFER_GROUPS = 3;
    private static final int GIVEN = 0;
    private static final int COMMITTED = 1;
    private static final int ACCEPTED = 2;

    private final int groups;
    /** Per group and funder slot, at {@link #check}: the two words of {@link QuotaWords} (used, day << 44 | used). */
    private final UnsafeBuffer usage;
    /**
     * The transfers of the funders' total quotas between groups ({@link #transfers}), null when there are none; per
     * pair of groups and funder, cumulative amounts that only grow: {@code GIVEN} (what the first gave the second, as
     * far as this node applied or appended it), {@code COMMITTED} (of it, what the first group's log has committed),
     * {@code ACCEPTED} (what the first accepted from the second). A group's lease moved by the sum of what it accepted
     * less the sum of what it gave ({@link #moved}).
     */
    private final UnsafeBuffer moves;

    QuotaLeases(int groups) {
        if (groups < 1 || groups > 255) {
            throw new IllegalArgumentException("lease groups: must be 1..255, was " + groups);
        }
        this.groups = groups;
        this.usage = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                groups * FundingQuotas.CAPACITY * QuotaWords.BYTES, 64));
        this.moves = groups < 2 || groups > MAX_TRANSFER_GROUPS ? null : new UnsafeBuffer(
                BufferUtil.allocateDirectAligned(3 * groups * groups * FundingQuotas.CAPACITY * Long.BYTES, 64));
    }

    /** Whether headroom moves between the groups (2 to {@value #MAX_TRANSFER_GROUPS} groups). */
    boolean transfers() {
        return moves != null;
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

    /** Forgets every group's use and transfers (start-up, before the snapshots and logs are replayed). */
    void clear() {
        usage.setMemory(0, usage.capacity(), (byte) 0);
        if (moves != null) {
            moves.setMemory(0, moves.capacity(), (byte) 0);
        }
    }

    // ---- transfers of the total quota between groups (docs/cluster.md, "Moving headroom between groups") ----

    private int pair(int kind, int group, int other, int funder) {
        check(group, funder);
        check(other, funder);
        return (((kind * groups + group) * groups + other) * FundingQuotas.CAPACITY + funder) * Long.BYTES;
    }

    /**
     * What the group's lease of the funder's total quota gained and lost by transfers: accepted minus given, so the
     * lease is the fixed share plus this; 0 without transfers.
     */
    long moved(int group, int funder) {
        long moved = 0;
        if (moves != null) {
            for (int other = 0; other < groups; other++) {
                if (other != group) {
                    moved += accepted(group, other, funder) - given(group, other, funder);
                }
            }
        }
        return moved;
    }

    /** What {@code from} gave {@code to} of the funder's total quota so far (appended or applied on this node). */
    long given(int from, int to, int funder) {
        return moves == null ? 0 : moves.getLongVolatile(pair(GIVEN, from, to, funder));
    }

    /** Of {@link #given}, what {@code from}'s log has committed: what {@code to} may accept. */
    long committedGiven(int from, int to, int funder) {
        return moves == null ? 0 : moves.getLongVolatile(pair(COMMITTED, from, to, funder));
    }

    /** What {@code to} accepted from {@code from} of the funder's total quota so far. */
    long accepted(int to, int from, int funder) {
        return moves == null ? 0 : moves.getLongVolatile(pair(ACCEPTED, to, from, funder));
    }

    /**
     * Group {@code from} has given {@code to} {@code cumulativeMinor} of the funder's total quota so far: its lease
     * shrinks by what that adds (nothing for a value already counted, so a replayed give is idempotent).
     * {@code committed}: the give is in the group's committed log (a replayed frame, a snapshot); a leader's own give
     * is committed later ({@link #commitGiven}).
     */
    void give(int from, int to, int funder, long cumulativeMinor, boolean committed) {
        requireTransfers(from, to);
        raise(pair(GIVEN, from, to, funder), cumulativeMinor);
        if (committed) {
            commitGiven(from, to, funder, cumulativeMinor);
        }
    }

    /** {@code from}'s log has committed its gives to {@code to} up to {@code cumulativeMinor} (any thread). */
    void commitGiven(int from, int to, int funder, long cumulativeMinor) {
        requireTransfers(from, to);
        raise(pair(COMMITTED, from, to, funder), cumulativeMinor);
    }

    /**
     * Group {@code to} has accepted from {@code from} {@code cumulativeMinor} of the funder's total quota so far: its
     * lease grows by what that adds (idempotent like {@link #give}).
     */
    void accept(int to, int from, int funder, long cumulativeMinor) {
        requireTransfers(from, to);
        raise(pair(ACCEPTED, to, from, funder), cumulativeMinor);
    }

    /** Raises the cumulative word at {@code at} to {@code cumulativeMinor} unless it holds as much already. */
    private void raise(int at, long cumulativeMinor) {
        while (true) {
            long before = moves.getLongVolatile(at);
            if (cumulativeMinor <= before || moves.compareAndSetLong(at, before, cumulativeMinor)) {
                return;
            }
        }
    }

    private void requireTransfers(int from, int to) {
        if (moves == null || from == to) {
            throw new IllegalStateException("no transfer of quota headroom from group " + from + " to " + to
                    + " among " + groups + " groups");
        }
    }
}
