package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.risk.ConcentrationTable;
import dev.formica.engine.rules.ConcentrationPolicy.Dimension;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22, deliverable 4 (state that spans partitions), for concentration: on three replicated nodes every node
 * hosts every group, and its concentration table is the sum of the exposure records of all of them, the groups it only
 * follows included, not only of the groups it led at some time. Three nodes on loopback (gRPC 127.0.0.1:22000-22002,
 * Raft 22010-22012; or from {@code -Dformica.ports.base=B}, B..B+2 and B+10..B+12), each group led by its own node,
 * group snapshots on a short interval so that a restarted node loads snapshots and the entries after them:
 *
 * <ul>
 *   <li>approvals on all three groups' leaders at one merchant: every node's table shows the merchant's and the
 *       region's whole exposure (before this, a node counted only the groups it had led: a third of it);
 *   <li>a Cancel on one group takes the hold off every node's table;
 *   <li>a restarted node (group snapshots plus the log after them) rebuilds the same table.
 * </ul>
 */
class ReplicatedConcentrationTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 22000);
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    private static final GroupLayout LAYOUT = ReplicatedNodes.LAYOUT;
    private static final String MERCHANT = "m-shared";
    private static final String REGION = "CN-31"; // ReplicatedNodes' profiles
    private static final int PER_GROUP = 4;

    @TempDir
    Path dir;
    private ReplicatedNodes cluster;

    @BeforeEach
    void start() {
        // snapshots on a 300 ms interval, the entry threshold far away: no purge, so no replica installs one
        cluster = new ReplicatedNodes(dir, NODES, RAFT, c -> c.clusterSnapshotEntries(1_000_000)
                .snapshotInterval(Duration.ofMillis(300)).expectedBorrowers(1000).expectedDecisionsPerDay(1000));
        cluster.startAll();
        cluster.awaitEveryGroupLedByItsOwnNode();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    private long exposure(int node, Dimension dimension, String key) {
        ConcentrationTable table = cluster.server(node).pipeline().risk().concentration();
        int slot = table.find(dimension, key);
        return slot < 0 ? 0 : table.exposure(slot);
    }

    /** Every running node's table shows {@code expected} for the merchant and the region. */
    private void awaitEveryNodeShows(long expected, String when) {
        await(when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            for (int node = 0; node < 3; node++) {
                assertEquals(expected, exposure(node, Dimension.MERCHANT, MERCHANT), "node " + node + ", merchant");
                assertEquals(expected, exposure(node, Dimension.REGION, REGION), "node " + node + ", region");
            }
        });
    }

    @Test
    void everyNodesTableCountsTheGroupsItFollows() throws InterruptedException {
        List<String> borrowers = new ArrayList<>();
        IntStream.range(0, 3).forEach(g -> borrowers.addAll(ReplicatedNodes.borrowersOf(g, "conc-", PER_GROUP)));
        List<String> holds = new ArrayList<>();
        long total = 0;
        try (FormicaClient client = cluster.client(borrowers)) {
            for (int i = 0; i < borrowers.size(); i++) {
                long amount = 1_000 + i;
                DecisionRequest request = DecisionRequest.newBuilder().setRequestId("d-" + i)
                        .setBorrowerId(borrowers.get(i)).setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount)
                        .setMerchantId(MERCHANT).build();
                DecisionResponse r = cluster.whenServed(borrowers.get(i), () -> client.decide(request));
                assertEquals(Outcome.APPROVE, r.getOutcome(), borrowers.get(i));
                holds.add(r.getHoldId());
                total += amount;
            }
            awaitEveryNodeShows(total, "every group's approvals on every node");

            // a Cancel on group 0 (led by node 0) leaves the tables of the nodes that only follow it too
            String cancelled = borrowers.get(0);
            assertEquals(0, LAYOUT.groupOf(Partitions.of(cancelled)));
            CancelRequest cancel = CancelRequest.newBuilder().setRequestId("x-0").setHoldId(holds.get(0)).build();
            cluster.whenServed(cancelled, () -> client.cancel(cancel));
            total -= 1_000;
            awaitEveryNodeShows(total, "the cancelled hold off every node");
        }

        // node 1 restarts: its table comes back from the groups' snapshots and the entries after them
        await("a snapshot of every group on node 1").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> IntStream.range(0, 3).allMatch(g -> cluster.hasGroupSnapshot(1, g)));
        cluster.stop(1);
        cluster.start(1);
        cluster.awaitEveryGroupServed();
        awaitEveryNodeShows(total, "the restarted node's table");
        assertEquals(0, cluster.failStops.get(), "no node fail-stopped");
    }
}
