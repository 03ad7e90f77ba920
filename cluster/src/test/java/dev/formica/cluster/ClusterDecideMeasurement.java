package dev.formica.cluster;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
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
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
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
 * Enabled by {@code -Dformica.measure.rate=N}. Beside the latencies it reports the servers' CPU time (utime + stime,
 * {@link ProcessHandle.Info#totalCpuDuration}) over each measured window, per answered call.
 */
@EnabledIfSystemProperty(named = "formica.measure.rate", matches = "\\d+")
class ClusterDecideMeasurement {
    private static final int BASE = Integer.getInteger("formica.ports.base", 50680);
    private static final List<String> NODES = NodeProcesses.loopback(BASE, 3);
    private static final List<String> RAFT = NodeProcesses.loopback(BASE + 5, 3);
    private static final int BORROWERS = 1000;

    @TempDir
    Path dir;
    private final List<String> report = new ArrayList<>();

    @Test
    void measure() throws Exception {
        int rate = Integer.getInteger("formica.measure.rate");
        Duration warmup = Duration.ofSeconds(Long.getLong("formica.measure.warmup", 30));
        Duration measured = Duration.ofSeconds(Long.getLong("formica.measure.seconds", 30));
        report.add(String.format(Locale.ROOT, "rate %d/s, warm-up %d s, measured %d s; latency from the intended"
                + " send time, ms", rate, warmup.toSeconds(), measured.toSeconds()));
        try (NodeProcesses one = NodeProcesses.single(dir.resolve("single"), NODES.get(0)).measured()) {
            one.start(0);
            await().atMost(Duration.ofMinutes(4)).until(() -> one.map(0) != null);
            try (FormicaClient client = client(List.of(NODES.get(0)))) {
                loadProfiles(client);
                run("echo, 1 node", rate, warmup, measured, one::cpu,
                        i -> client.echoAsync(ByteString.copyFromUtf8("e" + i)));
                run("decide, 1 node", rate, warmup, measured, one::cpu, i -> client.decideAsync(decide(i, "1-")));
            }
        }
        try (NodeProcesses three = new NodeProcesses(dir.resolve("three"), NODES, RAFT).measured()) {
            for (int i = 0; i < 3; i++) {
                three.start(i);
            }
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200)).until(() -> {
                PartitionMap[] maps = three.maps();
                return IntStream.range(0, Partitions.COUNT).allMatch(p -> three.claimants(p, maps).size() == 1);
            });
            leadersSettle(three);
            try (FormicaClient client = client(NODES)) {
                loadProfiles(client);
                run("decide, 3 replicated nodes", rate, warmup, measured, three::cpu,
                        i -> client.decideAsync(decide(i, "3-")));
                failover(three, client, rate);
            }
        }
        Path out = Path.of(System.getProperty("formica.measure.out", "target/cluster-decide.txt"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, report, StandardCharsets.UTF_8);
        report.forEach(System.out::println);
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

    private static FormicaClient client(List<String> targets) {
        return FormicaClient.builder().targets(targets).defaultDeadline(Duration.ofSeconds(20))
                .retryPolicy(RetryPolicy.builder().maxAttempts(30).maxBackoff(Duration.ofMillis(250)).build())
                .build();
    }

    private static void loadProfiles(FormicaClient client) {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int b = 0; b < BORROWERS; b++) {
            pending.add(client.upsertProfileAsync(Profile.newBuilder().setBorrowerId("m-" + b).setRegion("CN-31")
                    .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                            .setLineMinor(1_000_000_000L)).build()));
            if (pending.size() == 64) {
                pending.forEach(CompletableFuture::join);
                pending.clear();
            }
        }
        pending.forEach(CompletableFuture::join);
    }

    private static DecisionRequest decide(long i, String prefix) {
        return DecisionRequest.newBuilder().setRequestId(prefix + i).setBorrowerId("m-" + (i % BORROWERS))
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100).build();
    }

    /** Calls at {@code rate}/s, each at its intended time; the measured part's latencies from those times. */
    private void run(String name, int rate, Duration warmup, Duration measured, Supplier<Duration> cpu,
            Function<Long, CompletableFuture<?>> call) {
        Recorder recorder = new Recorder(3);
        AtomicLong errors = new AtomicLong();
        long periodNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        long warmEnd = start + warmup.toNanos();
        long end = warmEnd + measured.toNanos();
        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        AtomicLong next = new AtomicLong();
        sender.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            // every call whose intended time has come, so a stalled sender shows as latency, not as fewer calls
            for (long i = next.get(); start + i * periodNanos <= now && start + i * periodNanos < end; i++) {
                long intended = start + i * periodNanos;
                next.set(i + 1);
                call.apply(i).whenComplete((r, e) -> {
                    if (intended < warmEnd) {
                        return;
                    }
                    if (e != null) {
                        errors.incrementAndGet();
                    } else {
                        recorder.recordValue(Math.max(1, (System.nanoTime() - intended) / 1000));
                    }
                });
            }
        }, 0, Math.max(1, periodNanos / 1000), TimeUnit.MICROSECONDS);
        await().atMost(warmup.plus(measured).plusMinutes(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> System.nanoTime() >= warmEnd);
        Duration cpuAtStart = cpu.get();
        await().atMost(measured.plusMinutes(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> System.nanoTime() >= end);
        Duration cpuUsed = cpu.get().minus(cpuAtStart);
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .until(() -> System.nanoTime() >= end + TimeUnit.SECONDS.toNanos(5));
        sender.shutdownNow();
        Histogram h = recorder.getIntervalHistogram();
        report.add(String.format(Locale.ROOT, "%-28s n %7d  errors %4d  p50 %7.2f  p99 %7.2f  p99.9 %7.2f  max %8.2f"
                + "  servers' CPU %6.2f s, %6.3f ms/call", name, h.getTotalCount(), errors.get(),
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, cpuUsed.toMillis() / 1000.0,
                cpuUsed.toMillis() / (double) Math.max(1, rate * measured.toSeconds())));
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
