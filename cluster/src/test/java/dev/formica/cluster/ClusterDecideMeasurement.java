package dev.formica.cluster;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.Product;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (it asserts nothing; run by {@code loadtest/scripts/cluster-decide.sh}): Decide at a
 * fixed rate through the SDK against one node without replication and against three replicated nodes, Echo at the
 * same rate against the one node as the yardstick of the box, latency from each call's intended send time; then,
 * on the three nodes under the same load, the time from {@code kill -9} of a group's leader to the first Decide of
 * that group answered. Ports 50680-50689, or from {@code -Dformica.ports.base=B} (gRPC B..B+2, Raft B+5..B+7).
 * Enabled by {@code -Dformica.measure.rate=N}; {@code -Dformica.measure.single=false} skips the one-node runs.
 * Beside the latencies it reports the servers' CPU time (utime + stime,
 * {@link ProcessHandle.Info#totalCpuDuration}) over each measured window, per answered call.
 */
@EnabledIfSystemProperty(named = "formica.measure.rate", matches = "\\d+")
class ClusterDecideMeasurement {
    private static final int BASE = Integer.getInteger("formica.ports.base", 50680);
    private static final List<String> NODES = NodeProcesses.loopback(BASE, 3);
    private static final List<String> RAFT = NodeProcesses.loopback(BASE + 5, 3);
    private static final int BORROWERS = FixedRateLoad.BORROWERS;
    /**
     * How long the three nodes may take until every partition has a leader ({@code -Dformica.measure.startMinutes},
     * default 4): on a box at load average 12-28 three nodes took more than 4 minutes.
     */
    private static final Duration START = Duration.ofMinutes(Long.getLong("formica.measure.startMinutes", 4));
    /** The window the idle nodes' CPU is read over. */
    private static final Duration IDLE = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final List<String> report = new ArrayList<>();

    @Test
    void measure() throws Exception {
        FixedRateLoad.Window window = FixedRateLoad.Window.fromProperties();
        int rate = window.rate();
        Duration warmup = window.warmup();
        Duration measured = window.measured();
        report.add(String.format(Locale.ROOT, "rate %d/s, warm-up %d s, measured %d s; latency from the intended"
                + " send time, ms", rate, warmup.toSeconds(), measured.toSeconds()));
        if (Boolean.parseBoolean(System.getProperty("formica.measure.single", "true"))) {
            single(rate, warmup, measured);
        }
        replicated(rate, warmup, measured);
        Path out = Path.of(System.getProperty("formica.measure.out", "target/cluster-decide.txt"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, report, StandardCharsets.UTF_8);
        report.forEach(System.out::println);
    }

    /** Echo and Decide on one node without replication: the yardstick of the box and the baseline. */
    private void single(int rate, Duration warmup, Duration measured) throws Exception {
        try (NodeProcesses one = NodeProcesses.single(dir.resolve("single"), NODES.get(0)).measured()) {
            one.start(0);
            await().atMost(Duration.ofMinutes(4)).until(() -> one.map(0) != null);
            try (FormicaClient client = FixedRateLoad.client(List.of(NODES.get(0)))) {
                FixedRateLoad.loadProfiles(client);
                run("echo, 1 node", rate, warmup, measured, one::cpu,
                        i -> client.echoAsync(ByteString.copyFromUtf8("e" + i)));
                run("decide, 1 node", rate, warmup, measured, one::cpu,
                        i -> client.decideAsync(FixedRateLoad.decide(i, "1-")));
            }
        }
    }

    /** Decide on three replicated nodes, then the failover. */
    private void replicated(int rate, Duration warmup, Duration measured) throws Exception {
        try (NodeProcesses three = new NodeProcesses(dir.resolve("three"), NODES, RAFT).measured()) {
            for (int i = 0; i < 3; i++) {
                three.start(i);
            }
            await().atMost(START).pollInterval(Duration.ofMillis(200)).until(() -> {
                PartitionMap[] maps = three.maps();
                return IntStream.range(0, Partitions.COUNT).allMatch(p -> three.claimants(p, maps).size() == 1);
            });
            leadersSettle(three);
            idle(three);
            try (FormicaClient client = FixedRateLoad.client(NODES)) {
                FixedRateLoad.loadProfiles(client);
                run("decide, 3 replicated nodes", rate, warmup, measured, profiled("decide", three),
                        i -> client.decideAsync(FixedRateLoad.decide(i, "3-")));
                failover(three, client, rate);
            }
        }
    }

    /**
     * Waits (at most a minute) until every group is led by its own node, as the leader hand-over makes it, so the
     * load does not start in the middle of a hand-over; reports who leads what then (a build without the hand-over
     * just waits the minute).
     */
    private void leadersSettle(NodeProcesses three) {
        try {
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> {
                PartitionMap[] maps = three.maps();
                return IntStream.range(0, Partitions.COUNT).allMatch(p ->
                        three.claimants(p, maps).equals(List.of(PartitionTable.rangeOwner(p, 3))));
            });
        } catch (ConditionTimeoutException notSpread) {
            // measured as it is
        }
        PartitionMap[] maps = three.maps();
        List<String> leaders = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            int first = g * Partitions.COUNT / 3 + (g == 0 ? 0 : 1);
            leaders.add("group " + g + " led by node " + three.claimants(first, maps));
        }
        report.add("leaders at the start of the load: " + String.join(", ", leaders));
    }

    /**
     * The three nodes' CPU over {@link #IDLE} with no load, after the leaders settled, per node per second (heartbeats,
     * timers, the hand-over checks).
     */
    private void idle(NodeProcesses three) throws InterruptedException {
        Supplier<Duration> cpu = profiled("idle", three);
        Duration before = cpu.get();
        Thread.sleep(IDLE.toMillis()); // a fixed window of time is what is measured, nothing is waited for
        Duration used = cpu.get().minus(before);
        report.add(String.format(Locale.ROOT, "idle, 3 replicated nodes: %.1f ms of CPU a second per node (%d ms"
                + " over %d s)", used.toMillis() / 3.0 / IDLE.toSeconds(), used.toMillis(), IDLE.toSeconds()));
    }

    /**
     * The nodes' CPU, and with {@code -Dformica.measure.profile=CMD} CMD run as {@code CMD PHASE start|stop PIDS...}
     * at the first and second reading (the measured window's start and end): a profiler attached for the window. The
     * CPU read over the window then includes the profiler's.
     */
    private static Supplier<Duration> profiled(String phase, NodeProcesses nodes) {
        String command = System.getProperty("formica.measure.profile", "");
        AtomicLong readings = new AtomicLong();
        return () -> {
            long n = readings.getAndIncrement();
            if (!command.isEmpty() && n < 2) {
                List<String> args = new ArrayList<>(List.of(command, phase, n == 0 ? "start" : "stop"));
                nodes.pids().forEach(pid -> args.add(Long.toString(pid)));
                try {
                    new ProcessBuilder(args).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return nodes.cpu();
        };
    }

    /** Runs {@link FixedRateLoad#run} and reports its line. */
    private void run(String name, int rate, Duration warmup, Duration measured, Supplier<Duration> cpu,
            Function<Long, CompletableFuture<?>> call) {
        report.add(FixedRateLoad.run(name, rate, warmup, measured, cpu, call).line());
    }

    /** Load at {@code rate}; kill -9 of the leader of borrower m-0's group; time to that group's first answer. */
    private void failover(NodeProcesses three, FormicaClient client, int rate) throws InterruptedException {
        int partition = Partitions.of("m-0");
        int group = new GroupLayout(3).groupOf(partition);
        List<Long> groupBorrowers = new ArrayList<>();
        for (long b = 0; b < BORROWERS && groupBorrowers.size() < 50; b++) {
            if (new GroupLayout(3).groupOf(Partitions.of("m-" + b)) == group) {
                groupBorrowers.add(b);
            }
        }
        int leader = three.claimants(partition, three.maps()).get(0);
        AtomicLong killed = new AtomicLong();
        AtomicLong answered = new AtomicLong();
        AtomicLong seq = new AtomicLong();
        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        sender.scheduleAtFixedRate(() -> {
            long i = seq.getAndIncrement();
            long b = groupBorrowers.get((int) (i % groupBorrowers.size()));
            long sent = System.nanoTime();
            client.decideAsync(DecisionRequest.newBuilder().setRequestId("f-" + i).setBorrowerId("m-" + b)
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100).build()).whenComplete((r, e) -> {
                        long k = killed.get();
                        if (e == null && k != 0 && sent >= k) {
                            answered.compareAndSet(0, System.nanoTime());
                        }
                    });
        }, 0, Math.max(1, 1_000_000L / Math.max(1, rate / 3)), TimeUnit.MICROSECONDS);
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> seq.get() > 0);
        killed.set(System.nanoTime());
        three.kill(leader);
        await().atMost(Duration.ofMinutes(1)).until(() -> answered.get() != 0);
        sender.shutdownNow();
        report.add(String.format(Locale.ROOT, "failover: kill -9 of node %d (leader of group %d) to the first Decide of"
                + " that group sent after the kill answered: %d ms", leader, group,
                (answered.get() - killed.get()) / 1_000_000));
    }
}
