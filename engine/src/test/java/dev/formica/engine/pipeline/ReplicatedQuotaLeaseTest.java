package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Outcome;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22, deliverable 4 (state that spans partitions), for partner quotas: on three replicated nodes each group's
 * leader reserves a partner's quota only within its group's lease (a third of the quota), so the partner parts the
 * cluster approves never exceed the quota, whatever the replication lag, and a group's lease fails over with it.
 * Three nodes on loopback (gRPC 127.0.0.1:21000-21002, Raft 21010-21012; or from {@code -Dformica.ports.base=B},
 * B..B+2 and B+10..B+12), the rule set {@code rules/partner-quota.yaml} (bank_q funds 70 % of each loan, total quota
 * 10,000 minor units: leases 3,334, 3,333 and 3,333), loans of 1,000 (bank_q's part 700):
 *
 * <ul>
 *   <li>Decides on borrowers of all three groups at once, on the three leaders: each approval carries a part of 700,
 *       every other answer declines with FUNDING_UNAVAILABLE, and the approved partner parts, counted from the
 *       answers, stay within the quota (headroom moving between the groups meanwhile: ReplicatedQuotaTransferTest);
 *   <li>every node's leases show each group's use (the groups it follows included), each within its lease, and its
 *       gauge {@code formica_partner_quota_lease_left_minor} each group's lease left;
 *   <li>group 0's leader stopped: the new leader reserves against group 0's use as the group's log left it, approves
 *       only within the quota, and a Cancel of a group-0 hold gives its part back to group 0's lease;
 *   <li>the stopped node restarted (group snapshots and the entries after them) shows the same leases.
 * </ul>
 */
class ReplicatedQuotaLeaseTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 21000);
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    private static final GroupLayout LAYOUT = ReplicatedNodes.LAYOUT;
    private static final String BANK = "bank_q";
    private static final long QUOTA = 10_000;
    private static final long PART = 700;
    private static final int PER_GROUP = 8;

    @TempDir
    Path dir;
    private ReplicatedNodes cluster;

    @BeforeEach
    void start() {
        cluster = new ReplicatedNodes(dir, NODES, RAFT, c -> c.clusterSnapshotEntries(1_000_000)
                .snapshotInterval(Duration.ofMillis(300)).expectedBorrowers(1000).expectedDecisionsPerDay(1000))
                .rules("rules/partner-quota.yaml");
        cluster.startAll();
        cluster.awaitEveryGroupLedByItsOwnNode();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    private static long partnerPart(DecisionResponse r) {
        return r.getFundingList().stream().filter(s -> s.getFunderId().equals(BANK))
                .mapToLong(FundingShare::getAmountMinor).sum();
    }

    private static boolean unfunded(DecisionResponse r) {
        return r.getOutcome() == Outcome.DECLINE && r.getReasons(0).getCode().equals("FUNDING_UNAVAILABLE");
    }

    private FundingQuotas quotas(int node) {
        return cluster.server(node).pipeline().risk().quotas();
    }

    /** Every running node's leases show {@code used[g]} of bank_q for group {@code g}, and their sum in its table. */
    private void awaitEveryNodeShows(long[] used, String when) {
        await(when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            for (int node = 0; node < 3; node++) {
                if (!cluster.running(node)) {
                    continue;
                }
                FundingQuotas q = quotas(node);
                int slot = q.indexOf(BANK);
                assertEquals(3, q.leaseGroups(), "node " + node);
                long leases = 0;
                for (int g = 0; g < 3; g++) {
                    assertEquals(used[g], q.leaseUsedTotal(slot, g), "node " + node + ", group " + g);
                    assertTrue(used[g] <= q.leaseTotal(slot, g), "node " + node + ", group " + g + "'s lease");
                    leases += q.leaseTotal(slot, g);
                }
                assertTrue(leases <= QUOTA, "node " + node + "'s leases add up to " + leases);
                assertEquals(used[0] + used[1] + used[2], q.usedTotal(slot), "node " + node + "'s table");
                for (int g = 0; g < 3; g++) {
                    assertEquals((double) q.leaseTotal(slot, g) - used[g], leaseGauge(node, g),
                            "node " + node + "'s formica_partner_quota_lease_left_minor, group " + g);
                }
            }
        });
    }

    /** The node's {@code formica_partner_quota_lease_left_minor} of bank_q for group {@code group}, as scraped. */
    private double leaseGauge(int node, int group) {
        for (MetricSnapshot m : cluster.server(node).metrics().registry().scrape()) {
            if (m.getMetadata().getPrometheusName().equals("formica_partner_quota_lease_left_minor")) {
                for (GaugeSnapshot.GaugeDataPointSnapshot p : ((GaugeSnapshot) m).getDataPoints()) {
                    if (BANK.equals(p.getLabels().get("partner"))
                            && Integer.toString(group).equals(p.getLabels().get("group"))) {
                        return p.getValue();
                    }
                }
            }
        }
        throw new AssertionError("node " + node + ": no lease gauge of group " + group + " scraped");
    }

    @Test
    void theGroupsApprovalsNeverTakeThePartnerPastItsQuota() throws Exception {
        List<String> borrowers = new ArrayList<>();
        IntStream.range(0, 3).forEach(g -> borrowers.addAll(ReplicatedNodes.borrowersOf(g, "lease-", PER_GROUP)));
        List<String> extra = ReplicatedNodes.borrowersOf(0, "lease-after-", 3);
        List<String> all = new ArrayList<>(borrowers);
        all.addAll(extra);
        long[] approvedPart = new long[3];
        int[] approvals = new int[3];
        String group0Hold = null;
        try (FormicaClient client = cluster.client(all)) {
            // all at once: 6 callers over the 24 borrowers, the three leaders deciding concurrently
            ExecutorService pool = Executors.newFixedThreadPool(6);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<DecisionResponse>> answers = new ArrayList<>();
            for (int i = 0; i < borrowers.size(); i++) {
                String b = borrowers.get(i);
                String requestId = "d-" + i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return cluster.whenServed(b, () -> client.decide(ReplicatedNodes.decide(b, requestId)));
                }));
            }
            go.countDown();
            for (int i = 0; i < borrowers.size(); i++) {
                DecisionResponse r = answers.get(i).get(60, TimeUnit.SECONDS);
                int group = LAYOUT.groupOf(Partitions.of(borrowers.get(i)));
                if (r.getOutcome() == Outcome.APPROVE) {
                    approvals[group]++;
                    approvedPart[group] += partnerPart(r);
                    assertEquals(PART, partnerPart(r), borrowers.get(i) + ": " + r);
                    if (group == 0 && group0Hold == null) {
                        group0Hold = r.getHoldId();
                    }
                } else {
                    assertTrue(unfunded(r), borrowers.get(i) + ": " + r);
                }
            }
            pool.shutdown();
            long sum = approvedPart[0] + approvedPart[1] + approvedPart[2];
            assertTrue(sum <= QUOTA, "approved partner parts " + sum + " within the quota " + QUOTA);
            assertTrue(approvals[0] > 0 && group0Hold != null, "group 0 approved");
            awaitEveryNodeShows(approvedPart, "every group's use in every node's leases");

            // group 0's leader goes: the new leader has group 0's lease as the group's log left it
            cluster.stop(0);
            cluster.awaitEveryGroupServed();
            awaitEveryNodeShows(approvedPart, "group 0's use on its new leader");
            for (int i = 0; i < extra.size(); i++) {
                String b = extra.get(i);
                String requestId = "after-" + i;
                DecisionResponse r = cluster.whenServed(b, () -> client.decide(ReplicatedNodes.decide(b, requestId)));
                assertTrue(r.getOutcome() == Outcome.APPROVE || unfunded(r), extra.get(i) + ": " + r);
                approvedPart[0] += partnerPart(r);
            }
            sum = approvedPart[0] + approvedPart[1] + approvedPart[2];
            assertTrue(sum <= QUOTA, "approved partner parts " + sum + " within the quota " + QUOTA);
            CancelRequest cancel = CancelRequest.newBuilder().setRequestId("x-0").setHoldId(group0Hold).build();
            cluster.whenServed(0, () -> client.cancel(cancel));
            approvedPart[0] -= PART;
            awaitEveryNodeShows(approvedPart, "the cancelled part given back to group 0's lease");
        }

        // node 0 back: its leases come from the groups' snapshots and the entries after them
        await("a snapshot of every group on node 1").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50)).until(() -> IntStream.range(0, 3)
                        .allMatch(g -> cluster.hasGroupSnapshot(1, g)));
        cluster.start(0);
        cluster.awaitEveryGroupServed();
        awaitEveryNodeShows(approvedPart, "the restarted node's leases");
        assertEquals(0, cluster.failStops.get(), "no node fail-stopped");
    }
}
