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
    /** The same three words for the daily quotas, each {@code day << 44 | cumulative amount of that day}. */
    private static final int DAILY_GIVEN = 3;
    private static final int DAILY_COMMITTED = 4;
    private static final int DAILY_ACCEPTED = 5;
    private static final int KINDS = 6;

    private final int groups;
    /** Per group and funder slot, at {@link #check}: the two words of {@link QuotaWords} (used, day << 44 | used). */
    private final UnsafeBuffer usage;
    /**
     * The transfers of the funders' total quotas between groups ({@link #transfers}), null when there are none; per
     * pair of groups and funder, cumulative amounts that only grow: {@code GIVEN} (what the first gave the second, as
     * far as this node applied or appended it), {@code COMMITTED} (of it, what the first group's log has committed),
     * {@code ACCEPTED} (what the first accepted from the second). A group's lease moved by the sum of what it accepted
     * less the sum of what it gave ({@link #moved}). The daily quotas' transfers follow in the same three kinds of
     * words, each holding one UTC day's cumulative amount with the day ({@link #dailyWord}): a word of a newer day is
     * larger than any of an older one, so raising a word to a newer day's starts that day from 0, and a group's daily
     * lease of day {@code d} counts only the words of day {@code d} ({@link #movedDaily}): older days' transfers lapse.
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
                BufferUtil.allocateDirectAligned(KINDS * groups * groups * FundingQuotas.CAPACITY * Long.BYTES, 64));
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

    /** The UTC day of the group's newest daily use of the funder (0: none kept). */
    long usedDay(int group, int funder) {
        return QuotaWords.day(usage, check(group, funder));
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

    // ---- transfers of the daily quotas, per UTC day (docs/cluster.md, "Moving headroom between groups") ----

    /** A daily transfer word: {@code cumulativeMinor} given or accepted on the UTC day {@code dayIndex}. */
    static long dailyWord(long dayIndex, long cumulativeMinor) {
        if (dayIndex < 0 || dayIndex >= 1L << (63 - QuotaWords.DAY_SHIFT) || cumulativeMinor < 0
                || cumulativeMinor > QuotaWords.USED_MASK) {
            throw new IllegalArgumentException("daily quota transfer of " + cumulativeMinor + " on day " + dayIndex);
        }
        return dayIndex << QuotaWords.DAY_SHIFT | cumulativeMinor;
    }

    static long dayOf(long dailyWord) {
        return dailyWord >>> QuotaWords.DAY_SHIFT;
    }

    static long amountOf(long dailyWord) {
        return dailyWord & QuotaWords.USED_MASK;
    }

    /** The amount of a daily transfer word on {@code dayIndex}: 0 for a word of another day. */
    static long amountOn(long dailyWord, long dayIndex) {
        return dayOf(dailyWord) == dayIndex ? amountOf(dailyWord) : 0;
    }

    /**
     * What the group's lease of the funder's daily quota on {@code dayIndex} gained and lost by that day's transfers:
     * accepted minus given on that day; 0 for a day without transfers, so every day starts from the fixed share.
     */
    long movedDaily(int group, int funder, long dayIndex) {
        long moved = 0;
        if (moves != null) {
            for (int other = 0; other < groups; other++) {
                if (other != group) {
                    moved += amountOn(word(DAILY_ACCEPTED, group, other, funder), dayIndex)
                            - amountOn(word(DAILY_GIVEN, group, other, funder), dayIndex);
                }
            }
        }
        return moved;
    }

    /**
     * The newest UTC day of the group's own daily words of the funder: its use, what it gave, what it accepted. Its
     * leader reserves and gives on no older day (a late caller's day counts against it, as in {@link QuotaWords}), so
     * the transfers of a day count in its lease only while that day is its newest.
     */
    long day(int group, int funder) {
        long day = usedDay(group, funder);
        if (moves != null) {
            for (int other = 0; other < groups; other++) {
                if (other != group) {
                    day = Math.max(day, Math.max(dayOf(word(DAILY_GIVEN, group, other, funder)),
                            dayOf(word(DAILY_ACCEPTED, group, other, funder))));
                }
            }
        }
        return day;
    }

    /** The word of what {@code from} gave {@code to} of the funder's daily quota on the newest day of the pair. */
    long givenDailyWord(int from, int to, int funder) {
        return word(DAILY_GIVEN, from, to, funder);
    }

    /** Of {@link #givenDailyWord}, the word {@code from}'s log has committed: what {@code to} may accept. */
    long committedGivenDailyWord(int from, int to, int funder) {
        return word(DAILY_COMMITTED, from, to, funder);
    }

    /** The word of what {@code to} accepted from {@code from} of the funder's daily quota. */
    long acceptedDailyWord(int to, int from, int funder) {
        return word(DAILY_ACCEPTED, to, from, funder);
    }

    private long word(int kind, int group, int other, int funder) {
        return moves == null ? 0 : moves.getLongVolatile(pair(kind, group, other, funder));
    }

    /**
     * As {@link #give} for the funder's daily quota of the UTC day {@code dayIndex}: cumulative within that day, a
     * newer day's give starts the pair's count of that day (and the older day's lapses).
     */
    void giveDaily(int from, int to, int funder, long dayIndex, long cumulativeMinor, boolean committed) {
        requireTransfers(from, to);
        long word = dailyWord(dayIndex, cumulativeMinor);
        raise(pair(DAILY_GIVEN, from, to, funder), word);
        if (committed) {
            raise(pair(DAILY_COMMITTED, from, to, funder), word);
        }
    }

    /** As {@link #commitGiven} for the daily quota of {@code dayIndex} (any thread). */
    void commitGivenDaily(int from, int to, int funder, long dayIndex, long cumulativeMinor) {
        requireTransfers(from, to);
        raise(pair(DAILY_COMMITTED, from, to, funder), dailyWord(dayIndex, cumulativeMinor));
    }

    /** As {@link #accept} for the daily quota of {@code dayIndex}. */
    void acceptDaily(int to, int from, int funder, long dayIndex, long cumulativeMinor) {
        requireTransfers(from, to);
        raise(pair(DAILY_ACCEPTED, to, from, funder), dailyWord(dayIndex, cumulativeMinor));
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
