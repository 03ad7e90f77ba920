package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Issue 22, deliverable 4: partner-quota headroom moves between the replicated groups' leases (docs/cluster.md,
 * "Moving headroom between groups"), so one group's borrowers can use what the other groups leave, and the partner
 * parts the cluster approves still never exceed the quota. Three nodes on loopback (gRPC 127.0.0.1:21300-21302, Raft
 * 21310-21312; or from {@code -Dformica.ports.base=B}), the rule set {@code rules/partner-quota.yaml} (bank_q funds 70
 * % of each loan, total quota 10,000 minor units: fixed leases 3,334, 3,333 and 3,333), loans of 1,000 (bank_q's part
 * 700), Decides only on borrowers of group 0, one at a time:
 *
 * <ul>
 *   <li>group 0 approves more than the 4 parts its fixed lease holds once the other groups' headroom has moved to it
 *       (the Decides that come while a transfer is in flight decline FUNDING_UNAVAILABLE, as before);
 *   <li>group 0's leader stopped, its new leader (whose node leads another group too) goes on with the transfers;
 *   <li>the approved partner parts, counted from the answers, never exceed the quota; each running node's leases
 *       show the same transfers, and they add up to at most the quota; no fail-stop.
 * </ul>
 */
class ReplicatedQuotaTransferTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 21300);
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    private static final String BANK = "bank_q";
    private static final long QUOTA = 10_000;
    private static final long PART = 700;

    @TempDir
    Path dir;
    private ReplicatedNodes cluster;

    @BeforeEach
    void start() {
        cluster = new ReplicatedNodes(dir, NODES, RAFT, c -> c.clusterSnapshotEntries(1_000_000)
                .expectedBorrowers(1000).expectedDecisionsPerDay(1000))
                .rules("rules/partner-quota.yaml");
        cluster.startAll();
        cluster.awaitEveryGroupLedByItsOwnNode();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    private FundingQuotas quotas(int node) {
        return cluster.server(node).pipeline().risk().quotas();
    }

    @Test
    void headroomMovesToTheGroupThatLendsAndThePartnerStaysWithinItsQuota() throws Exception {
        List<String> borrowers = ReplicatedNodes.borrowersOf(0, "transfer-", 20);
        try (FormicaClient client = cluster.client(borrowers)) {
            PartnerQuotaDriver driver = new PartnerQuotaDriver(client, borrowers, "t-", BANK, PART, QUOTA, () -> { });
            // group 0's fixed lease holds 4 parts (2,800 of 3,334): more come only from the other groups' leases
            driver.decideUntilApprovals("group 0 approves more than its fixed lease holds", 6);
            awaitLeasesAgree(driver, new int[] {0, 1, 2});

            // group 0's leader goes: its new leader accepts and asks as the old one did
            cluster.stop(0);
            cluster.awaitEveryGroupServed();
            driver.decideUntilApprovals("group 0 approves more after the failover", 10);
            long approvedPart = driver.approvedPart();
            assertTrue(approvedPart > 2 * (QUOTA / 3 + 1), "group 0 lent more than twice its fixed lease: "
                    + approvedPart);
            long[] leases = awaitLeasesAgree(driver, new int[] {1, 2});
            assertTrue(leases[0] >= approvedPart, "group 0's lease " + leases[0] + " holds its parts "
                    + approvedPart);
        }
        assertEquals(0, cluster.failStops.get(), "no node fail-stopped");
    }

    /** The running {@code nodes}' leases of bank_q's total quota agree (PartnerQuotaDriver.awaitLeasesAgree). */
    private long[] awaitLeasesAgree(PartnerQuotaDriver driver, int[] nodes) {
        return driver.awaitLeasesAgree(this::quotas, nodes, new PartnerQuotaDriver.LeaseView() {
            @Override
            public long lease(FundingQuotas q, int slot, int group) {
                return q.leaseTotal(slot, group);
            }

            @Override
            public long used(FundingQuotas q, int slot, int group) {
                return q.leaseUsedTotal(slot, group);
            }
        }, Duration.ofSeconds(30));
    }
}
