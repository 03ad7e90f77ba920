package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.funding.FundingQuotas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22, item 4: the headroom of a partner's DAILY quota moves between the replicated groups' leases day by day
 * (docs/cluster.md, "Moving headroom between groups"), so a funder whose daily quota binds before its total no longer
 * strands the other groups' shares of the day, and the partner parts the cluster approves on a day never exceed the
 * daily quota. Three nodes on loopback (gRPC 127.0.0.1:21800-21802, Raft 21810-21812; or from
 * {@code -Dformica.ports.base=B}), the rule set {@code rules/partner-daily-quota.yaml} (bank_d funds 70 % of each loan,
 * daily quota 10,000 minor units: fixed daily leases 3,334, 3,333 and 3,333; total quota 100,000), loans of 1,000
 * (bank_d's part 700), Decides only on borrowers of group 0, one at a time:
 *
 * <ul>
 *   <li>group 0 approves more than the 4 parts its fixed daily lease holds once the other groups' daily headroom has
 *       moved to it, and its total lease does not move (the total quota never ran low);
 *   <li>group 0's leader stopped, its new leader goes on accepting until group 0 has lent more than twice its fixed
 *       daily lease;
 *   <li>the approved partner parts, counted from the answers, never exceed the daily quota; every running node's daily
 *       leases of the day show the same transfers and add up to at most the daily quota; the stopped node restarted
 *       (its Raft log replayed: the transfers' frames with their day) shows the same; no fail-stop.
 * </ul>
 *
 * <p>The day is the wall clock's (the servers' clocks): a run that crosses midnight UTC is aborted, not judged.
 */
class ReplicatedDailyQuotaTransferTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 21800);
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    private static final String BANK = "bank_d";
    private static final long DAILY = 10_000;
    private static final long TOTAL = 100_000;
    private static final long PART = 700;

    @TempDir
    Path dir;
    private ReplicatedNodes cluster;
    private long day;

    @BeforeEach
    void start() {
        cluster = new ReplicatedNodes(dir, NODES, RAFT, c -> c.clusterSnapshotEntries(1_000_000)
                .expectedBorrowers(1000).expectedDecisionsPerDay(1000))
                .rules("rules/partner-daily-quota.yaml");
        cluster.startAll();
        cluster.awaitEveryGroupLedByItsOwnNode();
        day = today();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    private static long today() {
        return FundingQuotas.dayIndex(System.currentTimeMillis());
    }

    private FundingQuotas quotas(int node) {
        return cluster.server(node).pipeline().risk().quotas();
    }

    @Test
    void dailyHeadroomMovesToTheGroupThatLendsAndThePartnerStaysWithinItsDailyQuota() throws Exception {
        List<String> borrowers = ReplicatedNodes.borrowersOf(0, "daily-", 20);
        try (FormicaClient client = cluster.client(borrowers)) {
            PartnerQuotaDriver driver = new PartnerQuotaDriver(client, borrowers, "d-", BANK, PART, DAILY,
                    this::assumeSameDay);
            // group 0's fixed daily lease holds 4 parts (2,800 of 3,334): more come only from the other groups' leases
            driver.decideUntilApprovals("group 0 approves more than its fixed daily lease holds", 6);
            awaitDailyLeasesAgree(driver, new int[] {0, 1, 2});
            for (int g = 0; g < 3; g++) {
                FundingQuotas q = quotas(0);
                assertEquals(TOTAL / 3 + (g == 0 ? 1 : 0), q.leaseTotal(q.indexOf(BANK), g),
                        "group " + g + "'s total lease did not move: the total quota never ran low");
            }

            // group 0's leader goes: its new leader accepts as the old one did
            cluster.stop(0);
            cluster.awaitEveryGroupServed();
            driver.decideUntilApprovals("group 0 approves more after the failover", 10);
            long approvedPart = driver.approvedPart();
            assertTrue(approvedPart > 2 * (DAILY / 3 + 1), "group 0 lent more than twice its fixed daily "
                    + "lease: " + approvedPart);
            long[] leases = awaitDailyLeasesAgree(driver, new int[] {1, 2});
            assertTrue(leases[0] >= approvedPart, "group 0's daily lease " + leases[0] + " holds its parts "
                    + approvedPart);

            // the stopped node, restarted, replays the groups' logs: the same daily leases of the day
            cluster.start(0);
            awaitDailyLeasesAgree(driver, new int[] {0, 1, 2});
        }
        assertEquals(0, cluster.failStops.get(), "no node fail-stopped");
    }

    private void assumeSameDay() {
        assumeTrue(today() == day, "the run crossed midnight UTC: the daily quota's day changed");
    }

    /** The running {@code nodes}' daily leases of bank_d of the day agree (PartnerQuotaDriver.awaitLeasesAgree). */
    private long[] awaitDailyLeasesAgree(PartnerQuotaDriver driver, int[] nodes) {
        return driver.awaitLeasesAgree(this::quotas, nodes, new PartnerQuotaDriver.LeaseView() {
            @Override
            public long lease(FundingQuotas q, int slot, int group) {
                return q.leaseDaily(slot, group, day);
            }

            @Override
            public long used(FundingQuotas q, int slot, int group) {
                return q.leaseUsedToday(slot, group, day);
            }
        }, Duration.ofSeconds(60));
    }
}
