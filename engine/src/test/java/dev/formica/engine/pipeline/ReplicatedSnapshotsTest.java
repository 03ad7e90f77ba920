package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * (gRPC 127.0.0.1:20920-20922, Raft 20930-20932; or B+43..B+45 and B+46..B+48 from {@code -Dformica.ports.base=B}),
 * a snapshot every 30 entries and 4 KiB log segments: every replica
 * snapshots and purges its log; a replica restarted with its newest snapshot damaged loads the older one and the log
 * after it; a follower whose next entry the leader purged catches up by installing the leader's snapshot. Each ends
 * with the replica's state digest equal to the leader's (the idempotency generations aside: each node rotates its
 * own from its own start).
 */
class ReplicatedSnapshotsTest {
    /** gRPC and Raft ports: 20920 and 20930 on, or B+43 and B+46 on from {@code -Dformica.ports.base=B}. */
    private static final int GRPC = Integer.getInteger("formica.ports.base") == null ? 20920
            : Integer.getInteger("formica.ports.base") + 43;
    private static final int RAFT_PORT = GRPC == 20920 ? 20930 : GRPC + 3;
    private static final List<String> NODES = List.of("127.0.0.1:" + GRPC, "127.0.0.1:" + (GRPC + 1),
            "127.0.0.1:" + (GRPC + 2));
    private static final List<String> RAFT = List.of("127.0.0.1:" + RAFT_PORT, "127.0.0.1:" + (RAFT_PORT + 1),
            "127.0.0.1:" + (RAFT_PORT + 2));
    private static final long ENTRIES = 30;
    private static final long SEGMENT = 4096;
    private static final long AMOUNT = 1_000;
    private static final GroupLayout LAYOUT = ReplicatedNodes.LAYOUT;
    private static final int GROUP = 0;
    private static final Pattern SNAPSHOT = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
    private static final Pattern SEGMENT_FILE = Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-(\\d+))?");

    @TempDir
    Path dir;
    private ReplicatedNodes cluster;
    private AtomicInteger failStops;
    private int written;

    @BeforeEach
    void noHalt() {
        cluster = new ReplicatedNodes(dir, NODES, RAFT, c -> c.clusterSnapshotEntries(ENTRIES)
                .clusterLogSegmentBytes(SEGMENT).expectedBorrowers(20_000).expectedDecisionsPerDay(40_000));
        failStops = cluster.failStops;
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    /**
     * Starts the three nodes and waits until each group is led by its own node: the leader hand-over (LeaderHandOver)
     * then has nothing left to move, so the leader a test finds stays the leader while it writes and stops a follower.
     */
    private void startAll() {
        cluster.startAll();
        cluster.awaitEveryGroupLedByItsOwnNode();
    }

    private int awaitLeader() {
        return cluster.awaitLeader(GROUP);
    }

    private static int followerOf(int leader) {
        return Arrays.stream(LAYOUT.replicasOf(GROUP)).filter(n -> n != leader).findFirst().orElseThrow();
    }

    private static String borrower(int i) {
        return Stream.iterate(i * 1_000, k -> k + 1).map(k -> "s-" + k)
                .filter(b -> LAYOUT.groupOf(Partitions.of(b)) == GROUP).findFirst().orElseThrow();
    }

    /**
     * Two entries of the group per call: a profile, then an approved decision; each sent again once a node serves the
     * group if its leader stepped down meanwhile ({@link ReplicatedNodes#whenServed}).
     */
    private void writeOne(FormicaClient client) {
        String b = borrower(written++);
        Profile profile = Profile.newBuilder().setBorrowerId(b).setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(100_000)).build();
        cluster.whenServed(GROUP, () -> client.upsertProfile(profile));
        DecisionRequest decide = DecisionRequest.newBuilder().setRequestId("d-" + b).setBorrowerId(b)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(AMOUNT).build();
        assertEquals(Outcome.APPROVE, cluster.whenServed(GROUP, () -> client.decide(decide)).getOutcome());
    }

    /**
     * Writes to the group until {@code done} (a snapshot is built and the log purged as entries are applied),
     * letting the running replicas catch up every 10 writes: a replica a few snapshots behind would be installed the
     * leader's snapshot (and, holding older state, fail-stop), which is another test's case.
     */
    private void writeUntil(FormicaClient client, BooleanSupplier done) {
        for (int i = 0; i < 1_000 && !done.getAsBoolean(); i++) {
            writeOne(client);
            if (i % 10 == 9) {
                String last = borrower(written - 1);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() ->
                        IntStream.of(LAYOUT.replicasOf(GROUP)).allMatch(n -> !cluster.running(n)
                                || cluster.holdsLine(n, last)));
            }
        }
        assertTrue(done.getAsBoolean(), "not reached after " + written + " writes");
    }

    private FormicaClient client() {
        return FormicaClient.builder().targets(NODES).defaultDeadline(Duration.ofSeconds(30)).build();
    }

    private Path groupDir(int node) {
        return cluster.groupDir(node, GROUP);
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

    private String digest(int node) {
        return cluster.digest(node, GROUP);
    }

    private void awaitSameState(int follower, int leader) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> digest(follower).equals(digest(leader)));
        assertTrue(digest(leader).contains("L " + borrower(0) + "/"), "the leader holds the first line");
    }

    @Test
    void everyReplicaSnapshotsAndPurgesAndARestartSkipsADamagedSnapshot() throws IOException {
        startAll();
        int leader = awaitLeader();
        int follower = followerOf(leader);
        try (FormicaClient client = client()) {
            writeUntil(client, () -> IntStream.of(LAYOUT.replicasOf(GROUP)).allMatch(this::snapshottedAndPurged));
        }
        awaitSameState(follower, leader);
        String before = digest(leader);
        cluster.stop(follower);
        List<Long> kept = snapshots(follower);
        Path newest = groupDir(follower).resolve("sm").resolve(files(follower, "sm").stream()
                .map(p -> p.getFileName().toString()).filter(n -> n.endsWith("_" + kept.get(0))).findFirst()
                .orElseThrow());
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2); // a write cut short
        }
        long purgedTo = logRange(follower)[0];
        assertTrue(purgedTo > 0 && kept.get(1) >= purgedTo - 1, "the log holds every entry after the older snapshot");
        cluster.start(follower);
        awaitSameState(follower, leader);
        assertEquals(before, digest(follower));
        assertTrue(Files.exists(newest.resolveSibling(newest.getFileName() + ".corrupt")), "set aside");
        assertEquals(0, failStops.get(), "no replica had to stop");
    }

    @Test
    void withTheThresholdFarAwayEveryReplicaSnapshotsOnItsInterval() throws InterruptedException {
        cluster.close();
        cluster = new ReplicatedNodes(dir, NODES, RAFT, c -> c.clusterSnapshotEntries(1_000_000)
                .snapshotInterval(Duration.ofMillis(300)).expectedBorrowers(20_000).expectedDecisionsPerDay(40_000));
        failStops = cluster.failStops;
        startAll();
        awaitLeader();
        try (FormicaClient client = client()) {
            // a million entries are never reached here: only the interval can start these builds
            writeUntil(client, () -> written >= 20
                    && IntStream.of(LAYOUT.replicasOf(GROUP)).allMatch(n -> !snapshots(n).isEmpty()));
        }
        String last = borrower(written - 1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> IntStream.of(LAYOUT.replicasOf(GROUP)).allMatch(n -> cluster.holdsLine(n, last)));
        int leader = awaitLeader(); // now: the hand-over may have given the group to its own node meanwhile
        int follower = followerOf(leader);
        awaitSameState(follower, leader);
        long newest = snapshots(follower).get(0);
        cluster.stop(follower);
        cluster.start(follower); // loads the interval's snapshot and applies the entries after it
        awaitSameState(follower, leader);
        assertTrue(snapshots(follower).get(0) >= newest);
        assertEquals(0, failStops.get(), "no replica had to stop");
    }

    /** The group's leader and the follower the test stops. */
    private record Pair(int leader, int follower) {
    }

    /** What a test does while its follower is stopped. */
    @FunctionalInterface
    private interface WhileStopped {
        void run(FormicaClient client, Pair nodes) throws IOException;
    }

    /**
     * Starts the three nodes, writes once, stops a follower once both hold it, and runs {@code meanwhile}: the
     * leader's majority is then itself and a follower known to be in touch (one that has not caught up yet, e.g.
     * still connecting to the leader, would cost the leader its majority the moment the other one stops).
     */
    private Pair withAFollowerStopped(WhileStopped meanwhile) throws IOException {
        startAll();
        int leader = awaitLeader();
        Pair nodes = new Pair(leader, followerOf(leader));
        try (FormicaClient client = client()) {
            writeOne(client);
            for (int node : LAYOUT.replicasOf(GROUP)) {
                if (node != leader) {
                    awaitSameState(node, leader);
                }
            }
            cluster.stop(nodes.follower());
            meanwhile.run(client, nodes);
        }
        return nodes;
    }

    @Test
    void aFollowerBehindThePurgedLogCatchesUpByInstallingTheLeadersSnapshot() throws IOException {
        Pair nodes = withAFollowerStopped((client, n) -> {
            long followerLast = logRange(n.follower())[1];
            // the leader purges past everything the stopped follower holds
            writeUntil(client, () -> logRange(n.leader())[0] > followerLast + 1 && snapshots(n.leader()).size() >= 2);
        });
        int leader = nodes.leader();
        int follower = nodes.follower();
        cluster.start(follower);
        // it applied its own log first, unless the installation came before its first commit from the leader: a
        // memory with the group's older state cannot take the snapshot in place, fail-stops and loads it on restart
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> failStops.get() >= 1 || digest(follower).equals(digest(leader)));
        assertTrue(files(follower, "sm").stream().anyMatch(f -> f.getFileName().toString().endsWith(".md5")),
                "the leader's snapshot file was installed (Ratis writes its digest beside it)");
        int stops = failStops.get();
        if (stops > 0) {
            cluster.stop(follower);
            cluster.start(follower);
        }
        awaitSameState(follower, leader);
        assertEquals(stops, failStops.get(), "after the installed snapshot is loaded the replica follows");
    }

    @Test
    void aReplicaThatLostItsDiskIsInstalledTheLeadersSnapshot() throws IOException {
        Pair nodes = withAFollowerStopped((client, n) -> {
            SnapshotBuilder.deleteTree(cluster.dataDir(n.follower()));
            writeUntil(client, () -> snapshottedAndPurged(n.leader()));
        });
        int leader = nodes.leader();
        int follower = nodes.follower();
        cluster.start(follower);
        awaitSameState(follower, leader);
        assertNotEquals(List.of(), snapshots(follower), "it started from the leader's snapshot");
        assertEquals(0, failStops.get(), "an empty memory loads the installed snapshot in place");
    }
}
