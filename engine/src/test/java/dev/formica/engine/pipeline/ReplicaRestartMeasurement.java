package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: the time a follower of a replicated group takes to restart and hold the leader's state again, without
 * snapshots (it applies the group's whole Raft log) and with them (it loads the newest snapshot and applies the
 * entries after it), after the same number of decisions for the group. Three engines in this process (gRPC
 * 127.0.0.1:50940-50942, Raft 50950-50952). Run with
 * {@code -Dformica.measure.restart.decisions=N [-Dformica.measure.restart.snapshot=ENTRIES]
 * [-Dformica.measure.restart.segment=BYTES]} (defaults N / 4 entries, 1 MiB segments); it prints, per mode,
 * the follower's Raft log on disk before the restart and the time from its start to a state digest equal to the
 * leader's (the engine's own start included). Speed is never asserted.
 */
@EnabledIfSystemProperty(named = "formica.measure.restart.decisions", matches = "\\d+")
class ReplicaRestartMeasurement {
    private static final List<String> NODES = List.of("127.0.0.1:50940", "127.0.0.1:50941", "127.0.0.1:50942");
    private static final List<String> RAFT = List.of("127.0.0.1:50950", "127.0.0.1:50951", "127.0.0.1:50952");
    private static final int GROUP = 0;
    private static final int IN_FLIGHT = 32;

    @TempDir
    Path dir;

    @Test
    void restartWithAndWithoutSnapshots() throws Exception {
        int decisions = Integer.getInteger("formica.measure.restart.decisions");
        long entries = Long.getLong("formica.measure.restart.snapshot", Math.max(100, decisions / 4));
        StringBuilder report = new StringBuilder("decisions for group " + GROUP + ": " + decisions + "\n");
        for (long mode : new long[] {0, entries}) {
            report.append(measure(dir.resolve("mode-" + mode), decisions, mode)).append('\n');
        }
        System.out.println("\n=== replica restart ===\n" + report);
    }

    private String measure(Path root, int decisions, long snapshotEntries) throws Exception {
        long segment = Long.getLong("formica.measure.restart.segment", 1L << 20);
        try (ReplicatedNodes cluster = new ReplicatedNodes(root, NODES, RAFT, c -> c
                .clusterSnapshotEntries(snapshotEntries).clusterLogSegmentBytes(segment).expectedBorrowers(20_000)
                .expectedDecisionsPerDay(40_000))) {
            for (int node = 0; node < 3; node++) {
                cluster.start(node);
            }
            int[] leader = {-1};
            await().atMost(Duration.ofSeconds(60)).until(() -> (leader[0] = cluster.leader(GROUP)) >= 0);
            int follower = Arrays.stream(ReplicatedNodes.LAYOUT.replicasOf(GROUP)).filter(n -> n != leader[0])
                    .findFirst().orElseThrow();
            long writeStart = System.nanoTime();
            write(cluster, decisions);
            long writeMs = (System.nanoTime() - writeStart) / 1_000_000;
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.digest(follower, GROUP).equals(cluster.digest(leader[0], GROUP)));
            cluster.stop(follower);
            long logBytes = bytes(cluster.groupDir(follower, GROUP).resolve("current"));
            long snapshotBytes = bytes(cluster.groupDir(follower, GROUP).resolve("sm"));
            long started = System.nanoTime();
            cluster.start(follower);
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> cluster.digest(follower, GROUP).equals(cluster.digest(leader[0], GROUP)));
            long restartMs = (System.nanoTime() - started) / 1_000_000;
            return String.format("clusterSnapshotEntries %d: writes took %d ms; follower's Raft log %d bytes,"
                    + " snapshots %d bytes; restart to the leader's digest %d ms", snapshotEntries, writeMs, logBytes,
                    snapshotBytes, restartMs);
        }
    }

    /** {@code decisions} profiles and decisions for borrowers of the group, {@link #IN_FLIGHT} at a time. */
    private static void write(ReplicatedNodes cluster, int decisions) throws InterruptedException {
        Semaphore slots = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<?>> calls = new ArrayList<>();
        try (FormicaClient client = FormicaClient.builder().targets(cluster.targets())
                .defaultDeadline(Duration.ofSeconds(60)).build()) {
            int k = 0;
            for (int i = 0; i < decisions; i++) {
                String b;
                do {
                    b = "m-" + k++;
                } while (ReplicatedNodes.LAYOUT.groupOf(Partitions.of(b)) != GROUP);
                String borrower = b;
                slots.acquire();
                calls.add(client.upsertProfileAsync(Profile.newBuilder().setBorrowerId(borrower).setRegion("CN-31")
                        .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(100_000))
                        .build()).thenCompose(r -> client.decideAsync(DecisionRequest.newBuilder()
                                .setRequestId("d-" + borrower).setBorrowerId(borrower)
                                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000).build()))
                        .whenComplete((r, e) -> slots.release()));
            }
            CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).join();
        }
    }

    private static long bytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
