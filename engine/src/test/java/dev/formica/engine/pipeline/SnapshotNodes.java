package dev.formica.engine.pipeline;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.server.EngineServer;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.StateDigest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.Product;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Three replicated engines in this process with snapshot settings (the snapshot tests and the restart measurement):
 * start and stop one, the node serving a group, a group's Raft directory and its state digest on a node. (Main's
 * {@code ReplicatedNodes}, written beside it, has no snapshot settings; the two can become one.)
 */
final class SnapshotNodes implements AutoCloseable {
    static final GroupLayout LAYOUT = new GroupLayout(3);

    private final Path dir;
    private final List<String> nodes;
    private final List<String> raft;
    private final long snapshotEntries;
    private final long segmentBytes;
    private final EngineServer[] servers = new EngineServer[3];
    private final List<ManagedChannel> channels = new ArrayList<>();

    SnapshotNodes(Path dir, List<String> nodes, List<String> raft, long snapshotEntries, long segmentBytes) {
        this.dir = dir;
        this.nodes = nodes;
        this.raft = raft;
        this.snapshotEntries = snapshotEntries;
        this.segmentBytes = segmentBytes;
    }

    List<String> nodes() {
        return nodes;
    }

    Path dataDir(int node) {
        return dir.resolve("n" + node);
    }

    void start(int node) {
        String address = nodes.get(node);
        EngineConfiguration c = LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dataDir(node))
                .port(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)))
                .clusterNodes(nodes).clusterNodeId(node).clusterReplication(EngineConfiguration.Replication.RATIS)
                .clusterRaftNodes(raft).clusterSnapshotEntries(snapshotEntries).clusterLogSegmentBytes(segmentBytes)
                .expectedBorrowers(20_000).expectedDecisionsPerDay(40_000).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1)));
        servers[node] = new EngineServer(c).start();
    }

    boolean isRunning(int node) {
        return servers[node] != null;
    }

    void stop(int node) {
        if (servers[node] != null) {
            servers[node].close();
            servers[node] = null;
        }
    }

    /** The node that serves {@code group} now, from the maps (a node names itself only while it serves), or -1. */
    int leader(int group) {
        int partition = IntStream.range(0, Partitions.COUNT).filter(p -> LAYOUT.groupOf(p) == group).findFirst()
                .orElseThrow();
        for (int node = 0; node < 3; node++) {
            if (servers[node] == null) {
                continue;
            }
            ManagedChannel channel = ManagedChannelBuilder.forTarget(nodes.get(node)).usePlaintext().build();
            channels.add(channel);
            if (DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getPartitionMap(GetPartitionMapRequest.getDefaultInstance()).getOwners(partition) == node) {
                return node;
            }
        }
        return -1;
    }

    /** The Raft storage of {@code group} on {@code node}: {@code sm/} (snapshots) and {@code current/} (log). */
    Path groupDir(int node, int group) {
        return dataDir(node).resolve("raft").resolve(GroupLayout.groupId(group).getUuid().toString());
    }

    /** The group's state on {@code node}, without the idempotency generations (each node rotates its own). */
    String digest(int node, int group) {
        TreeMap<String, String> rows = StateDigest.rows(servers[node].pipeline().state(LAYOUT.shardOfGroup(node,
                group)));
        rows.remove("R generation");
        return rows.toString();
    }

    /** Whether {@code node}'s memory holds a line of {@code borrower} (a follower's too). */
    boolean holdsLine(int node, String borrower) {
        int shard = LAYOUT.shardOfGroup(node, LAYOUT.groupOf(Partitions.of(borrower)));
        return servers[node] != null && servers[node].pipeline().state(shard).ledger().get(borrower,
                Product.CONSUMER_CREDIT_VALUE, new LedgerSnapshot());
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        for (int node = 0; node < 3; node++) {
            stop(node);
        }
    }
}
