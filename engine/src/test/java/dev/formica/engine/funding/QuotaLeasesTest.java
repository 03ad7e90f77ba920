package dev.formica.engine.funding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.funding.FundingAllocator.Result;
import dev.formica.engine.funding.ProductFunding.Share;
import dev.formica.v1.Product;
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
 * The Raft groups' leases of the funders' quotas on a replicated node (docs/cluster.md, "Partner quotas across
 * groups: leases"): fixed shares that add up to each quota, reservations of a group bounded by its own share,
 * releases and replayed frames counted in the group's lease, and no lease at all for a caller without a group.
 */
class QuotaLeasesTest {
    private static final long NOW = Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
    private static final long DAY = FundingQuotas.dayIndex(NOW);

    @TempDir
    Path dir;

    @Test
    void leasesAddUpToTheQuotaExactly() {
        for (long quota : new long[] {0, 1, 2, 3, 10, 1_000_001, FunderSpec.MAX_TOTAL_QUOTA}) {
            for (int groups = 1; groups <= 7; groups++) {
                long sum = 0;
                for (int g = 0; g < groups; g++) {
                    long lease = QuotaLeases.lease(quota, g, groups);
                    assertTrue(lease >= quota / groups && lease <= quota / groups + 1, quota + "/" + groups);
                    sum += lease;
                }
                assertEquals(quota, sum, "quota " + quota + " over " + groups + " groups");
            }
        }
    }

    @Test
    void aGroupReservesOnlyWithinItsLeaseAndReleasesGiveItBack() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", 10, 7)))[0];
            q.leases(3);
            assertEquals(List.of(4L, 3L, 3L), List.of(q.leaseTotal(bank, 0), q.leaseTotal(bank, 1),
                    q.leaseTotal(bank, 2)));
            assertEquals(List.of(3L, 2L, 2L), List.of(q.leaseDaily(bank, 0, DAY), q.leaseDaily(bank, 1, DAY),
                    q.leaseDaily(bank, 2, DAY)));

            assertEquals(3, FundingQuotas.amountOf(q.reserve(bank, 5, DAY, false, 0)), "group 0's daily lease: 3");
            assertEquals(0, FundingQuotas.amountOf(q.reserve(bank, 1, DAY, true, 0)), "group 0 holds its day");
            assertEquals(2, FundingQuotas.amountOf(q.reserve(bank, 2, DAY, true, 1)), "group 1 its own 2");
            assertEquals(5, q.usedTotal(bank), "the node's table counts both");
            assertEquals(3, q.leaseUsedTotal(bank, 0));
            assertEquals(2, q.leaseUsedToday(bank, 1, DAY));

            q.release(bank, 2, DAY, 0);
            assertEquals(1, q.leaseUsedTotal(bank, 0), "a release gives back to the group's lease");
            assertEquals(3, q.usedTotal(bank));
            assertEquals(2, FundingQuotas.amountOf(q.reserve(bank, 2, DAY, true, 0)), "and it is used again");

            // the next day: group 0 has its total lease 4 less the 3 it holds
            assertEquals(1, FundingQuotas.amountOf(q.reserve(bank, 3, DAY + 1, false, 0)));
            assertEquals(0, FundingQuotas.amountOf(q.reserve(bank, 1, DAY + 1, false, 0)), "total lease spent");

            // no group (-1): the node's table alone, as a single node reserves
            assertEquals(4, FundingQuotas.amountOf(q.reserve(bank, 10, DAY + 1, false, -1)),
                    "the quota's rest, whoever's lease it is: 10 - 6 used, of the day's 7 less 1");
            assertEquals(10, q.usedTotal(bank));
        }
    }

    @Test
    void replayedFramesAndSnapshotsCountInTheirGroupsLease() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", 30, FunderSpec.UNLIMITED_DAILY)))[0];
            q.leases(3);
            QuotaSink group2 = q.lane(2);
            group2.replayReserve(bank, 6, DAY);
            group2.replayReserve(bank, 4, DAY);
            group2.release(bank, 3, DAY);
            assertEquals(7, q.leaseUsedTotal(bank, 2));
            assertEquals(0, q.leaseUsedTotal(bank, 1));
            assertEquals(7, q.usedTotal(bank));
            assertEquals(3, FundingQuotas.amountOf(q.reserve(bank, 9, DAY, false, 2)),
                    "the new leader of group 2 reserves only what its followed frames left of its 10");

            QuotaTally snapshotOfGroup1 = new QuotaTally();
            snapshotOfGroup1.replayReserve(bank, 8, DAY);
            snapshotOfGroup1.addTo(q, 1);
            assertEquals(8, q.leaseUsedTotal(bank, 1));
            assertEquals(2, FundingQuotas.amountOf(q.reserve(bank, 5, DAY, false, 1)));
            assertEquals(20, q.usedTotal(bank));

            q.resetUsage();
            assertEquals(0, q.leaseUsedTotal(bank, 1), "a restart rebuilds the leases from scratch");
            assertThrows(IndexOutOfBoundsException.class, () -> q.lane(3));
        }
    }

    /**
     * Three groups' leaders reserving at once on one node (one thread per group) for a partner whose quota binds:
     * the partners' parts never exceed the quota, nor any group's its lease.
     */
    @Test
    void concurrentGroupsNeverTakeAPartnerPastItsQuota() throws Exception {
        long quota = 100_003;
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
                    for (int i = 0; i < 2_000; i++) {
                        if (allocator.allocate(Product.CONSUMER_CREDIT, 100 + i % 37, NOW, out) == Result.FUNDED) {
                            for (int e = 0; e < out.count(); e++) {
                                partner += "bank".equals(out.funderId(e)) ? out.amountMinor(e) : 0;
                            }
                        }
                    }
                    return partner;
                }));
            }
            go.countDown();
            long sum = 0;
            for (int g = 0; g < 3; g++) {
                long part = parts.get(g).get(60, TimeUnit.SECONDS);
                assertTrue(part <= q.leaseTotal(bank, g), "group " + g + ": " + part);
                assertEquals(part, q.leaseUsedTotal(bank, g), "group " + g + "'s lease counts its parts");
                sum += part;
            }
            pool.shutdown();
            assertTrue(sum <= quota, "partner parts " + sum + " within the quota " + quota);
            assertTrue(sum > quota - 3 * 200, "each lease used up to less than one loan's part: " + sum);
            assertEquals(sum, q.usedTotal(bank));
        }
    }
}
