package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.FourNodes.assertRefused;
import static dev.formica.engine.pipeline.FourNodes.group;
import static dev.formica.engine.pipeline.FourNodes.move;
import static dev.formica.engine.pipeline.FourNodes.remove;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.ChangeMembersResponse;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adding a node to a replicated cluster and removing one ({@code AdminService.AddNode}, {@code RemoveNode};
 * docs/cluster.md, "Adding and removing a node"): three replicated engines in this process and a fourth started with
 * {@code clusterJoin: [0]} (gRPC 127.0.0.1:21500-21503, Raft 21510-21513; or from {@code -Dformica.ports.base=B},
 * B..B+3 and B+10..B+13). Under a Decide load through the SDK, node 3 joins group 0 (the leader's log purged, so it
 * catches up by the leader's snapshot and the log after it), group 0 moves to it, node 2 leaves group 0, and the group
 * serves on: every approval acknowledged is there once (replayed with its hold id) and each borrower's held amount
 * equals the model's.
 */
class ReplicatedAddNodeTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 21500);

    @TempDir
    Path dir;
    private FourNodes cluster;
    private ReplicatedNodes nodes;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new FourNodes(dir, BASE, "replicated-add-node-test-admin-token-0123");
        nodes = cluster.nodes;
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    /** Bad fields, a group node 3 did not join (it cannot answer for it), the wrong node: nothing changes. */
    private void refusedAddsChangeNothing() {
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "node:", () -> cluster.admin(0).addNode(
                cluster.addThree(0).toBuilder().setNode(5).build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "group:", () -> cluster.admin(0).addNode(
                cluster.addThree(0).toBuilder().setGroup(3).build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "raft_address:", () -> cluster.admin(0).addNode(
                cluster.addThree(0).toBuilder().clearRaftAddress().build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "address:", () -> cluster.admin(0).addNode(
                cluster.addThree(0).toBuilder().clearAddress().build()));
        assertRefused(Status.Code.FAILED_PRECONDITION, "NODE_UNREACHABLE", "node: node 3 answers at "
                + cluster.raft.get(3) + " but holds no replica of the group",
                () -> cluster.admin(1).addNode(cluster.addThree(1)));
        assertEquals(List.of(0, 1, 2), group(cluster.map(1), 1).getReplicasList(), "group 1 unchanged");
        assertRefused(Status.Code.FAILED_PRECONDITION, "PARTITION_NOT_OWNED", "group: partition 0 is owned"
                + " by node 0", () -> cluster.admin(1).addNode(cluster.addThree(0)));
    }

    @Test
    void aFourthNodeJoinsGroupZeroTakesItAndAnOldMemberLeavesWithoutLosingAnAnswer() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        try (FormicaClient client = nodes.client(ModelledDecideLoad.BORROWERS)) {
            ModelledDecideLoad load = new ModelledDecideLoad(client, g -> cluster.leader(g) >= 0).start();
            try {
                // enough entries for the leader of group 0 to snapshot and purge: the new member cannot get it all
                await().atMost(Duration.ofSeconds(120)).until(() -> load.decided() >= 60
                        && FourNodes.firstLogIndex(nodes.groupDir(0, 0)) > 0);

                EngineServer added = cluster.startNodeThree();
                assertEquals(3, added.pipeline().partitions().ranges(), "node 3 knows the cluster's three groups");
                refusedAddsChangeNothing();
                int beforeAdd = load.decided();
                ChangeMembersResponse joined = cluster.admin(0).addNode(cluster.addThree(0));
                assertTrue(joined.getChanged());
                assertEquals(List.of(0, 1, 2, 3), joined.getReplicasList());
                assertEquals(cluster.addresses, joined.getMap().getNodesList().stream().map(n -> n.getAddress())
                        .toList(), "the leader's map lists the new node");
                assertEquals(3, joined.getMap().getGroupCount());
                Path installed = dir.resolve("n3").resolve("raft")
                        .resolve(dev.formica.engine.replication.GroupLayout.groupId(0).getUuid().toString())
                        .resolve("sm");
                try (Stream<Path> files = Files.list(installed)) {
                    assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith(".md5")),
                            "node 3 caught up by the leader's snapshot (Ratis writes its digest beside it)");
                }
                assertFalse(cluster.admin(0).addNode(cluster.addThree(0)).getChanged(), "a member already");
                for (int node = 1; node < 4; node++) {
                    int n = node;
                    await().atMost(Duration.ofSeconds(10)).until(() -> group(cluster.map(n), 0).getReplicasCount() == 4
                            && cluster.map(n).getNodesCount() == 4);
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= beforeAdd + 30);

                // a move to a node that holds no replica of the group is refused; group 0 moves to node 3
                assertRefused(Status.Code.FAILED_PRECONDITION, "MOVE_REFUSED", "to_node: node 3 holds no replica of"
                        + " group 1", () -> cluster.admin(1).movePartitions(move(1, 3)));
                cluster.admin(0).movePartitions(move(0, 3));
                await().atMost(Duration.ofSeconds(30)).until(() -> cluster.leader(0) == 3);
                int afterMove = load.decided();
                await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= afterMove + 30);

                // node 3 leads group 0: it cannot leave it; node 2 can
                assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_REFUSED", "node: node 3 leads group 0",
                        () -> cluster.admin(3).removeNode(remove(0, 3)));
                assertRefused(Status.Code.INVALID_ARGUMENT, null, "node:",
                        () -> cluster.admin(3).removeNode(remove(0, 4)));
                ChangeMembersResponse left = cluster.admin(3).removeNode(remove(0, 2));
                assertTrue(left.getChanged());
                assertEquals(List.of(0, 1, 3), left.getReplicasList());
                int afterRemove = load.decided();
                await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= afterRemove + 30);
                assertEquals(3, cluster.leader(0), "group 0 serves on at node 3");
            } finally {
                load.stop();
            }
            load.assertEveryApprovalOnce();
        }
        assertEquals(0, nodes.failStops.get(), "no replica was left with uncommitted effects");
    }

}
