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
    /** The window the idle nodes' CPU is read over, after the leaders settled (the nodes' first minutes: JIT). */
    private static final Duration IDLE = Duration.ofSeconds(10);
    /**
     * The window the idle nodes' CPU is read over again after the replicated Decide's window (warm nodes: what a
     * node costs with no load, apart from the per-entry cost), by thread group ({@code -Dformica.measure.idleAfter},
     * seconds; 0 skips it).
     */
    private static final Duration IDLE_AFTER = Duration.ofSeconds(Long.getLong("formica.measure.idleAfter", 30));

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
                try (RaftEntries entries = new RaftEntries(RAFT)) {
                    WindowReadings readings = new WindowReadings(profiled("decide", three), three, entries);
                    FixedRateLoad.Result result = FixedRateLoad.run("decide, 3 replicated nodes", rate, warmup,
                            measured, readings, i -> client.decideAsync(FixedRateLoad.decide(i, "3-")));
                    report.add(result.line());
                    report.addAll(readings.lines(result, measured));
                    idleAfterLoad(three);
                }
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
     * The three nodes' CPU over {@link #IDLE_AFTER} with no load, once the replicated Decide's window and its last
     * answers are over (the nodes warm: the JIT mostly done), per node per second and by thread group: the part of
     * the CPU per Decide that is not per entry (heartbeats, timers, polls).
     */
    private void idleAfterLoad(NodeProcesses three) throws InterruptedException {
        if (IDLE_AFTER.isZero()) {
            return;
        }
        Supplier<Duration> cpu = profiled("idle-warm", three);
        java.util.Map<String, Long> threadsBefore = three.threadCpu();
        java.util.Map<String, Long> switchesBefore = three.threadSwitches();
        Duration before = cpu.get();
        Thread.sleep(IDLE_AFTER.toMillis()); // a fixed window of time is what is measured, nothing is waited for
        Duration used = cpu.get().minus(before);
        java.util.Map<String, Long> threadsAfter = three.threadCpu();
        java.util.Map<String, Long> switchesAfter = three.threadSwitches();
        long seconds = IDLE_AFTER.toSeconds();
        report.add(String.format(Locale.ROOT, "idle after the load, 3 replicated nodes: %.1f ms of CPU a second per"
                + " node (%d ms over %d s)", used.toMillis() / 3.0 / seconds, used.toMillis(), seconds));
        java.util.Map<String, Long> byGroup = byThreadGroup(three, threadsBefore, threadsAfter);
        java.util.Map<String, Long> switches = byThreadGroup(three, switchesBefore, switchesAfter);
        long allSwitches = switches.values().stream().mapToLong(Long::longValue).sum();
        report.add(String.format(Locale.ROOT, "idle after the load, context switches: %.0f a second per node",
                allSwitches / 3.0 / seconds));
        StringBuilder b = new StringBuilder("idle after the load by thread group (ms over the three nodes, ms a second"
                + " per node, context switches a second per node):");
        byGroup.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(16)
                .forEach(e -> b.append(String.format(Locale.ROOT, "%n    %-44s %7d  %6.2f  %7.1f", e.getKey(),
                        e.getValue(), e.getValue() / 3.0 / seconds,
                        switches.getOrDefault(e.getKey(), 0L) / 3.0 / seconds)));
        report.add(b.toString());
    }

    /**
     * CPU ms by thread group between two {@link NodeProcesses#threadCpu} readings: a thread's Java name (from
     * {@link NodeProcesses#threadNames}, else the kernel's) with numbers and Ratis group ids taken out.
     */
    static java.util.Map<String, Long> byThreadGroup(NodeProcesses nodes, java.util.Map<String, Long> before,
            java.util.Map<String, Long> after) {
        java.util.Map<String, String> names = nodes.threadNames();
        java.util.Map<String, Long> used = new java.util.TreeMap<>();
        after.forEach((key, ms) -> {
            int cut = key.indexOf('/', key.indexOf('/') + 1);
            String name = names.getOrDefault(key.substring(0, cut), key.substring(cut + 1));
            // one group for the threads of a kind: numbers and Ratis group ids taken out
            name = name.replaceAll("group-[0-9A-F]{12}", "group-*").replaceAll("[0-9]+", "#");
            used.merge(name, ms - before.getOrDefault(key, 0L), Long::sum);
        });
        return used;
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

    /**
     * The Ratis entries the three groups committed: for each group the highest commit index any of its replicas
     * reports (Ratis's group info, {@code GroupManagementApi.info}, over the transport {@code -Draft.rpc.type} names,
     * gRPC by default). Entries also count Ratis's own: a leader's first entry of its term and configuration changes
     * (none while the leaders stay), and with {@code raft.server.log.log-metadata.enabled} (Ratis's default, off in
     * the replicas since session 11) a commit-index entry after each commit.
     */
    static final class RaftEntries implements AutoCloseable {
        private final List<org.apache.ratis.client.RaftClient> clients = new ArrayList<>();
        private final List<org.apache.ratis.protocol.RaftGroup> groups = new ArrayList<>();

        RaftEntries(List<String> raft) {
            GroupLayout layout = new GroupLayout(raft.size());
            org.apache.ratis.conf.RaftProperties p = new org.apache.ratis.conf.RaftProperties();
            org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(p,
                    org.apache.ratis.util.TimeDuration.valueOf(2, TimeUnit.SECONDS));
            for (String name : System.getProperties().stringPropertyNames()) {
                if (name.startsWith("raft.")) {
                    p.set(name, System.getProperty(name)); // the transport the nodes use
                }
            }
            for (int g = 0; g < layout.groups(); g++) {
                org.apache.ratis.protocol.RaftGroup group = layout.raftGroup(g, raft);
                groups.add(group);
                clients.add(org.apache.ratis.client.RaftClient.newBuilder().setProperties(p).setRaftGroup(group)
                        .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry()).build());
            }
        }

        /** The sum over the groups of their commit index (-1 for a group none of whose replicas answered). */
        long committed() {
            long sum = 0;
            for (int g = 0; g < groups.size(); g++) {
                long best = -1;
                for (org.apache.ratis.protocol.RaftPeer peer : groups.get(g).getPeers()) {
                    try {
                        best = Math.max(best, clients.get(g).getGroupManagementApi(peer.getId())
                                .info(groups.get(g).getGroupId()).getLogInfoProto().getCommitted().getIndex());
                    } catch (IOException | RuntimeException silent) {
                        // another replica answers
                    }
                }
                if (best < 0) {
                    return -1;
                }
                sum += best;
            }
            return sum;
        }

        @Override
        public void close() throws IOException {
            for (org.apache.ratis.client.RaftClient c : clients) {
                c.close();
            }
        }
    }

    /**
     * The CPU supplier of a measured window ({@link FixedRateLoad#run} reads it at the window's start and end) that
     * also reads, at both ends, the groups' committed Ratis entries and every node thread's CPU time by thread name
     * ({@link NodeProcesses#threadCpu}): CPU per Ratis entry beside CPU per Decide, since group commit puts more
     * Decides into an entry the slower the nodes are, and the JIT compiler threads' share.
     */
    static final class WindowReadings implements Supplier<Duration> {
        private final Supplier<Duration> cpu;
        private final NodeProcesses nodes;
        private final RaftEntries entries;
        private final List<Long> committed = new ArrayList<>();
        private final List<java.util.Map<String, Long>> threads = new ArrayList<>();
        private final List<java.util.Map<String, Long>> switches = new ArrayList<>();
        private final List<Duration> cpus = new ArrayList<>();

        WindowReadings(Supplier<Duration> cpu, NodeProcesses nodes, RaftEntries entries) {
            this.cpu = cpu;
            this.nodes = nodes;
            this.entries = entries;
        }

        @Override
        public Duration get() {
            committed.add(entries.committed());
            threads.add(nodes.threadCpu());
            switches.add(nodes.threadSwitches());
            Duration d = cpu.get();
            cpus.add(d);
            return d;
        }

        /** The report's lines for the window read at the first two calls. */
        List<String> lines(FixedRateLoad.Result result, Duration measured) {
            List<String> out = new ArrayList<>();
            if (committed.size() < 2 || committed.get(0) < 0 || committed.get(1) < 0) {
                out.add("ratis entries: not read (a group's replicas did not answer its info)");
            } else {
                long n = committed.get(1) - committed.get(0);
                double cpuMs = result.cpu().toMillis();
                out.add(String.format(Locale.ROOT, "ratis entries committed in the window: %d (%.1f/s over the three"
                        + " groups), %.2f Decides answered per entry, servers' CPU %.3f ms per entry", n,
                        n / (double) measured.toSeconds(), result.answered() / (double) Math.max(1, n),
                        cpuMs / Math.max(1, n)));
            }
            if (threads.size() >= 2) {
                java.util.Map<String, Long> used = byThreadGroup(nodes, threads.get(0), threads.get(1));
                long total = Math.max(1, used.values().stream().mapToLong(Long::longValue).sum());
                long decides = Math.max(1, result.answered());
                java.util.Map<String, Long> switched = switches.size() >= 2
                        ? byThreadGroup(nodes, switches.get(0), switches.get(1)) : java.util.Map.of();
                long allSwitches = switched.values().stream().mapToLong(Long::longValue).sum();
                long entryCount = committed.size() >= 2 && committed.get(0) >= 0 && committed.get(1) >= 0
                        ? Math.max(1, committed.get(1) - committed.get(0)) : 0;
                out.add(String.format(Locale.ROOT, "node threads' context switches in the window: %d, %.1f per Decide"
                        + "%s", allSwitches, allSwitches / (double) decides, entryCount == 0 ? ""
                        : String.format(Locale.ROOT, ", %.1f per Ratis entry", allSwitches / (double) entryCount)));
                StringBuilder b = new StringBuilder("servers' CPU in the window by thread group (ms, %, ms per"
                        + " 1000 Decides, context switches per Decide):");
                used.entrySet().stream().filter(e -> e.getValue() > 0)
                        .sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(16)
                        .forEach(e -> b.append(String.format(Locale.ROOT, "%n    %-44s %7d  %4.1f %%  %7.1f  %6.2f",
                                e.getKey(), e.getValue(), 100.0 * e.getValue() / total,
                                1000.0 * e.getValue() / decides,
                                switched.getOrDefault(e.getKey(), 0L) / (double) decides)));
                long jit = used.entrySet().stream().filter(e -> e.getKey().contains("CompilerThre"))
                        .mapToLong(java.util.Map.Entry::getValue).sum();
                out.add(String.format(Locale.ROOT, "JIT compiler threads in the window: %d of %d ms (%.1f %%) of the"
                        + " node threads' CPU", jit, total, 100.0 * jit / total));
                // the groups' snapshot builder (one thread per node), also since the nodes started: the warm-up's too
                long builders = used.entrySet().stream().filter(e -> e.getKey().startsWith("formica-group-s"))
                        .mapToLong(java.util.Map.Entry::getValue).sum();
                long buildersSinceStart = threads.get(1).entrySet().stream()
                        .filter(e -> e.getKey().endsWith("/formica-group-s")).mapToLong(java.util.Map.Entry::getValue)
                        .sum();
                out.add(String.format(Locale.ROOT, "group snapshot builders (formica-group-snapshots, the three"
                        + " nodes): %d ms of CPU in the window, %d ms since the nodes started", builders,
                        buildersSinceStart));
                out.add(b.toString());
            }
            return out;
        }
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
