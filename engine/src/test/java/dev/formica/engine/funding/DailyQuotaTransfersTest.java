package dev.formica.engine.funding;

import static dev.formica.engine.funding.QuotaTransfersTest.committedAtOnce;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.funding.FundingAllocator.Result;
import dev.formica.engine.funding.ProductFunding.Share;
import dev.formica.v1.Product;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headroom of the funders' daily quotas moving between the Raft groups' leases, day by day (docs/cluster.md, "Moving
 * headroom between groups"): a daily give shrinks the giver's lease of its day at once and the receiver's grows only
 * when it accepts the committed give; repeats and replays add nothing; a new day starts every lease from its fixed
 * share and the older day's transfers lapse; the frames' days, not a clock, place a replayed transfer; snapshots keep
 * the day's transfers; and the partner parts charged to a day never exceed its daily quota, also across midnight.
 */
class DailyQuotaTransfersTest {
    private static final long NOW = Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
    private static final long DAY = FundingQuotas.dayIndex(NOW);
    private static final long NEXT = DAY + 1;
    private static final long MS_PER_DAY = 86_400_000L;

    @TempDir
    Path dir;

    /** A leader's daily transfers as its group's frame would carry them: funder, group, day, cumulative amount. */
    private static final class Recorded implements FundingQuotas.TransferLog {
        final List<List<Long>> gave = new ArrayList<>();
        final List<List<Long>> accepted = new ArrayList<>();

        @Override
        public void gave(int funder, int toGroup, long cumulativeMinor) {
            throw new AssertionError("no total quota ran low here");
        }

        @Override
        public void accepted(int funder, int fromGroup, long cumulativeMinor) {
            throw new AssertionError("no total quota ran low here");
        }

        @Override
        public void gaveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
            gave.add(List.of((long) funder, (long) toGroup, dayIndex, cumulativeMinor));
        }

        @Override
        public void acceptedDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
            accepted.add(List.of((long) funder, (long) fromGroup, dayIndex, cumulativeMinor));
        }
    }

    /** A bank whose daily quota (300: fixed shares 100 each) binds long before its total. */
    private static int dailyBank(FundingQuotas q) {
        int bank = q.configure(List.of(new FunderSpec("bank", 1_000_000, 300)))[0];
        q.leases(3);
        return bank;
    }

    private static List<Long> dailyLeases(FundingQuotas q, int funder, long day) {
        return List.of(q.leaseDaily(funder, 0, day), q.leaseDaily(funder, 1, day), q.leaseDaily(funder, 2, day));
    }

    private static long sum(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void aDailyGiveCountsForTheReceiverOnlyOnceCommittedAndAccepted() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            int bank = dailyBank(q);
            assertEquals(80, FundingQuotas.amountOf(q.reserve(bank, 80, DAY, true, 0)), "group 0: 20 of 100 left");

            Recorded group1 = new Recorded();
            assertEquals(1, q.moveHeadroom(1, DAY, group1), "group 1, the richest of the day (ties to the lower)");
            assertEquals(List.of(List.of((long) bank, 0L, DAY, 40L)), group1.gave,
                    "half the difference of the day's free parts: (100 - 20) / 2, on the day");
            assertEquals(List.of(100L, 60L, 100L), dailyLeases(q, bank, DAY), "the giver's lease shrinks at once");
            assertEquals(260, sum(dailyLeases(q, bank, DAY)), "in flight: counted by nobody");
            assertEquals(333_334, q.leaseTotal(bank, 0), "the total quota's lease is not touched");

            Recorded group0 = new Recorded();
            assertEquals(0, q.moveHeadroom(0, DAY, group0), "nothing committed to accept yet");
            assertEquals(0, q.moveHeadroom(2, DAY, new Recorded()), "nobody gives while one to group 0 is in flight");

            q.commitGivenDaily(bank, 1, 0, DAY, 40); // group 1's frame is durable
            assertEquals(1, q.moveHeadroom(0, DAY, group0));
            assertEquals(List.of(List.of((long) bank, 1L, DAY, 40L)), group0.accepted);
            assertEquals(List.of(140L, 60L, 100L), dailyLeases(q, bank, DAY));
            assertEquals(300, sum(dailyLeases(q, bank, DAY)), "accepted: the day's leases add up to its quota");
            assertEquals(60, FundingQuotas.amountOf(q.reserve(bank, 70, DAY, false, 0)), "140 - 80");
            assertEquals(0, q.moveHeadroom(0, DAY, new Recorded()), "accepted once");

            // a repeat or a replay adds nothing: the same give and accept again, an older cumulative amount
            q.lane(1).giveDaily(bank, 0, DAY, 40);
            q.lane(1).giveDaily(bank, 0, DAY, 25);
            q.lane(0).acceptDaily(bank, 1, DAY, 40);
            q.lane(0).acceptDaily(bank, 1, DAY, 25);
            assertEquals(List.of(140L, 60L, 100L), dailyLeases(q, bank, DAY));
            assertEquals(40, q.leaseGivenDaily(bank, 1, 0, DAY));
            assertEquals(40, q.leaseAcceptedDaily(bank, 0, 1, DAY));
            assertEquals(140, q.leaseUsedToday(bank, 0, DAY));
        }
    }

    @Test
    void aNewDayStartsFromTheFixedSharesAndTheOlderDaysTransfersLapse() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            int bank = dailyBank(q);
            q.reserve(bank, 100, DAY, true, 0);
            q.moveHeadroom(1, DAY, committedAtOnce(q, 1));
            q.moveHeadroom(0, DAY, committedAtOnce(q, 0));
            assertEquals(List.of(150L, 50L, 100L), dailyLeases(q, bank, DAY), "group 1 gave 50 of the day");

            assertEquals(List.of(100L, 100L, 100L), dailyLeases(q, bank, NEXT), "the next day: the fixed shares");
            assertEquals(100, FundingQuotas.amountOf(q.reserve(bank, 120, NEXT, false, 0)),
                    "group 0 lends its fixed share of the new day, not the day before's 150");
            assertEquals(0, q.leaseDaily(bank, 0, DAY), "group 0 has left the older day: it lends nothing more on it");

            Recorded group1 = new Recorded();
            assertEquals(1, q.moveHeadroom(1, NEXT, group1));
            assertEquals(List.of(List.of((long) bank, 0L, NEXT, 50L)), group1.gave,
                    "the new day's cumulative give starts from 0, not from the 50 of the day before");
            q.commitGivenDaily(bank, 1, 0, NEXT, 50);
            assertEquals(1, q.moveHeadroom(0, NEXT, new Recorded()));
            assertEquals(List.of(150L, 50L, 100L), dailyLeases(q, bank, NEXT));
            assertEquals(0, q.leaseGivenDaily(bank, 1, 0, DAY), "the older day's give lapsed");

            long late = q.reserve(bank, 10, DAY, false, 1);
            assertEquals(NEXT, FundingQuotas.dayOf(late), "a late caller's older day counts against the group's day");
            assertEquals(10, FundingQuotas.amountOf(late));
            assertEquals(10, q.leaseUsedToday(bank, 1, NEXT));
            for (long day : List.of(DAY, NEXT)) {
                assertTrue(sum(dailyLeases(q, bank, day)) <= 300, "day " + day + ": " + dailyLeases(q, bank, day));
            }
        }
    }

    @Test
    void followersAndSnapshotsRebuildTheDaysTransfersFromTheFramesDays() throws Exception {
        try (FundingQuotas follower = FundingQuotas.open(dir.resolve("f.dat"));
                FundingQuotas restarted = FundingQuotas.open(dir.resolve("r.dat"))) {
            int bank = dailyBank(follower);
            dailyBank(restarted);
            // the frames of groups 0, 1 and 2 as a follower applies them, each transfer on its frame's day
            follower.lane(1).giveDaily(bank, 0, DAY - 1, 70);
            follower.lane(0).acceptDaily(bank, 1, DAY - 1, 70);
            follower.lane(0).replayReserve(bank, 90, DAY);
            follower.lane(1).giveDaily(bank, 0, DAY, 40);
            follower.lane(2).giveDaily(bank, 0, DAY, 25);
            follower.lane(0).acceptDaily(bank, 1, DAY, 40);
            assertEquals(List.of(140L, 60L, 75L), dailyLeases(follower, bank, DAY), "the day before's 70 lapsed");
            Recorded group0 = new Recorded();
            assertEquals(1, follower.moveHeadroom(0, DAY, group0), "a new leader of group 0 accepts what is committed");
            assertEquals(List.of(List.of((long) bank, 2L, DAY, 25L)), group0.accepted);

            // the groups' snapshots, through their tallies' bytes
            QuotaTally tally0 = new QuotaTally();
            tally0.acceptDaily(bank, 1, DAY - 1, 70);
            tally0.replayReserve(bank, 90, DAY);
            tally0.acceptDaily(bank, 1, DAY, 40);
            tally0.acceptDaily(bank, 2, DAY, 25);
            QuotaTally tally1 = new QuotaTally();
            tally1.giveDaily(bank, 0, DAY - 1, 70);
            tally1.giveDaily(bank, 0, DAY, 40);
            QuotaTally tally2 = new QuotaTally();
            tally2.giveDaily(bank, 0, DAY, 25);
            int g = 0;
            for (QuotaTally t : List.of(tally0, tally1, tally2)) {
                QuotaTally read = roundTrip(t);
                assertEquals(t.givenDailyTo(bank, 0, DAY), read.givenDailyTo(bank, 0, DAY));
                read.addTo(restarted, g++);
            }
            assertEquals(40, roundTrip(tally0).acceptedDailyFrom(bank, 1, DAY));
            assertEquals(0, roundTrip(tally0).acceptedDailyFrom(bank, 1, DAY - 1), "the newest day's only");
            for (int group = 0; group < 3; group++) {
                assertEquals(follower.leaseDaily(bank, group, DAY), restarted.leaseDaily(bank, group, DAY),
                        "group " + group);
                assertEquals(follower.leaseUsedToday(bank, group, DAY), restarted.leaseUsedToday(bank, group, DAY));
            }
            assertEquals(List.of(165L, 60L, 75L), dailyLeases(restarted, bank, DAY));
            assertEquals(0, restarted.moveHeadroom(0, DAY, new Recorded()), "a snapshot's gives are committed");
        }
    }

    @Test
    void aTallyWithoutDailyTransfersKeepsItsFormat() throws Exception {
        QuotaTally tally = new QuotaTally();
        tally.replayReserve(3, 70, DAY);
        tally.give(3, 1, 5);
        int withTotals = 4 + FundingQuotas.CAPACITY * 24 + 4 + 3 * FundingQuotas.CAPACITY * 16;
        assertEquals(withTotals, bytes(tally).length, "the funders' words and the total transfers, as before");
        tally.giveDaily(3, 1, DAY, 8);
        byte[] withDaily = bytes(tally);
        assertEquals(withTotals + 4 + 3 * FundingQuotas.CAPACITY * 16, withDaily.length, "the day's transfers after");
        assertEquals(0x6000_0000 | FundingQuotas.CAPACITY, new DataInputStream(new ByteArrayInputStream(withDaily))
                .readInt(), "flagged in the funder count");
        QuotaTally read = roundTrip(tally);
        assertEquals(5, read.givenTo(3, 1));
        assertEquals(8, read.givenDailyTo(3, 1, DAY));
        assertEquals(0, read.givenDailyTo(3, 1, NEXT));
    }

    /**
     * Three groups' leaders on three threads, each allocating and moving headroom as its shard does (its gives
     * committed at once), group 0 lending far more than the others, their clocks crossing midnight at different
     * moments (group 0 first, groups 1 and 2 later, so for a while group 0 is on a day its givers have not reached):
     * group 0 lends past its fixed daily share on both days, and the partner parts charged to each day never
     * exceed the daily quota, nor any group's parts of the new day its lease of it.
     */
    @Test
    void concurrentLeadersAcrossMidnightNeverTakeAPartnerPastItsDailyQuota() throws Exception {
        long quota = 60_000;
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = new FundingAllocator(q, List.of(new FunderSpec("bank", 1L << 40, quota)),
                    List.of(new ProductFunding(Product.CONSUMER_CREDIT,
                            List.of(new Share("platform", 3000), new Share("bank", 7000)))), 3000, 1L << 50);
            q.leases(3);
            int bank = q.indexOf("bank");
            ExecutorService pool = Executors.newFixedThreadPool(3);
            // the leaders keep pace (group 0 does far more per step): they meet every 500 steps, concurrent between
            CyclicBarrier step = new CyclicBarrier(3);
            List<Future<long[]>> parts = new ArrayList<>();
            for (int g = 0; g < 3; g++) {
                int group = g;
                parts.add(pool.submit(() -> {
                    FundingAllocation out = new FundingAllocation().lane(group);
                    long[] byDay = new long[2];
                    for (int i = 0; i < 20_000; i++) {
                        if (i % 500 == 0) {
                            step.await(30, TimeUnit.SECONDS);
                        }
                        long now = i < 10_000 + 2_000 * group ? NOW : NOW + MS_PER_DAY;
                        if (group == 0 || i % 100 == 0) {
                            allocate(allocator, out, 100 + i % 37, now, byDay);
                        }
                        if (i % 50 == 0) {
                            q.moveHeadroom(group, FundingQuotas.dayIndex(now), committedAtOnce(q, group));
                        }
                    }
                    return byDay;
                }));
            }
            long[] day = new long[2];
            long[] group0 = parts.get(0).get(60, TimeUnit.SECONDS);
            for (int g = 0; g < 3; g++) {
                long[] part = parts.get(g).get(60, TimeUnit.SECONDS);
                day[0] += part[0];
                day[1] += part[1];
            }
            pool.shutdown();
            long fixed = QuotaLeases.lease(quota, 0, 3);
            assertTrue(group0[0] > fixed + quota / 6, "group 0 lent well past its fixed share: " + group0[0]);
            assertTrue(group0[1] > fixed + quota / 6, "and again the next day: " + group0[1]);
            assertTrue(day[0] <= quota, "partner parts of the day " + day[0] + " within the daily quota");
            assertTrue(day[1] <= quota, "partner parts of the next day " + day[1] + " within the daily quota");
            assertTrue(sum(dailyLeases(q, bank, NEXT)) <= quota, "the next day's leases " + dailyLeases(q, bank, NEXT));
            for (int g = 0; g < 3; g++) {
                assertTrue(q.leaseUsedToday(bank, g, NEXT) <= q.leaseDaily(bank, g, NEXT), "group " + g);
            }
            assertEquals(day[1], q.usedToday(bank, NEXT), "the node's table counts the next day's parts");
        }
    }

    /** Allocates one loan and adds the partner's part to {@code byDay} at the day it was charged to. */
    private static void allocate(FundingAllocator allocator, FundingAllocation out, long amountMinor, long nowMs,
            long[] byDay) {
        if (allocator.allocate(Product.CONSUMER_CREDIT, amountMinor, nowMs, out) == Result.FUNDED) {
            for (int e = 0; e < out.count(); e++) {
                if ("bank".equals(out.funderId(e))) {
                    byDay[(int) (out.chargedDayIndex(e) - DAY)] += out.amountMinor(e);
                }
            }
        }
    }

    private static byte[] bytes(QuotaTally tally) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        tally.writeTo(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    private static QuotaTally roundTrip(QuotaTally tally) throws Exception {
        return new QuotaTally().readFrom(new DataInputStream(new ByteArrayInputStream(bytes(tally))));
    }
}
