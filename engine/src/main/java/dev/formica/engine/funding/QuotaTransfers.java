package dev.formica.engine.funding;

/**
 * The moves of one group's leader between the Raft groups' leases ({@link FundingQuotas#moveHeadroom}; docs/cluster.md,
 * "Moving headroom between groups"): of every funder's total quota, and day by day of its daily quota. Both follow
 * one rule: accept every committed give not yet accepted; then, when this group has the most free headroom and
 * another group's is under a quarter of its fixed share with nothing in flight to it, give that group half the
 * difference. A give comes only from the giver's free part, checked on its shard's thread (the only writer of its
 * lease), and an accept only ever takes what the giver's log committed, so the leases of a quota never add up to
 * more than the quota.
 *
 * <p>The daily quota's transfers are of one UTC day: a group gives on its newest day ({@link QuotaLeases#day}: its
 * clock's day, or a later one its words already hold), its lease of a day counts only that day's transfers, and a
 * new day starts every lease from its fixed share. The overshoot bound of each day stays 0: a group reserves
 * against a day only while it is its newest day, so what it used of that day is within its fixed share plus what it
 * accepted of that day less what it gave of that day, and what the groups accepted of a day is within what their
 * givers' logs committed of that day.
 *
 * <p>Thread contract: the leader's shard thread of {@code group}; allocation-free.
 */
final class QuotaTransfers {
    private QuotaTransfers() {
    }

    /** One leader's moves for every funder; answers the changes told to {@code log}. */
    static int move(FundingQuotas q, QuotaLeases l, long[][] limits, int group, long dayIndex,
            FundingQuotas.TransferLog log) {
        int work = 0;
        for (int f = 0; f < FundingQuotas.CAPACITY; f++) {
            if (limits[0][f] <= 0) {
                continue;
            }
            work += moveTotal(q, l, limits[0][f], f, group, log);
            long daily = limits[1][f];
            if (daily > 0 && daily < FunderSpec.UNLIMITED_DAILY) {
                work += moveDaily(q, l, daily, f, group, dayIndex, log);
            }
        }
        return work;
    }

    private static int moveTotal(FundingQuotas q, QuotaLeases l, long total, int f, int group,
            FundingQuotas.TransferLog log) {
        int groups = l.groups();
        int work = 0;
        for (int from = 0; from < groups; from++) {
            long committed = from == group ? 0 : l.committedGiven(from, group, f);
            if (committed > l.accepted(group, from, f)) {
                l.accept(group, from, f, committed);
                log.accepted(f, from, committed);
                work++;
            }
        }
        long low = total / groups / 4;
        int richest = -1;
        long richestFree = Long.MIN_VALUE;
        int needy = -1;
        long needyFree = Long.MAX_VALUE;
        for (int g = 0; g < groups; g++) {
            long free = q.leaseTotal(f, g) - l.usedTotal(g, f);
            if (free > richestFree) {
                richest = g;
                richestFree = free;
            }
            if (g != group && free < low && free < needyFree && !inFlightTo(l, g, f)) {
                needy = g;
                needyFree = free;
            }
        }
        long amount = richest == group && needy >= 0 ? (richestFree - Math.max(0, needyFree)) / 2 : 0;
        if (amount > 0 && amount >= low / 8) {
            long cumulative = l.given(group, needy, f) + amount;
            l.give(group, needy, f, cumulative, false);
            log.gave(f, needy, cumulative);
            work++;
        }
        return work;
    }

    private static boolean inFlightTo(QuotaLeases l, int to, int funder) {
        for (int from = 0; from < l.groups(); from++) {
            if (from != to && l.given(from, to, funder) > l.accepted(to, from, funder)) {
                return true;
            }
        }
        return false;
    }

    /**
     * As {@link #moveTotal} for the funder's daily quota {@code daily}: accepts every committed daily give (of its
     * day, whatever it is: one of a day already past changes no lease that still reserves), then gives on the
     * group's newest day, no older than {@code dayIndex}.
     */
    private static int moveDaily(FundingQuotas q, QuotaLeases l, long daily, int f, int group, long dayIndex,
            FundingQuotas.TransferLog log) {
        int groups = l.groups();
        int work = 0;
        for (int from = 0; from < groups; from++) {
            long committed = from == group ? 0 : l.committedGivenDailyWord(from, group, f);
            if (committed > l.acceptedDailyWord(group, from, f)) {
                long day = QuotaLeases.dayOf(committed);
                long amount = QuotaLeases.amountOf(committed);
                l.acceptDaily(group, from, f, day, amount);
                log.acceptedDaily(f, from, day, amount);
                work++;
            }
        }
        long day = Math.max(dayIndex, l.day(group, f));
        long low = daily / groups / 4;
        int richest = -1;
        long richestFree = Long.MIN_VALUE;
        int needy = -1;
        long needyFree = Long.MAX_VALUE;
        for (int g = 0; g < groups; g++) {
            long free = q.leaseDaily(f, g, day) - l.usedToday(g, f, day);
            if (free > richestFree) {
                richest = g;
                richestFree = free;
            }
            // a group already on a later day (its leader's clock ahead) is left to givers of that day
            if (g != group && free < low && free < needyFree && l.day(g, f) <= day && !dailyInFlightTo(l, g, f)) {
                needy = g;
                needyFree = free;
            }
        }
        long amount = richest == group && needy >= 0 ? (richestFree - Math.max(0, needyFree)) / 2 : 0;
        long cumulative = amount <= 0 ? 0 : QuotaLeases.amountOn(l.givenDailyWord(group, needy, f), day) + amount;
        // a day's cumulative give is kept in 44 bits, as a day's use: past it (never with real quotas) no more gives
        if (amount > 0 && amount >= low / 8 && cumulative <= QuotaWords.USED_MASK) {
            l.giveDaily(group, needy, f, day, cumulative, false);
            log.gaveDaily(f, needy, day, cumulative);
            work++;
        }
        return work;
    }

    private static boolean dailyInFlightTo(QuotaLeases l, int to, int funder) {
        for (int from = 0; from < l.groups(); from++) {
            if (from != to && l.givenDailyWord(from, to, funder) > l.acceptedDailyWord(to, from, funder)) {
                return true;
            }
        }
        return false;
    }
}
