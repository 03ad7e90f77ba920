package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.firstPartitionOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.AddNodeRequest;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ChangeMembersResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.MovePartitionsRequest;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.RemoveNodeRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adding a node to a replicated cluster and removing one ({@code AdminService.AddNode}, {@code RemoveNode};
 * docs/cluster.md, "Adding and removing a node"): three replicated engines in this process and a fourth started with
 * {@code clusterJoin: [0]} (gRPC 127.0.0.1:51500-51503, Raft 51510-51513; or from {@code -Dformica.ports.base=B},
 * B..B+3 and B+10..B+13). Under a Decide load through the SDK, node 3 joins group 0 (the leader's log purged, so it
 * catches up by the leader's snapshot and the log after it), group 0 moves to it, node 2 leaves group 0, and the group
 * serves on: every approval acknowledged is there once (replayed with its hold id) and each borrower's held amount
 * equals the model's.
 */
class ReplicatedAddNodeTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 51500);
    private static final List<String> NODES = IntStream.range(0, 4).mapToObj(i -> "127.0.0.1:" + (BASE + i)).toList();
    private static final List<String> RAFT = IntStream.range(0, 4).mapToObj(i -> "127.0.0.1:" + (BASE + 10 + i))
            .toList();
    private static final String TOKEN = "replicated-add-node-test-admin-token-0123";
    /** Snapshots every 30 entries in 4 KiB segments: the leader purges its log, so a new member gets a snapshot. */
    private static final long SNAPSHOT_ENTRIES = 30;
    private static final long SEGMENT = 4096;

    @TempDir
    Path dir;
    private Path tokens;
    private ReplicatedNodes nodes;
    private EngineServer added;
    private ManagedChannel addedChannel;

    @BeforeEach
    void setUp() throws Exception {
        tokens = Files.createFile(dir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, TOKEN + "\n");
        nodes = new ReplicatedNodes(dir, NODES.subList(0, 3), RAFT.subList(0, 3), c -> tuned(c));
    }

    private EngineConfiguration tuned(EngineConfiguration c) {
        return c.expectedBorrowers(1000).expectedDecisionsPerDay(1000).adminTokenFile(tokens)
                .clusterSnapshotEntries(SNAPSHOT_ENTRIES).clusterLogSegmentBytes(SEGMENT);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (addedChannel != null) {
            addedChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        try {
            if (added != null) {
                added.close();
            }
        } finally {
            nodes.close();
        }
    }

    /** Node 3: the grown node list, the three groups of the cluster, and group 0 to join. */
    private void startNodeThree() {
        EngineConfiguration c = LedgerOnlyRules.apply(tuned(new EngineConfiguration().dataDir(dir.resolve("n3"))
                .port(BASE + 3).clusterNodes(NODES).clusterNodeId(3).clusterGroups(3).clusterJoin(List.of(0))
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterRaftNodes(RAFT).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1))));
        added = new EngineServer(c).start();
        addedChannel = ManagedChannelBuilder.forTarget(NODES.get(3)).usePlaintext().build();
    }

    private ManagedChannel channel(int node) {
        return node == 3 ? addedChannel : nodes.channel(node);
    }

    private AdminServiceGrpc.AdminServiceBlockingStub admin(int node) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        return AdminServiceGrpc.newBlockingStub(channel(node))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private PartitionMap map(int node) {
        return DecisionServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
    }

    private static AddNodeRequest addThree(int group) {
        return AddNodeRequest.newBuilder().setGroup(group).setNode(3).setAddress(NODES.get(3))
                .setRaftAddress(RAFT.get(3)).build();
    }

    private static PartitionGroup group(PartitionMap map, int id) {
        return map.getGroupsList().stream().filter(g -> g.getId() == id).findFirst().orElseThrow();
    }

    /** The one node among the four that serves {@code group} by its own map, or -1. */
    private int leader(int group) {
        int partition = firstPartitionOf(group);
        int leader = -1;
        for (int node = 0; node < 4; node++) {
            if ((node == 3 ? added != null : nodes.running(node)) && map(node).getOwners(partition) == node) {
                assertEquals(-1, leader, "nodes " + leader + " and " + node + " both answer for " + partition);
                leader = node;
            }
        }
        return leader;
    }

    /** Whether the node's Raft log of group 0 no longer starts at index 0 (a snapshot let it purge). */
    private static boolean purged(Path groupDir) throws IOException {
        try (Stream<Path> files = Files.list(groupDir.resolve("current"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log_"))
                    .noneMatch(n -> n.startsWith("log_0-") || n.equals("log_inprogress_0"));
        }
    }

    private static void assertRefused(Status.Code code, String reason, String start,
            org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().startsWith(start), e.getStatus().getDescription());
        if (reason != null) {
            com.google.rpc.Status status = StatusProto.fromThrowable(e);
            assertTrue(status != null && status.getDetailsList().stream().anyMatch(d -> d.toString().contains(reason)),
                    "reason " + reason + " in " + status);
        }
    }

    /** Bad fields, a group node 3 did not join (it cannot answer for it), the wrong node: nothing changes. */
    private void refusedAddsChangeNothing() {
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "node:", () -> admin(0).addNode(
                addThree(0).toBuilder().setNode(5).build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "group:", () -> admin(0).addNode(
                addThree(0).toBuilder().setGroup(3).build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "raft_address:", () -> admin(0).addNode(
                addThree(0).toBuilder().clearRaftAddress().build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, null, "address:", () -> admin(0).addNode(
                addThree(0).toBuilder().clearAddress().build()));
        assertRefused(Status.Code.FAILED_PRECONDITION, "NODE_UNREACHABLE", "node: node 3 answers at "
                + RAFT.get(3) + " but holds no replica of the group",
                () -> admin(1).addNode(addThree(1)));
        assertEquals(List.of(0, 1, 2), group(map(1), 1).getReplicasList(), "group 1 unchanged");
        assertRefused(Status.Code.FAILED_PRECONDITION, "PARTITION_NOT_OWNED", "group: partition 0 is owned"
                + " by node 0", () -> admin(1).addNode(addThree(0)));
    }

    @Test
    void aFourthNodeJoinsGroupZeroTakesItAndAnOldMemberLeavesWithoutLosingAnAnswer() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        try (FormicaClient client = nodes.client(ModelledDecideLoad.BORROWERS)) {
            ModelledDecideLoad load = new ModelledDecideLoad(client).start();
            try {
                // enough entries for the leader of group 0 to snapshot and purge: the new member cannot get it all
                await().atMost(Duration.ofSeconds(120)).until(() -> load.decided() >= 60
                        && purged(nodes.groupDir(0, 0)));

                startNodeThree();
                assertEquals(3, added.pipeline().partitions().ranges(), "node 3 knows the cluster's three groups");
                refusedAddsChangeNothing();
                int beforeAdd = load.decided();
                ChangeMembersResponse joined = admin(0).addNode(addThree(0));
                assertTrue(joined.getChanged());
                assertEquals(List.of(0, 1, 2, 3), joined.getReplicasList());
                assertEquals(NODES, joined.getMap().getNodesList().stream().map(n -> n.getAddress()).toList(),
                        "the leader's map lists the new node");
                assertEquals(3, joined.getMap().getGroupCount());
                Path installed = dir.resolve("n3").resolve("raft")
                        .resolve(dev.formica.engine.replication.GroupLayout.groupId(0).getUuid().toString())
                        .resolve("sm");
                try (Stream<Path> files = Files.list(installed)) {
                    assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith(".md5")),
                            "node 3 caught up by the leader's snapshot (Ratis writes its digest beside it)");
                }
                assertFalse(admin(0).addNode(addThree(0)).getChanged(), "a member already");
                for (int node = 1; node < 4; node++) {
                    int n = node;
                    await().atMost(Duration.ofSeconds(10)).until(() -> group(map(n), 0).getReplicasCount() == 4
                            && map(n).getNodesCount() == 4);
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= beforeAdd + 30);

                // a move to a node that holds no replica of the group is refused; group 0 moves to node 3
                assertRefused(Status.Code.FAILED_PRECONDITION, "MOVE_REFUSED", "to_node: node 3 holds no replica of"
                        + " group 1", () -> admin(1).movePartitions(MovePartitionsRequest.newBuilder().setGroup(1)
                        .setToNode(3).build()));
                admin(0).movePartitions(MovePartitionsRequest.newBuilder().setGroup(0).setToNode(3).build());
                await().atMost(Duration.ofSeconds(30)).until(() -> leader(0) == 3);
                int afterMove = load.decided();
                await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= afterMove + 30);

                // node 3 leads group 0: it cannot leave it; node 2 can
                assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_REFUSED", "node: node 3 leads group 0",
                        () -> admin(3).removeNode(RemoveNodeRequest.newBuilder().setGroup(0).setNode(3).build()));
                assertRefused(Status.Code.INVALID_ARGUMENT, null, "node:", () -> admin(3).removeNode(
                        RemoveNodeRequest.newBuilder().setGroup(0).setNode(4).build()));
                ChangeMembersResponse left = admin(3).removeNode(RemoveNodeRequest.newBuilder().setGroup(0).setNode(2)
                        .build());
                assertTrue(left.getChanged());
                assertEquals(List.of(0, 1, 3), left.getReplicasList());
                int afterRemove = load.decided();
                await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= afterRemove + 30);
                assertEquals(3, leader(0), "group 0 serves on at node 3");
            } finally {
                load.stop();
            }
            load.assertEveryApprovalOnce();
        }
        assertEquals(0, nodes.failStops.get(), "no replica was left with uncommitted effects");
    }

}
