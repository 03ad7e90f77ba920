package dev.formica.cluster;

import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionMap;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Replicated engines as {@code formica serve} child processes on 127.0.0.1 (this JVM's class path and flags), so a
 * test can {@code kill -9} one ({@link Process#destroyForcibly}) and start it again on its data directory. Each
 * node's output goes to {@code target/failover-logs/node-<i>.out} (kept for a failed run).
 */
final class NodeProcesses implements AutoCloseable {
    private final Path dir;
    private final List<String> nodes;
    private final List<String> raft;
    private final Process[] processes;
    private final ManagedChannel[] channels;
    /**
     * Three servers and a test on a shared box: C1 only (a fast start), and the product's collector, G1, with a 50 ms
     * pause goal, a tenth of the election timeout (0.5 s), so that a node does not lose its leaderships to its own
     * pause. The serial collector these nodes had stopped them for a full collection each time class loading crossed
     * the metaspace threshold (three or more in a node's first 10 s: 0.04-0.22 s at load 9, 0.33-0.57 s seen on a
     * busier box); G1 meets that threshold with a young pause and a concurrent cycle. The heap is fixed so that G1
     * does not shrink it after each cycle (to 67-84 MB without {@code -Xms}); it is not touched up front
     * ({@code AlwaysPreTouch} off): 512 MB of room, not of memory used (the live set was ~50 MB after a run).
     * Each collection is logged ({@code -Xlog:gc}, into the node's output), where a failed run shows a long pause.
     */
    private List<String> jvmFlags = List.of("-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=50",
            "-XX:TieredStopAtLevel=1", "-Xlog:gc");

    /** Nodes that each own their range of partitions, without replication (no Raft addresses). */
    static NodeProcesses partitioned(Path dir, List<String> nodes) {
        return new NodeProcesses(dir, nodes, List.of());
    }

    /** A single node without cluster settings (the unreplicated baseline of a measurement). */
    static NodeProcesses single(Path dir, String address) {
        return new NodeProcesses(dir, List.of(address), List.of());
    }

    NodeProcesses(Path dir, List<String> nodes, List<String> raft) {
        this.dir = dir;
        this.nodes = nodes;
        this.raft = raft;
        this.processes = new Process[nodes.size()];
        this.channels = new ManagedChannel[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            channels[i] = ManagedChannelBuilder.forTarget(nodes.get(i)).usePlaintext().build();
        }
    }

    /**
     * The servers' JVM flags as a measurement wants them (a fixed heap, the product's G1, both JIT tiers), not the
     * test's, and those of {@code -Dformica.measure.nodeFlags} after them (comma-separated: the scripts split
     * MEASURE_OPTS at spaces).
     */
    NodeProcesses measured() {
        List<String> flags = new ArrayList<>(List.of("-Xms768m", "-Xmx768m", "-XX:+AlwaysPreTouch", "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=10"));
        // node JVM flags to measure: -Dformica.measure.nodeFlags=-XX:TieredStopAtLevel=1,-XX:CICompilerCount=2 (a
        // collector, -XX:+UseZGC, replaces G1; ZGC until 2026-12-07)
        String more = System.getProperty("formica.measure.nodeFlags", "").trim();
        if (!more.isEmpty()) {
            List<String> extra = List.of(more.split("[,\\s]+"));
            if (extra.stream().anyMatch(f -> f.matches("-XX:\\+Use\\w+GC"))) {
                flags.remove("-XX:+UseG1GC"); // another collector instead (the JVM refuses two)
            }
            flags.addAll(extra);
        }
        jvmFlags = List.copyOf(flags);
        return this;
    }

    /** {@code count} addresses on 127.0.0.1 from port {@code base} on. */
    static List<String> loopback(int base, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add("127.0.0.1:" + (base + i));
        }
        return List.copyOf(out);
    }

    /** The CPU time (user + system) the running nodes' processes used so far, together. */
    Duration cpu() {
        Duration sum = Duration.ZERO;
        for (int i = 0; i < processes.length; i++) {
            sum = sum.plus(cpu(i));
        }
        return sum;
    }

    /** The CPU time (user + system) node {@code i}'s process used so far; zero when it is not running. */
    Duration cpu(int i) {
        Process p = processes[i];
        return p == null ? Duration.ZERO : p.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /**
     * The CPU time (user + system, ms) of each thread of the running nodes, by {@code PID/TID/NAME} (the kernel's
     * name of the thread, 15 characters at most), read from {@code /proc/PID/task/TID/stat} (Linux; clock ticks
     * taken as 10 ms, the kernel's usual USER_HZ). Threads that ended are missing. Empty where /proc is not.
     */
    java.util.Map<String, Long> threadCpu() {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (long pid : pids()) {
            Path tasks = Path.of("/proc", Long.toString(pid), "task");
            try (java.util.stream.Stream<Path> list = Files.list(tasks)) {
                for (Path task : (Iterable<Path>) list::iterator) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"), StandardCharsets.UTF_8);
                    } catch (IOException ended) {
                        continue;
                    }
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    if (open < 0 || close < open) {
                        continue;
                    }
                    String[] fields = stat.substring(close + 2).split(" ");
                    // after the name: state(0) ... utime(11) stime(12), in clock ticks
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    out.put(pid + "/" + task.getFileName() + "/" + stat.substring(open + 1, close), ticks * 10);
                }
            } catch (IOException | RuntimeException notLinux) {
                // no breakdown
            }
        }
        return out;
    }

    /**
     * The context switches (voluntary + involuntary: each a park or wait and its wake-up, or a preemption) of each
     * thread of the running nodes so far, keyed as {@link #threadCpu}, from {@code /proc/PID/task/TID/status}. A count,
     * so, unlike CPU time, it does not depend on how busy the box is: the figure that compares hand-offs per entry.
     */
    java.util.Map<String, Long> threadSwitches() {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        for (long pid : pids()) {
            Path tasks = Path.of("/proc", Long.toString(pid), "task");
            try (java.util.stream.Stream<Path> list = Files.list(tasks)) {
                for (Path task : (Iterable<Path>) list::iterator) {
                    String name = null;
                    long switches = 0;
                    try {
                        for (String line : Files.readAllLines(task.resolve("status"), StandardCharsets.UTF_8)) {
                            if (line.startsWith("Name:")) {
                                name = line.substring(5).strip();
                            } else if (line.startsWith("voluntary_ctxt_switches:")
                                    || line.startsWith("nonvoluntary_ctxt_switches:")) {
                                switches += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                            }
                        }
                    } catch (IOException ended) {
                        continue;
                    }
                    if (name != null) {
                        out.put(pid + "/" + task.getFileName() + "/" + name, switches);
                    }
                }
            } catch (IOException | RuntimeException notLinux) {
                // no breakdown
            }
        }
        return out;
    }

    /**
     * The Java names of the running nodes' threads by {@code PID/TID}, from {@code jcmd PID Thread.print} (one
     * thread dump per node: call it outside a measured window); empty for a node jcmd does not answer.
     */
    java.util.Map<String, String> threadNames() {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("^\"(.*)\" .*nid=(0x[0-9a-f]+|[0-9]+)");
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        for (long pid : pids()) {
            try {
                Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print")
                        .redirectErrorStream(true).start();
                String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(30, TimeUnit.SECONDS);
                for (String l : dump.split("\n")) {
                    java.util.regex.Matcher m = line.matcher(l);
                    if (m.find()) {
                        String nid = m.group(2);
                        long tid = nid.startsWith("0x") ? Long.parseLong(nid.substring(2), 16) : Long.parseLong(nid);
                        out.put(pid + "/" + tid, m.group(1));
                    }
                }
            } catch (IOException | RuntimeException noDump) {
                // the kernel's names are used
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
        return out;
    }

    /** The process ids of the running nodes. */
    List<Long> pids() {
        List<Long> out = new ArrayList<>();
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                out.add(p.pid());
            }
        }
        return out;
    }

    int size() {
        return nodes.size();
    }

    /** Starts node {@code i} (its data directory kept across starts). */
    void start(int i) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("node-" + i + ".yaml");
        StringBuilder yaml = new StringBuilder();
        String address = nodes.get(i);
        yaml.append("host: 127.0.0.1\nport: ").append(address.substring(address.lastIndexOf(':') + 1)).append('\n');
        yaml.append("metricsPort: -1\ndataDir: ").append(dir.resolve("data-" + i)).append('\n');
        yaml.append("expectedBorrowers: 10000\nexpectedDecisionsPerDay: 100000\nvelocityKeys: 4096\n");
        yaml.append("drainTimeout: 1s\n");
        if (nodes.size() > 1) {
            // each node its partitions by the range assignment; replicated only with Raft addresses
            yaml.append("clusterNodeId: ").append(i).append("\nclusterNodes:\n");
            nodes.forEach(n -> yaml.append("  - ").append(n).append('\n'));
        }
        if (!raft.isEmpty()) {
            yaml.append("clusterReplication: ratis\nclusterRaftNodes:\n");
            raft.forEach(n -> yaml.append("  - ").append(n).append('\n'));
        }
        Files.writeString(config, yaml.toString(), StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the test JVM's collector (the pom's flags select one) gives way to the nodes' own: the JVM refuses two
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xmx")
                    && !arg.matches("-XX:\\+Use\\w+GC") && !arg.startsWith("-XX:MaxGCPauseMillis")) {
                command.add(arg);
            }
        }
        command.addAll(jvmFlags);
        // Ratis settings to measure (-Draft.NAME=VALUE on the mvn command line): the nodes read them (ReplicaNode)
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("raft.")) {
                command.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.formica.engine.Formica");
        command.add("serve");
        command.add("--config=" + config);
        Path out = output(i);
        Files.createDirectories(out.getParent());
        processes[i] = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
    }

    /** SIGKILL of node {@code i}, waited for. */
    void kill(int i) throws InterruptedException {
        Process p = processes[i];
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        processes[i] = null;
    }

    boolean running(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    /** Node {@code i}'s process ended without being killed by the test (a fail-stop exits with 75). */
    boolean exitedOnItsOwn(int i) {
        return processes[i] != null && !processes[i].isAlive();
    }

    int exitCode(int i) {
        return processes[i].exitValue();
    }

    /** Node {@code i}'s partition map, or null when it does not answer. */
    PartitionMap map(int i) {
        if (!running(i)) {
            return null;
        }
        try {
            return DecisionServiceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
        } catch (StatusRuntimeException notUp) {
            return null;
        }
    }

    /** The nodes that claim {@code partition} in their own map, of those that answer now. */
    List<Integer> claimants(int partition, PartitionMap[] maps) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < maps.length; i++) {
            if (maps[i] != null && maps[i].getOwners(partition) == i) {
                out.add(i);
            }
        }
        return out;
    }

    /** Every node's map now (null for a node that does not answer). */
    PartitionMap[] maps() {
        PartitionMap[] maps = new PartitionMap[nodes.size()];
        for (int i = 0; i < maps.length; i++) {
            maps[i] = map(i);
        }
        return maps;
    }

    /** Kept after the test (the data directories are not): target/failover-logs/node-i.out. */
    Path output(int i) {
        return Path.of("target", "failover-logs", "node-" + i + ".out");
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < processes.length; i++) {
            if (processes[i] != null) {
                processes[i].destroyForcibly();
                processes[i].waitFor(30, TimeUnit.SECONDS);
            }
            channels[i].shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
