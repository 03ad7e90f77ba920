package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.server.EngineServer;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.StateDigest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Three replicated engines in one process for tests, each on its own data directory, with ledger-only rules; the
 * process-wide fail-stop action replaced by a counter while they run (a test that expects one restarts the node).
 * Used by the replication, partition and group-snapshot tests and the replica restart measurement.
 */
final class ReplicatedNodes implements AutoCloseable {
    static final long LINE = 100_000;
    static final long AMOUNT = 1_000;
    static final GroupLayout LAYOUT = new GroupLayout(3);

    /** The three nodes' addresses on 127.0.0.1: ports {@code from}, {@code from + 1} and {@code from + 2}. */
    static List<String> loopback(int from) {
        return List.of("127.0.0.1:" + from, "127.0.0.1:" + (from + 1), "127.0.0.1:" + (from + 2));
    }

    private final Path dir;
    private final List<String> nodes;
    private final List<String> raft;
    private final EngineServer[] servers = new EngineServer[3];
    private final ManagedChannel[] channels = new ManagedChannel[3];
    final AtomicInteger failStops = new AtomicInteger();
    private final Runnable savedFailStop;
    private final UnaryOperator<EngineConfiguration> tune;
    /** A test rule set in place of the ledger-only one ({@link #rules}), or null. */
    private String rules;

    ReplicatedNodes(Path dir, List<String> nodes, List<String> raft) {
        this(dir, nodes, raft, c -> c.expectedBorrowers(1000).expectedDecisionsPerDay(1000));
    }

    /** @param tune settings of every node beyond the cluster's (sizes, snapshot settings) */
    ReplicatedNodes(Path dir, List<String> nodes, List<String> raft, UnaryOperator<EngineConfiguration> tune) {
        this.dir = dir;
        this.nodes = nodes;
        this.raft = raft;
        this.tune = tune;
        savedFailStop = ReplicatedPipeline.failStop;
        ReplicatedPipeline.failStop = failStops::incrementAndGet;
    }

    /**
     * Every node started from now on uses the test resource {@code resource} (e.g. {@code rules/partner-quota.yaml})
     * as its rule set.
     */
    ReplicatedNodes rules(String resource) {
        this.rules = resource;
        return this;
    }

    List<String> targets() {
        return nodes;
    }

    Path dataDir(int node) {
        return dir.resolve("n" + node);
    }

