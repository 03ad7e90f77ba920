package dev.formica.clusterbench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Three replicas of one engine, each a JVM of its own ({@code Bench node ENGINE ID DIR}), output in DIR/node-ID.log.
 * Closing kills every replica still running (SIGKILL), keeps their output and removes DIR and the run's media driver
 * directories.
 */
final class Replicas implements AutoCloseable {

    /** Flags every replica JVM gets: a bounded heap and what Agrona's buffers need on Java 17. */
    static final List<String> JVM_FLAGS = List.of("-Xms256m", "-Xmx512m",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    final Path dir;
    private final Path logs;
    private final Process[] nodes = new Process[3];

    private Replicas(Path dir, Path logs) {
        this.dir = dir;
        this.logs = logs;
    }

    /** {@code logs}: the replicas' output is kept as {@code logs}-node-ID.log when the run ends. */
    static Replicas start(String engine, Path dir, Path logs) throws IOException {
        Replicas r = new Replicas(dir, logs);
        Runtime.getRuntime().addShutdownHook(new Thread(r::killAll));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int i = 0; i < 3; i++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(JVM_FLAGS);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Bench.class.getName(), "node", engine,
                    String.valueOf(i), dir.toString()));
            r.nodes[i] = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node-" + i + ".log").toFile()).start();
        }
        return r;
    }

    /** {@code kill -9} of replica {@code i}. */
    void kill9(int i) {
        nodes[i].destroyForcibly();
    }

    /** CPU time of the replicas that run, in nanoseconds (utime + stime from /proc). */
    long cpuNanos() {
        long sum = 0;
        for (Process p : nodes) {
            if (p.isAlive()) {
                sum += p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
            }
        }
        return sum;
    }

    /** True while all three replicas run. */
    boolean allAlive() {
        for (Process p : nodes) {
            if (!p.isAlive()) {
                return false;
            }
        }
        return true;
    }

    private void killAll() {
        for (Process p : nodes) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (Process p : nodes) {
            try {
                if (p != null) {
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            for (int i = 0; i < nodes.length; i++) {
                Path log = dir.resolve("node-" + i + ".log");
                if (Files.exists(log)) {
                    Files.copy(log, logs.resolveSibling(logs.getFileName() + "-node-" + i + ".log"),
                            StandardCopyOption.REPLACE_EXISTING);
                }
            }
            deleteTree(dir);
            try (DirectoryStream<Path> shm = Files.newDirectoryStream(Path.of("/dev/shm"),
                    "formica-cb-" + dir.getFileName() + "-*")) {
                for (Path p : shm) {
                    deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
