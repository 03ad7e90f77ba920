package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.firstPartitionOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.AddNodeRequest;
import dev.formica.v1.AdminServiceGrpc;
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
import org.junit.jupiter.api.function.Executable;

/**
 * The membership tests' cluster ({@code ReplicatedAddNodeTest}, {@code ReplicatedMembershipTest}): three replicated
 * engines ({@link ReplicatedNodes}) and a fourth that joins group 0 ({@code clusterJoin: [0]}), all with one admin
 * token; gRPC 127.0.0.1:B..B+3, Raft B+10..B+13. Group snapshots every {@value #SNAPSHOT_ENTRIES} entries in
 * {@value #SEGMENT}-byte segments: the leader purges its log, so a new member catches up by the leader's snapshot.
 */
final class FourNodes implements AutoCloseable {
    static final long SNAPSHOT_ENTRIES = 30;
    static final long SEGMENT = 4096;

    final List<String> addresses;
    final List<String> raft;
    /** The first three nodes. */
    final ReplicatedNodes nodes;
    private final Path dir;
    private final int base;
    private final String token;
    private final Path tokens;
    private EngineServer added;
    private ManagedChannel addedChannel;

    FourNodes(Path dir, int base, String token) throws IOException {
        this.dir = dir;
        this.base = base;
        this.token = token;
        addresses = IntStream.range(0, 4).mapToObj(i -> "127.0.0.1:" + (base + i)).toList();
        raft = IntStream.range(0, 4).mapToObj(i -> "127.0.0.1:" + (base + 10 + i)).toList();
        tokens = Files.createFile(dir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, token + "\n");
        nodes = new ReplicatedNodes(dir, addresses.subList(0, 3), raft.subList(0, 3), this::tuned);
    }

    private EngineConfiguration tuned(EngineConfiguration c) {
        return c.expectedBorrowers(1000).expectedDecisionsPerDay(1000).adminTokenFile(tokens)
                .clusterSnapshotEntries(SNAPSHOT_ENTRIES).clusterLogSegmentBytes(SEGMENT);
    }

    /** Node 3: the grown node list, the three groups of the cluster, and group 0 to join. */
    EngineServer startNodeThree() {
        EngineConfiguration c = LedgerOnlyRules.apply(tuned(new EngineConfiguration().dataDir(dir.resolve("n3"))
                .port(base + 3).clusterNodes(addresses).clusterNodeId(3).clusterGroups(3).clusterJoin(List.of(0))
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterRaftNodes(raft).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1))));
        added = new EngineServer(c).start();
        addedChannel = ManagedChannelBuilder.forTarget(addresses.get(3)).usePlaintext().build();
        return added;
    }

    ManagedChannel channel(int node) {
        return node == 3 ? addedChannel : nodes.channel(node);
    }

    /** An admin stub of {@code node} with the token (60 s deadline). */
    AdminServiceGrpc.AdminServiceBlockingStub admin(int node) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return AdminServiceGrpc.newBlockingStub(channel(node))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                .withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    PartitionMap map(int node) {
        return DecisionServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
    }

    static PartitionGroup group(PartitionMap map, int id) {
        return map.getGroupsList().stream().filter(g -> g.getId() == id).findFirst().orElseThrow();
    }

    AddNodeRequest addThree(int group) {
        return AddNodeRequest.newBuilder().setGroup(group).setNode(3).setAddress(addresses.get(3))
                .setRaftAddress(raft.get(3)).build();
    }

    static RemoveNodeRequest remove(int group, int node) {
        return RemoveNodeRequest.newBuilder().setGroup(group).setNode(node).build();
    }

    static MovePartitionsRequest move(int group, int to) {
        return MovePartitionsRequest.newBuilder().setGroup(group).setToNode(to).build();
    }

    /** Every one of the first three nodes' maps has group {@code id} with these replicas, placed as given, led so. */
    void assertGroup(int id, List<Integer> replicas, int leader, int placedOn) {
        for (int node = 0; node < 3; node++) {
            PartitionGroup g = group(nodes.map(node), id);
            assertEquals(replicas, g.getReplicasList(), "group " + id + "'s replicas on node " + node);
            assertEquals(placedOn, g.getPlacedOn(), "group " + id + "'s placement on node " + node);
        }
        assertEquals(leader, nodes.leader(id), "group " + id + "'s leader");
    }

    /** The one node among the four that serves {@code group} by its own map, or -1. */
    int leader(int group) {
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

    /** {@code call} fails with {@code code}, a description starting {@code start} and (unless null) {@code reason}. */
    static void assertRefused(Status.Code code, String reason, String start, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().startsWith(start), e.getStatus().getDescription());
        if (reason != null) {
            com.google.rpc.Status status = StatusProto.fromThrowable(e);
            assertTrue(status != null && status.getDetailsList().stream().anyMatch(d -> d.toString().contains(reason)),
                    "reason " + reason + " in " + status);
        }
    }

    /** The first Raft index a group's log on disk still holds (the start of its oldest segment; 0 before a purge). */
    static long firstLogIndex(Path groupDir) throws IOException {
        try (Stream<Path> files = Files.list(groupDir.resolve("current"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log_"))
                    .mapToLong(n -> Long.parseLong(n.startsWith("log_inprogress_") ? n.substring(15)
                            : n.substring(4, n.indexOf('-')))).min().orElse(0);
        }
    }

    @Override
    public void close() throws InterruptedException {
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
}
