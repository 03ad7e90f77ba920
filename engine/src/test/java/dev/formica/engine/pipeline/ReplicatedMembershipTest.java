package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.FourNodes.assertRefused;
import static dev.formica.engine.pipeline.FourNodes.group;
import static dev.formica.engine.pipeline.FourNodes.move;
import static dev.formica.engine.pipeline.FourNodes.remove;
import static dev.formica.engine.pipeline.ReplicatedNodes.firstPartitionOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.replication.ReplicationTestHooks;
import dev.formica.v1.ChangeMembersResponse;
import dev.formica.v1.PartitionMap;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership refusals and a new member's placement (docs/cluster.md, "Membership and moving partitions", "Adding and
 * removing a node", "Snapshots"): three replicated engines in this process, and a fourth started with
 * {@code clusterJoin: [0]} (gRPC 127.0.0.1:21900-21903, Raft 21910-21913; or from {@code -Dformica.ports.base=B},
 * B..B+3 and B+10..B+13).
 *
 * <ul>
 *   <li>A change of group 0's members held in flight (the {@code GroupMembers} test hook) makes a second
 *   {@code RemoveNode} and an {@code AddNode} of the group answer {@code MEMBERSHIP_CHANGE_IN_PROGRESS}, changing
 *   nothing; released, the first completes and the group takes changes again.</li>
 *   <li>A move to a replica the leader sees behind (the {@code GroupMoves} hook holds node 2's commit index one entry
 *   short) is refused as "not caught up" ({@code MOVE_REFUSED}) after the catch-up wait, changing nothing; with the
 *   hook off the same move is done.</li>
 *   <li>Group 0 moved to node 1, its log purged past the placement entry, a node added afterwards (it installs the
 *   leader's snapshot) knows group 0 is placed on node 1, from the snapshot.</li>
 * </ul>
 */
class ReplicatedMembershipTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 21900);

    @TempDir
    Path dir;
    private FourNodes cluster;
    private ReplicatedNodes nodes;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new FourNodes(dir, BASE, "replicated-membership-test-admin-token-0123");
        nodes = cluster.nodes;
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    @Test
    void aSecondMembershipChangeWhileOneIsInFlightIsRefusedAndChangesNothing() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        CountDownLatch held = new CountDownLatch(1);
        CompletableFuture<Void> release = new CompletableFuture<>();
        ReplicationTestHooks.holdChanges(nodes.server(0).pipeline().members(), group -> {
            held.countDown();
            return release;
        });
        CompletableFuture<ChangeMembersResponse> first = CompletableFuture.supplyAsync(
                () -> cluster.admin(0).removeNode(remove(0, 2)));
        assertTrue(held.await(30, TimeUnit.SECONDS), "the removal of node 2 passed its checks and is held");
        try {
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", "group 0: a change of its"
                    + " members", () -> cluster.admin(0).removeNode(remove(0, 1)));
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", "group 0: a change of its"
                    + " members", () -> cluster.admin(0).addNode(cluster.addThree(0)));
            assertFalse(first.isDone(), "the first change is still held");
            cluster.assertGroup(0, List.of(0, 1, 2), 0, 0);
        } finally {
            ReplicationTestHooks.holdChanges(nodes.server(0).pipeline().members(), null);
            release.complete(null);
        }
        ChangeMembersResponse removed = first.get(60, TimeUnit.SECONDS);
        assertTrue(removed.getChanged());
        assertEquals(List.of(0, 1), removed.getReplicasList());
        // the change answered: the group takes the next one (node 2 is no member now: nothing to do)
        assertFalse(cluster.admin(0).removeNode(remove(0, 2)).getChanged());
        assertEquals(0, nodes.failStops.get());
    }

    @Test
    void aMoveToAReplicaThatIsBehindIsRefusedAsNotCaughtUpAndChangesNothing() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        PartitionMap before = nodes.map(0);
        // node 2 stops, as the leader sees it, one entry short of what it had committed when the move was asked
        AtomicLong stuck = new AtomicLong(Long.MIN_VALUE);
        ReplicationTestHooks.seeCommitIndex(nodes.server(0).pipeline().moves(), (node, reported) -> {
            if (node != 2) {
                return reported;
            }
            stuck.compareAndSet(Long.MIN_VALUE, reported - 1);
            return stuck.get();
        });
        try {
            assertRefused(Status.Code.FAILED_PRECONDITION, "MOVE_REFUSED", "to_node: node 2 is not caught up: it has"
                    + " committed group 0's Raft log to index ", () -> cluster.admin(0).movePartitions(move(0, 2)));
            // the leader may not have heard node 2's commit index yet (0 under a loaded CI box: then -1 here)
            assertTrue(stuck.get() != Long.MIN_VALUE, "the move looked at node 2's commit index");
            cluster.assertGroup(0, List.of(0, 1, 2), 0, 0);
            assertEquals(group(before, 0).getTerm(), group(nodes.map(0), 0).getTerm(), "no new term: no hand-over");
        } finally {
            ReplicationTestHooks.seeCommitIndex(nodes.server(0).pipeline().moves(), null);
        }
        // the lag was the only reason: the same move, with node 2 seen as it is, is done
        cluster.admin(0).movePartitions(move(0, 2));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(0) == 2);
        assertEquals(0, nodes.failStops.get());
    }

    /** What a node's placement file of {@code group} says (node=, index=). */
    private static Properties placementFile(Path dataDir, int group) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(dataDir.resolve("placement-" + group + ".properties"))) {
            p.load(in);
        }
        return p;
    }

    @Test
    void aNodeAddedAfterAMoveKnowsThePlacementFromTheSnapshotItInstalls() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        cluster.admin(0).movePartitions(move(0, 1));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(0) == 1);
        long placedAt = Long.parseLong(placementFile(nodes.dataDir(1), 0).getProperty("index"));
        try (FormicaClient client = nodes.client(ModelledDecideLoad.BORROWERS)) {
            ModelledDecideLoad load = new ModelledDecideLoad(client, g -> nodes.leader(g) >= 0).start();
            try {
                // the leader snapshots and purges its log past the placement entry: a new member cannot replay it
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> FourNodes.firstLogIndex(nodes.groupDir(1, 0)) > placedAt);
            } finally {
                load.stop();
            }
        }
        cluster.startNodeThree();
        assertEquals(0, group(cluster.map(3), 0).getPlacedOn(),
                "before it joins, node 3 knows group 0's own node only");

        ChangeMembersResponse joined = cluster.admin(1).addNode(cluster.addThree(0));
        assertTrue(joined.getChanged());
        try (Stream<Path> files = Files.list(dir.resolve("n3").resolve("raft")
                .resolve(GroupLayout.groupId(0).getUuid().toString()).resolve("sm"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith(".md5")),
                    "node 3 caught up by the leader's snapshot (Ratis writes its digest beside it)");
        }
        assertEquals(1, group(cluster.map(1), 0).getPlacedOn(), "the leader's placement");
        await().atMost(Duration.ofSeconds(10)).until(() -> group(cluster.map(3), 0).getPlacedOn() == 1);
        assertEquals("1", placementFile(dir.resolve("n3"), 0).getProperty("node"), "kept for its restarts");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.map(3).getOwners(firstPartitionOf(0)) == 1);
        assertEquals(0, nodes.failStops.get());
    }
}
