package dev.formica.engine.funding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headroom of the funders' total quotas moving between the Raft groups' leases (docs/cluster.md, "Moving headroom
 * between groups"): a give shrinks the giver's lease at once, the receiver's grows only when it accepts a committed
 * give, what is in flight counts in no lease, accepts and replayed gives are idempotent, followers and snapshots
 * rebuild the same leases, and the leases never add up to more than the quota.
 */
class QuotaTransfersTest {
    private static final long NOW = Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
    private static final long DAY = FundingQuotas.dayIndex(NOW);

    @TempDir
    Path dir;

    /** A leader's transfers as its group's frame would carry them. */
    private static final class Recorded implements FundingQuotas.TransferLog {
        final List<long[]> gave = new ArrayList<>();
        final List<long[]> accepted = new ArrayList<>();

        @Override
        public void gave(int funder, int toGroup, long cumulativeMinor) {
            gave.add(new long[] {funder, toGroup, cumulativeMinor});
        }

        @Override
        public void accepted(int funder, int fromGroup, long cumulativeMinor) {
            accepted.add(new long[] {funder, fromGroup, cumulativeMinor});
        }

        @Override
        public void gaveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
            throw new AssertionError("no daily quota ran low here");
        }

        @Override
        public void acceptedDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
            throw new AssertionError("no daily quota ran low here");
        }
    }

    private static long leases(FundingQuotas q, int funder) {
        return q.leaseTotal(funder, 0) + q.leaseTotal(funder, 1) + q.leaseTotal(funder, 2);
    }

    @Test
    void aGiveCountsForTheReceiverOnlyOnceCommittedAndAccepted() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", 300, 1000)))[0];
            q.leases(3);
            assertTrue(q.leaseTransfers());
            assertEquals(80, FundingQuotas.amountOf(q.reserve(bank, 80, DAY, true, 0)), "group 0: 20 of 100 left");

            Recorded group1 = new Recorded();
            assertEquals(1, q.moveHeadroom(1, DAY, group1), "group 1, the richest (ties to the lower), gives");
            assertEquals(List.of(List.of(0L + bank, 0L, 40L)), group1.gave.stream().map(a -> List.of(a[0], a[1], a[2]))
                    .toList(), "half the difference of the free parts: (100 - 20) / 2");
            assertEquals(60, q.leaseTotal(bank, 1), "the giver's lease shrinks at once");
            assertEquals(100, q.leaseTotal(bank, 0), "not accepted: the receiver's lease as it was");
            assertEquals(260, leases(q, bank), "in flight: counted by nobody");

            Recorded group0 = new Recorded();
            assertEquals(0, q.moveHeadroom(0, DAY, group0), "nothing committed to accept yet");
            Recorded group2 = new Recorded();
            assertEquals(0, q.moveHeadroom(2, DAY, group2), "nobody gives while a give to group 0 is in flight");

            q.commitGiven(bank, 1, 0, 40); // group 1's frame is durable
            assertEquals(1, q.moveHeadroom(0, DAY, group0));
            assertEquals(List.of(List.of(0L + bank, 1L, 40L)), group0.accepted.stream()
                    .map(a -> List.of(a[0], a[1], a[2])).toList());
            assertEquals(140, q.leaseTotal(bank, 0));
            assertEquals(300, leases(q, bank), "accepted: the leases add up to the quota again");
            assertEquals(60, FundingQuotas.amountOf(q.reserve(bank, 70, DAY, false, 0)), "140 - 80");
            assertEquals(0, q.moveHeadroom(0, DAY, new Recorded()), "accepted once");
            assertEquals(334, q.leaseDaily(bank, 0, DAY), "no group ran low of its daily lease: none moved");

            // replayed frames are idempotent: the same give and accept again change nothing
            q.lane(1).give(bank, 0, 40);
            q.lane(0).accept(bank, 1, 40);
            assertEquals(List.of(140L, 60L, 100L), List.of(q.leaseTotal(bank, 0), q.leaseTotal(bank, 1),
                    q.leaseTotal(bank, 2)));
            assertEquals(40, q.leaseGiven(bank, 1, 0));
            assertEquals(40, q.leaseAccepted(bank, 0, 1));
        }
    }

    @Test
    void followersAndSnapshotsRebuildTheLeaderssLeases() throws Exception {
        try (FundingQuotas follower = FundingQuotas.open(dir.resolve("f.dat"));
                FundingQuotas restarted = FundingQuotas.open(dir.resolve("r.dat"))) {
            for (FundingQuotas q : List.of(follower, restarted)) {
                q.configure(List.of(new FunderSpec("bank", 300, FunderSpec.UNLIMITED_DAILY)));
                q.leases(3);
            }
            int bank = follower.indexOf("bank");
            // the frames of groups 0, 1 and 2 as a follower applies them: a reservation, two gives, one accepted
            follower.lane(0).replayReserve(bank, 90, DAY);
            follower.lane(1).give(bank, 0, 40);
            follower.lane(2).give(bank, 0, 25);
            follower.lane(0).accept(bank, 1, 40);
            assertEquals(List.of(140L, 60L, 75L), List.of(follower.leaseTotal(bank, 0), follower.leaseTotal(bank, 1),
                    follower.leaseTotal(bank, 2)));
            Recorded group0 = new Recorded();
            assertEquals(1, follower.moveHeadroom(0, DAY, group0), "a new leader of group 0 accepts what is committed");
            assertEquals(2, group0.accepted.get(0)[1]);
            assertEquals(25, group0.accepted.get(0)[2]);

            // group 0's snapshot and group 2's, through their tallies' bytes
            QuotaTally tally0 = new QuotaTally();
            tally0.replayReserve(bank, 90, DAY);
            tally0.accept(bank, 1, 40);
            tally0.accept(bank, 2, 25);
            QuotaTally tally2 = new QuotaTally();
            tally2.give(bank, 0, 25);
            QuotaTally tally1 = new QuotaTally();
            tally1.give(bank, 0, 40);
            int g = 0;
            for (QuotaTally t : List.of(tally0, tally1, tally2)) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                t.writeTo(new DataOutputStream(bytes));
                new QuotaTally().readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())))
                        .addTo(restarted, g++);
            }
            for (int group = 0; group < 3; group++) {
                assertEquals(follower.leaseTotal(bank, group), restarted.leaseTotal(bank, group), "group " + group);
                assertEquals(follower.leaseUsedTotal(bank, group), restarted.leaseUsedTotal(bank, group));
            }
            assertEquals(0, restarted.moveHeadroom(0, DAY, new Recorded()),
                    "a snapshot's gives are committed, accepted");
            restarted.resetUsage();
            assertEquals(100, restarted.leaseTotal(bank, 0), "a restart rebuilds the transfers from scratch");
        }
    }

    @Test
    void aTallyWithoutTransfersKeepsTheOlderFormat() throws Exception {
        QuotaTally tally = new QuotaTally();
        tally.replayReserve(3, 70, DAY);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        tally.writeTo(new DataOutputStream(bytes));
        assertEquals(4 + FundingQuotas.CAPACITY * 24, bytes.size(), "the funder count and 3 words per funder");
        assertEquals(FundingQuotas.CAPACITY, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))
                .readInt());
        tally.give(3, 1, 5);
        bytes.reset();
        tally.writeTo(new DataOutputStream(bytes));
        QuotaTally read = new QuotaTally().readFrom(new DataInputStream(new ByteArrayInputStream(
                bytes.toByteArray())));
        assertEquals(5, read.givenTo(3, 1));
        assertEquals(0, read.acceptedFrom(3, 1));
    }

    @Test
    void noTransfersOnOneNodeNorBeyondThreeGroups() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", 400, FunderSpec.UNLIMITED_DAILY)))[0];
            assertEquals(0, q.moveHeadroom(0, DAY, new Recorded()), "no leases");
            assertFalse(q.leaseTransfers());
            q.leases(4);
            assertFalse(q.leaseTransfers(), "4 groups: a node does not host every group");
            q.reserve(bank, 100, DAY, true, 0);
            assertEquals(0, q.moveHeadroom(1, DAY, new Recorded()));
            assertEquals(100, q.leaseTotal(bank, 0));
        }
    }

    /**
     * Three groups' leaders on three threads, each allocating and moving headroom as its shard does (its gives
     * committed at once), group 0 lending far more than the others: group 0 gets more than its fixed share, the
     * partner parts never exceed the quota, nor the leases the quota, nor any group's parts its lease.
     */
    @Test
    void concurrentLeadersMovingHeadroomNeverTakeAPartnerPastItsQuota() throws Exception {
        long quota = 90_000;
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = new FundingAllocator(q, List.of(new FunderSpec("bank", quota,
                    FunderSpec.UNLIMITED_DAILY)), List.of(new ProductFunding(Product.CONSUMER_CREDIT,
                    List.of(new Share("platform", 3000), new Share("bank", 7000)))), 3000, 1L << 50);
            q.leases(3);
            int bank = q.indexOf("bank");
            ExecutorService pool = Executors.newFixedThreadPool(3);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> parts = new ArrayList<>();
            for (int g = 0; g < 3; g++) {
                int group = g;
                parts.add(pool.submit(() -> {
                    FundingAllocation out = new FundingAllocation().lane(group);
                    go.await();
                    long partner = 0;
                    for (int i = 0; i < 20_000; i++) {
                        if (group == 0 || i % 100 == 0) {
                            partner += allocate(allocator, out, 100 + i % 37);
                        }
                        if (i % 50 == 0) {
                            q.moveHeadroom(group, DAY, committedAtOnce(q, group));
                            assertTrue(leases(q, bank) <= quota, "the leases within the quota");
                        }
                    }
                    return partner;
                }));
            }
            go.countDown();
            long sum = 0;
            long[] part = new long[3];
            for (int g = 0; g < 3; g++) {
                part[g] = parts.get(g).get(60, TimeUnit.SECONDS);
                sum += part[g];
            }
            pool.shutdown();
            // then, one leader after the other, until nothing moves: group 0 lends what the others leave
            FundingAllocation out = new FundingAllocation().lane(0);
            for (int moved = 1; moved > 0; ) {
                moved = 0;
                for (int g = 0; g < 3; g++) {
                    moved += q.moveHeadroom(g, DAY, committedAtOnce(q, g));
                }
                for (long p = allocate(allocator, out, 120); p > 0; p = allocate(allocator, out, 120)) {
                    part[0] += p;
                    sum += p;
                }
                assertTrue(leases(q, bank) <= quota, "the leases within the quota");
            }
            assertTrue(part[0] > QuotaLeases.lease(quota, 0, 3) + quota / 6,
                    "group 0 lent well past its fixed share: " + part[0] + " of " + quota);
            for (int g = 0; g < 3; g++) {
                assertTrue(part[g] <= q.leaseTotal(bank, g), "group " + g + ": " + part[g]);
                assertEquals(part[g], q.leaseUsedTotal(bank, g), "group " + g + "'s lease counts its parts");
            }
            assertTrue(sum <= quota, "partner parts " + sum + " within the quota " + quota);
            assertTrue(leases(q, bank) <= quota);
            assertEquals(sum, q.usedTotal(bank));
        }
    }

    /** The partner's part of one allocated loan, 0 when it was not funded. */
    private static long allocate(FundingAllocator allocator, FundingAllocation out, long amountMinor) {
        long partner = 0;
        if (allocator.allocate(Product.CONSUMER_CREDIT, amountMinor, NOW, out) == Result.FUNDED) {
            for (int e = 0; e < out.count(); e++) {
                partner += "bank".equals(out.funderId(e)) ? out.amountMinor(e) : 0;
            }
        }
        return partner;
    }

    /**
     * A leader's transfer log whose gives are committed at once (a group's frame durable as it is appended); also
     * DailyQuotaTransfersTest's.
     */
    static FundingQuotas.TransferLog committedAtOnce(FundingQuotas q, int group) {
        return new FundingQuotas.TransferLog() {
            @Override
            public void gave(int funder, int toGroup, long cumulativeMinor) {
                q.commitGiven(funder, group, toGroup, cumulativeMinor);
            }

            @Override
            public void accepted(int funder, int fromGroup, long cumulativeMinor) {
            }

            @Override
            public void gaveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
                q.commitGivenDaily(funder, group, toGroup, dayIndex, cumulativeMinor);
            }

            @Override
            public void acceptedDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
            }
        };
    }
}