    EngineServer start(int node) {
        String address = nodes.get(node);
        EngineConfiguration c = LedgerOnlyRules.apply(tune.apply(new EngineConfiguration().dataDir(dataDir(node))
                .port(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)))
                .clusterNodes(nodes).clusterNodeId(node).clusterReplication(EngineConfiguration.Replication.RATIS)
                .clusterRaftNodes(raft).velocityKeys(1024).drainTimeout(Duration.ofSeconds(1))));
        if (rules != null) {
            c.rulesFile(LedgerOnlyRules.resource(rules));
        }
        servers[node] = new EngineServer(c).start();
        return servers[node];
    }

    void startAll() {
        for (int node = 0; node < 3; node++) {
            start(node);
        }
    }

    void stop(int node) {
        if (servers[node] != null) {
            servers[node].close();
            servers[node] = null;
        }
    }

    boolean running(int node) {
        return servers[node] != null;
    }

    EngineServer server(int node) {
        return servers[node];
    }

    /** A plain channel to one node: no redirects followed, no retries. A test's load thread may ask too. */
    synchronized ManagedChannel channel(int node) {
        if (channels[node] == null) {
            channels[node] = ManagedChannelBuilder.forTarget(nodes.get(node)).usePlaintext().build();
        }
        return channels[node];
    }

    PartitionMap map(int node) {
        return DecisionServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
    }

    /** Whether node {@code node} says, in its own map, that it answers for {@code partition}. */
    boolean claims(int node, int partition) {
        return servers[node] != null && map(node).getOwners(partition) == node;
    }

    /** The one running node that claims {@code partition} in its own map, or -1; fails when two do. */
    int claimant(int partition) {
        int claimant = -1;
        for (int node = 0; node < 3; node++) {
            if (claims(node, partition)) {
                assertEquals(-1, claimant, "nodes " + claimant + " and " + node + " both answer for " + partition);
                claimant = node;
            }
        }
        return claimant;
    }

    /** The node that serves {@code group} now (it names itself in its own map only while it serves), or -1. */
    int leader(int group) {
        return claimant(firstPartitionOf(group));
    }

    /** Every group served by some node (the one to wait for while a node is down). */
    void awaitEveryGroupServed() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                IntStream.range(0, 3).allMatch(g -> claimant(firstPartitionOf(g)) >= 0));
    }

    /** Each group served by its own node once all are up (LeaderHandOver); calls made before would meet a hand-over. */
    void awaitEveryGroupLedByItsOwnNode() {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
                IntStream.range(0, 3).allMatch(g -> claimant(firstPartitionOf(g)) == g));
    }

    /** The node that serves {@code group}, once one does (a leader may have stepped down a moment ago). */
    int awaitLeader(int group) {
        AtomicInteger leader = new AtomicInteger(-1);
        await("a node serving group " + group).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    leader.set(leader(group));
                    return leader.get() >= 0;
                });
        return leader.get();
    }

    /**
     * {@code call}'s answer, sent again once a node serves {@code group} after a refusal worth a retry (a leader that
     * stepped down on a loaded box, a failover): {@link WhenServed}. {@code call} must be safe to repeat (an upsert,
     * or a request with a fixed request id: the resend replays what was committed).
     */
    <T> T whenServed(int group, Supplier<T> call) {
        return WhenServed.call(g -> leader(g) >= 0, group, call);
    }

    /** {@link #whenServed(int, Supplier)} for a call about {@code borrower}, in its group. */
    <T> T whenServed(String borrower, Supplier<T> call) {
        return whenServed(groupOf(borrower), call);
    }

    /**
     * An SDK client of the three nodes that rides out a hand-over or a failover (30 attempts, 250 ms back-off at
     * most, 30 s deadline), with the profiles of {@code borrowers} upserted (each {@link #whenServed}).
     */
    FormicaClient client(List<String> borrowers) {
        FormicaClient client = FormicaClient.builder().targets(nodes).defaultDeadline(Duration.ofSeconds(30))
                .retryPolicy(RetryPolicy.builder().maxAttempts(30).maxBackoff(Duration.ofMillis(250)).build())
                .build();
        for (String b : borrowers) {
            whenServed(b, () -> client.upsertProfile(profile(b)));
        }
        return client;
    }

    /** The first {@code count} borrower ids {@code prefix0, prefix1, ...} whose partitions are in {@code group}. */
    static List<String> borrowersOf(int group, String prefix, int count) {
        return Stream.iterate(0, k -> k + 1).map(k -> prefix + k)
                .filter(b -> LAYOUT.groupOf(Partitions.of(b)) == group).limit(count).toList();
    }

    /** The group that holds {@code borrower}'s partition. */
    static int groupOf(String borrower) {
        return LAYOUT.groupOf(Partitions.of(borrower));
    }

    static int firstPartitionOf(int group) {
        return IntStream.range(0, Partitions.COUNT).filter(p -> LAYOUT.groupOf(p) == group).findFirst().orElseThrow();
    }

    static Profile profile(String borrower) {
        return Profile.newBuilder().setBorrowerId(borrower).setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(LINE)).build();
    }

    static DecisionRequest decide(String borrower, String requestId) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(AMOUNT).build();
    }

    /** The line of {@code borrower} in node {@code node}'s memory (a follower's too), or null. */
    LedgerSnapshot lineOn(int node, String borrower) {
        int shard = LAYOUT.shardOfGroup(node, LAYOUT.groupOf(Partitions.of(borrower)));
        LedgerSnapshot s = new LedgerSnapshot();
        return servers[node].pipeline().state(shard).ledger().get(borrower, Product.CONSUMER_CREDIT_VALUE, s) ? s
                : null;
    }

    /** Whether {@code node}'s memory holds a line of {@code borrower} (a follower's too). */
    boolean holdsLine(int node, String borrower) {
        return servers[node] != null && lineOn(node, borrower) != null;
    }

    /** Whether {@code node}'s memory holds the profile of {@code borrower} (a follower's too). */
    boolean holdsProfile(int node, String borrower) {
        int shard = LAYOUT.shardOfGroup(node, LAYOUT.groupOf(Partitions.of(borrower)));
        return servers[node] != null && servers[node].pipeline().state(shard).profiles().get(borrower) != null;
    }

    /** The Raft storage of {@code group} on {@code node}: {@code sm/} (snapshots) and {@code current/} (log). */
    Path groupDir(int node, int group) {
        return dataDir(node).resolve("raft").resolve(GroupLayout.groupId(group).getUuid().toString());
    }

    /** Whether {@code node} has written a Raft snapshot of {@code group} ({@code sm/snapshot.TERM_INDEX}). */
    boolean hasGroupSnapshot(int node, int group) {
        Path sm = groupDir(node, group).resolve("sm");
        if (!Files.isDirectory(sm)) {
            return false;
        }
        try (Stream<Path> files = Files.list(sm)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The group's state on {@code node}, without the idempotency generations (each node rotates its own). */
    String digest(int node, int group) {
        TreeMap<String, String> rows = StateDigest.rows(servers[node].pipeline().state(LAYOUT.shardOfGroup(node,
                group)));
        rows.remove("R generation");
        return rows.toString();
    }

    @Override
    public void close() throws InterruptedException {
        List<Throwable> problems = new ArrayList<>();
        for (ManagedChannel c : channels) {
            if (c != null) {
                c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        for (int node = 0; node < 3; node++) {
            if (servers[node] != null) {
                try {
                    stop(node);
                } catch (RuntimeException e) {
                    problems.add(e);
                }
            }
        }
        ReplicatedPipeline.failStop = savedFailStop;
        if (!problems.isEmpty()) {
            throw new IllegalStateException("stopping the nodes failed", problems.get(0));
        }
    }
}
