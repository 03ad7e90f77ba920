package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Outcome;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
        AtomicInteger next = new AtomicInteger();
        AtomicInteger approvals = new AtomicInteger();
        AtomicLong approvedPart = new AtomicLong();
        try (FormicaClient client = cluster.client(borrowers)) {
            // one Decide a poll, each with a new request id (a borrower's line holds many loans): an answer lost
            // to the failover is asked again with the same request id, and counted once
            Runnable decideNext = () -> {
                int i = next.get();
                assertTrue(i < 2_000, "a bounded number of Decides");
                String borrower = borrowers.get(i % borrowers.size());
                DecisionResponse r;
                try {
                    r = client.decide(ReplicatedNodes.decide(borrower, "t-" + i));
                } catch (StatusRuntimeException failover) {
                    return;
                }
                next.incrementAndGet();
                if (r.getOutcome() == Outcome.APPROVE) {
                    long part = r.getFundingList().stream().filter(s -> s.getFunderId().equals(BANK))
                            .mapToLong(FundingShare::getAmountMinor).sum();
                    assertEquals(PART, part, borrower + ": " + r);
                    approvals.incrementAndGet();
                    approvedPart.addAndGet(part);
                } else {
                    assertEquals("FUNDING_UNAVAILABLE", r.getReasons(0).getCode(), borrower + ": " + r);
                }
                assertTrue(approvedPart.get() <= QUOTA, "approved partner parts " + approvedPart + " within "
                        + QUOTA);
            };
            // group 0's fixed lease holds 4 parts (2,800 of 3,334): more come only from the other groups' leases
            await("group 0 approves more than its fixed lease holds").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        decideNext.run();
                        return approvals.get() >= 6;
                    });
            awaitLeasesAgree(new int[] {0, 1, 2}, approvedPart.get());

            // group 0's leader goes: its new leader accepts and asks as the old one did
            cluster.stop(0);
            cluster.awaitEveryGroupServed();
            await("group 0 approves more after the failover").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        decideNext.run();
                        return approvals.get() >= 10;
                    });
            assertTrue(approvedPart.get() > 2 * (QUOTA / 3 + 1), "group 0 lent more than twice its fixed lease: "
                    + approvedPart);
            long[] leases = awaitLeasesAgree(new int[] {1, 2}, approvedPart.get());
            assertTrue(leases[0] >= approvedPart.get(), "group 0's lease " + leases[0] + " holds its parts "
                    + approvedPart);
        }
        assertEquals(0, cluster.failStops.get(), "no node fail-stopped");
    }

    /**
     * Waits until the running {@code nodes} show the same leases of bank_q and the same use, each group's use within
     * its lease, the leases within the quota, and group 0's use the parts approved; returns the leases.
     */
    private long[] awaitLeasesAgree(int[] nodes, long approvedPart) {
        long[][] seen = new long[1][];
        await("the nodes' leases agree").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> {
                    long[] first = null;
                    for (int node : nodes) {
                        FundingQuotas q = quotas(node);
                        int slot = q.indexOf(BANK);
                        long[] leases = new long[6];
                        long sum = 0;
                        for (int g = 0; g < 3; g++) {
                            leases[g] = q.leaseTotal(slot, g);
                            leases[3 + g] = q.leaseUsedTotal(slot, g);
                            sum += leases[g];
                            assertTrue(leases[3 + g] <= leases[g], "node " + node + ", group " + g);
                        }
                        assertTrue(sum <= QUOTA, "node " + node + ": the leases add up to " + sum);
                        assertEquals(approvedPart, leases[3], "node " + node + ": group 0's use");
                        if (first == null) {
                            first = leases;
                        } else {
                            assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(leases),
                                    "node " + node + " against node " + nodes[0]);
                        }
                    }
                    seen[0] = first;
                });
        return seen[0];
    }
}
