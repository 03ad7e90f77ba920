package dev.formica.cluster;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (it asserts nothing; run by {@code loadtest/scripts/cluster-scale.sh}): what a second
 * node adds when each node owns its own partitions (no replication) and the SDK routes each borrower to its owner.
 * One node at {@code R}/s, then two nodes at {@code 2R}/s in total (each about {@code R}), both with Echo on the one
 * node at {@code R} as the yardstick of the box, every call through the SDK from its intended send time. On this
 * 2-core box the two nodes and the load generator share the same cores, so the throughput of two machines is read
 * from the CPU: each node's CPU per Decide it answered, against the one node's. Ports 50690-50691, or from
 * {@code -Dformica.ports.base=B}. Enabled by {@code -Dformica.measure.rate=R}.
 */
@EnabledIfSystemProperty(named = "formica.measure.rate", matches = "\\d+")
class ClusterScaleMeasurement {
    private static final int BASE = Integer.getInteger("formica.ports.base", 50690);
    private static final List<String> NODES = NodeProcesses.loopback(BASE, 2);

    @TempDir
    Path dir;
    private final List<String> report = new ArrayList<>();

    @Test
    void measure() throws Exception {
        FixedRateLoad.Window window = FixedRateLoad.Window.fromProperties();
        int rate = window.rate();
        Duration warmup = window.warmup();
        Duration measured = window.measured();
        report.add(String.format(Locale.ROOT, "1 node at %d/s, 2 nodes at %d/s in total; warm-up %d s, measured %d s;"
                + " latency from the intended send time, ms", rate, 2 * rate, warmup.toSeconds(),
                measured.toSeconds()));
        double single;
        try (NodeProcesses one = NodeProcesses.single(dir.resolve("single"), NODES.get(0)).measured()) {
            one.start(0);
            await().atMost(Duration.ofMinutes(4)).until(() -> one.map(0) != null);
            try (FormicaClient client = FixedRateLoad.client(List.of(NODES.get(0)))) {
                FixedRateLoad.loadProfiles(client);
                report.add(FixedRateLoad.run("echo, 1 node", rate, warmup, measured, one::cpu,
                        i -> client.echoAsync(ByteString.copyFromUtf8("e" + i))).line());
                FixedRateLoad.Result decide = FixedRateLoad.run("decide, 1 node", rate, warmup, measured, one::cpu,
                        i -> client.decideAsync(FixedRateLoad.decide(i, "1-")));
                report.add(decide.line());
                single = decide.cpuMsPerCall();
            }
        }
        try (NodeProcesses two = NodeProcesses.partitioned(dir.resolve("two"), NODES).measured()) {
            two.start(0);
            two.start(1);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200))
                    .until(() -> two.map(0) != null && two.map(1) != null);
            try (FormicaClient client = FixedRateLoad.client(NODES)) {
                FixedRateLoad.loadProfiles(client);
                report.add(FixedRateLoad.run("echo, node 0 of 2", rate, warmup, measured, two::cpu,
                        i -> client.echoAsync(ByteString.copyFromUtf8("e" + i))).line());
                Duration[] before = new Duration[2];
                Duration[] used = new Duration[2];
                FixedRateLoad.Result decide = FixedRateLoad.run("decide, 2 nodes", 2 * rate, warmup, measured, () -> {
                    // called at the start and at the end of the measured window: per node as well as together
                    for (int n = 0; n < 2; n++) {
                        if (before[n] == null) {
                            before[n] = two.cpu(n);
                        } else {
                            used[n] = two.cpu(n).minus(before[n]);
                        }
                    }
                    return two.cpu();
                }, i -> client.decideAsync(FixedRateLoad.decide(i, "2-")));
                report.add(decide.line());
                perNode(decide, used, single);
            }
        }
        Path out = Path.of(System.getProperty("formica.measure.out", "target/cluster-scale.txt"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, report, StandardCharsets.UTF_8);
        report.forEach(System.out::println);
    }

    /** Each node's share of the Decides (by its borrowers' partitions), its CPU per Decide, and the ratio. */
    private void perNode(FixedRateLoad.Result decide, Duration[] used, double single) {
        long[] owned = new long[2];
        IntStream.range(0, FixedRateLoad.BORROWERS).forEach(b ->
                owned[PartitionTable.rangeOwner(Partitions.of("m-" + b), 2)]++);
        double worst = 0;
        for (int n = 0; n < 2; n++) {
            double share = owned[n] / (double) FixedRateLoad.BORROWERS;
            double calls = decide.intended() * share;
            double perCall = used[n].toMillis() / Math.max(1, calls);
            worst = Math.max(worst, perCall);
            report.add(String.format(Locale.ROOT, "node %d: %.1f %% of the borrowers, %.0f Decides, CPU %.2f s,"
                    + " %.3f ms per Decide it answered", n, 100 * share, calls, used[n].toMillis() / 1000.0,
                    perCall));
        }
        report.add(String.format(Locale.ROOT, "capacity of 2 machines vs 1, from the CPU per Decide"
                + " (2 x one node's / the busier node's): %.2fx%s", 2 * single / worst, decide.errors() == 0 ? ""
                : " (NOT VALID: calls failed, this box did not keep up with the rate; run at a lower one)"));
    }
}
