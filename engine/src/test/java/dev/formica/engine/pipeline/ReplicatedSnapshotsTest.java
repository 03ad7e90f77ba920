package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.server.EngineServer;
import dev.formica.engine.state.StateDigest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of a replicated group (docs/cluster.md, "Snapshots"), with three replicated engines in this process
 * (gRPC 127.0.0.1:50920-50922, Raft 50930-50932), a snapshot every 30 entries and 4 KiB log segments: every replica
 * snapshots and purges its log; a replica restarted with its newest snapshot damaged loads the older one and the log
 * after it; a follower whose next entry the leader purged catches up by installing the leader's snapshot. Each ends
 * with the replica's state digest equal to the leader's (the idempotency generations aside: each node rotates its
 * own from its own start).
 */
class ReplicatedSnapshotsTest {
    private static final List<String> NODES = List.of("127.0.0.1:50920", "127.0.0.1:50921", "127.0.0.1:50922");
    private static final List<String> RAFT = List.of("127.0.0.1:50930", "127.0.0.1:50931", "127.0.0.1:50932");
    private static final long ENTRIES = 30;
    private static final long SEGMENT = 4096;
    private static final long AMOUNT = 1_000;
    private static final GroupLayout LAYOUT = new GroupLayout(3);
    private static final int GROUP = 0;
    private static final Pattern SNAPSHOT = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
    private static final Pattern SEGMENT_FILE = Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-(\\d+))?");

    @TempDir
    Path dir;
    private final EngineServer[] servers = new EngineServer[3];
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final AtomicInteger failStops = new AtomicInteger();
    private Runnable savedFailStop;
    private int written;

    @BeforeEach
    void noHalt() {
        savedFailStop = ReplicatedPipeline.failStop;
        ReplicatedPipeline.failStop = failStops::incrementAndGet;
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        for (int node = 0; node < 3; node++) {
            stopNode(node);
        }
        ReplicatedPipeline.failStop = savedFailStop;
    }

    private void start(int node) {
        EngineConfiguration c = LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dir.resolve("n" + node))
                .port(Integer.parseInt(NODES.get(node).substring(NODES.get(node).lastIndexOf(':') + 1)))
                .clusterNodes(NODES).clusterNodeId(node).clusterReplication(EngineConfiguration.Replication.RATIS)
                .clusterRaftNodes(RAFT).clusterSnapshotEntries(ENTRIES).clusterLogSegmentBytes(SEGMENT)
                .expectedBorrowers(1000).expectedDecisionsPerDay(4000).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1)));
        servers[node] = new EngineServer(c).start();
    }

    private void stopNode(int node) {
        if (servers[node] != null) {
            servers[node].close();
            servers[node] = null;
        }
    }

    /** The node that serves the group now, from the maps (a node names itself only while it serves). */
    private int leader() {
        int partition = IntStream.range(0, Partitions.COUNT).filter(p -> LAYOUT.groupOf(p) == GROUP).findFirst()
                .orElseThrow();
        for (int node = 0; node < 3; node++) {
            if (servers[node] == null) {
                continue;
            }
            ManagedChannel channel = ManagedChannelBuilder.forTarget(NODES.get(node)).usePlaintext().build();
            channels.add(channel);
            if (DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getPartitionMap(GetPartitionMapRequest.getDefaultInstance()).getOwners(partition) == node) {
                return node;
            }
        }
        return -1;
    }

    private int awaitLeader() {
        AtomicInteger leader = new AtomicInteger(-1);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            leader.set(leader());
            return leader.get() >= 0;
        });
        return leader.get();
    }

    private static int followerOf(int leader) {
        return Arrays.stream(LAYOUT.replicasOf(GROUP)).filter(n -> n != leader).findFirst().orElseThrow();
    }

    private static String borrower(int i) {
        return Stream.iterate(i * 1_000, k -> k + 1).map(k -> "s-" + k)
                .filter(b -> LAYOUT.groupOf(Partitions.of(b)) == GROUP).findFirst().orElseThrow();
    }

    /** Two entries of the group per call: a profile, then an approved decision. */
    private void writeOne(FormicaClient client) {
        String b = borrower(written++);
        client.upsertProfile(Profile.newBuilder().setBorrowerId(b).setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(100_000))
                .build());
        assertEquals(Outcome.APPROVE, client.decide(DecisionRequest.newBuilder().setRequestId("d-" + b)
                .setBorrowerId(b).setProduct(Product.CONSUMER_CREDIT).setAmountMinor(AMOUNT).build()).getOutcome());
    }

    /** Writes to the group until {@code done} (a snapshot is built and the log purged as entries are applied). */
    private void writeUntil(FormicaClient client, BooleanSupplier done) {
        for (int i = 0; i < 1_000 && !done.getAsBoolean(); i++) {
            writeOne(client);
        }
        assertTrue(done.getAsBoolean(), "not reached after " + written + " writes");
    }

    private FormicaClient client() {
        return FormicaClient.builder().targets(NODES).defaultDeadline(Duration.ofSeconds(30)).build();
    }

    private Path groupDir(int node) {
        return dir.resolve("n" + node).resolve("raft").resolve(GroupLayout.groupId(GROUP).getUuid().toString());
    }

    private List<Path> files(int node, String sub) {
        try (Stream<Path> s = Files.list(groupDir(node).resolve(sub))) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The Raft indexes of the node's snapshot files of the group, newest first. */
    private List<Long> snapshots(int node) {
        List<Long> out = new ArrayList<>();
        for (Path f : files(node, "sm")) {
            Matcher m = SNAPSHOT.matcher(f.getFileName().toString());
            if (m.matches()) {
                out.add(Long.parseLong(m.group(2)));
            }
        }
        out.sort((a, b) -> Long.compare(b, a));
        return out;
    }

    /** The first Raft index the node's log of the group still holds (0 until a purge), and its last bound. */
    private long[] logRange(int node) {
        long first = Long.MAX_VALUE;
        long last = -1;
        for (Path f : files(node, "current")) {
            Matcher m = SEGMENT_FILE.matcher(f.getFileName().toString());
            if (m.matches()) {
                long start = Long.parseLong(m.group(1));
                first = Math.min(first, start);
                // an open segment holds at most one entry per 16 bytes of a segment
                last = Math.max(last, m.group(2) != null ? Long.parseLong(m.group(2)) : start + SEGMENT / 16);
            }
        }
        return new long[] {first, last};
    }

    private boolean snapshottedAndPurged(int node) {
        return snapshots(node).size() >= 2 && logRange(node)[0] > 0;
    }

    /** The group's state on {@code node}, without the idempotency generations (each node rotates its own). */
    private String digest(int node) {
        TreeMap<String, String> rows = StateDigest.rows(servers[node].pipeline().state(LAYOUT.shardOfGroup(node,
                GROUP)));
        rows.remove("R generation");
        return rows.toString();
    }

    private void awaitSameState(int follower, int leader) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> digest(follower).equals(digest(leader)));
        assertTrue(digest(leader).contains("L " + borrower(0) + "/"), "the leader holds the first line");
    }

    @Test
    void everyReplicaSnapshotsAndPurgesAndARestartSkipsADamagedSnapshot() throws IOException {
        for (int node = 0; node < 3; node++) {
            start(node);
        }
        int leader = awaitLeader();
        int follower = followerOf(leader);
        try (FormicaClient client = client()) {
            writeUntil(client, () -> IntStream.of(LAYOUT.replicasOf(GROUP)).allMatch(this::snapshottedAndPurged));
        }
        awaitSameState(follower, leader);
        String before = digest(leader);
        stopNode(follower);
        List<Long> kept = snapshots(follower);
        Path newest = groupDir(follower).resolve("sm").resolve(files(follower, "sm").stream()
                .map(p -> p.getFileName().toString()).filter(n -> n.endsWith("_" + kept.get(0))).findFirst()
                .orElseThrow());
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2); // a write cut short
        }
        long purgedTo = logRange(follower)[0];
        assertTrue(purgedTo > 0 && kept.get(1) >= purgedTo - 1, "the log holds every entry after the older snapshot");
        start(follower);
        awaitSameState(follower, leader);
        assertEquals(before, digest(follower));
        assertTrue(Files.exists(newest.resolveSibling(newest.getFileName() + ".corrupt")), "set aside");
        assertEquals(0, failStops.get(), "no replica had to stop");
    }

    @Test
    void aFollowerBehindThePurgedLogCatchesUpByInstallingTheLeadersSnapshot() {
        for (int node = 0; node < 3; node++) {
            start(node);
        }
        int leader = awaitLeader();
        int follower = followerOf(leader);
        try (FormicaClient client = client()) {
            writeOne(client);
            awaitSameState(follower, leader);
            stopNode(follower);
            long followerLast = logRange(follower)[1];
            // the leader purges past everything the stopped follower holds
            writeUntil(client, () -> logRange(leader)[0] > followerLast + 1 && snapshots(leader).size() >= 2);
        }
        start(follower);
        // it applied its own log first, unless the installation came before its first commit from the leader: a
        // memory with the group's older state cannot take the snapshot in place, fail-stops and loads it on restart
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> failStops.get() >= 1 || digest(follower).equals(digest(leader)));
        assertTrue(files(follower, "sm").stream().anyMatch(f -> f.getFileName().toString().endsWith(".md5")),
                "the leader's snapshot file was installed (Ratis writes its digest beside it)");
        int stops = failStops.get();
        if (stops > 0) {
            stopNode(follower);
            start(follower);
        }
        awaitSameState(follower, leader);
        assertEquals(stops, failStops.get(), "after the installed snapshot is loaded the replica follows");
    }

    @Test
    void aReplicaThatLostItsDiskIsInstalledTheLeadersSnapshot() throws IOException {
        for (int node = 0; node < 3; node++) {
            start(node);
        }
        int leader = awaitLeader();
        int follower = followerOf(leader);
        try (FormicaClient client = client()) {
            writeOne(client);
            awaitSameState(follower, leader);
            stopNode(follower);
            SnapshotBuilder.deleteTree(dir.resolve("n" + follower));
            writeUntil(client, () -> snapshottedAndPurged(leader));
        }
        start(follower);
        awaitSameState(follower, leader);
        assertNotEquals(List.of(), snapshots(follower), "it started from the leader's snapshot");
        assertEquals(0, failStops.get(), "an empty memory loads the installed snapshot in place");
    }
}
