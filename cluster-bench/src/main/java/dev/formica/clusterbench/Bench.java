package dev.formica.clusterbench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The harness of issue 22's comparison. {@code run} measures, engine after engine and {@code --repeats} times, three
 * replicas on loopback (separate JVMs): the commit latency of a 1 KB entry from one writer in a closed loop and at a
 * fixed rate (from the intended send time), the CPU per entry of the replicas and of the writer, and the time from
 * {@code kill -9} of the leader to the next committed entry. {@code node} is one replica (started by {@code run}).
 */
public final class Bench {

    static final int ENTRY_BYTES = 1024;
    private static final String ROW =
            "| %s | %d | %d | %.2f | %.2f | %.2f | %.0f | %.0f | %d | %.2f | %.2f | %.0f | %s | %d |";

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("node")) {
            Engine.named(args[1]).runNode(Integer.parseInt(args[2]), Path.of(args[3]));
            return;
        }
        if (args.length == 0 || !args[0].equals("run")) {
            System.err.println("usage: Bench run [--engines aeron,ratis,kafka,kafka-txn] [--repeats 2]"
                    + " [--closed-seconds 10] [--closed-max 20000] [--rate 500] [--rate-seconds 10] [--out FILE]");
            System.exit(2);
        }
        Map<String, String> o = new HashMap<>(Map.of("--engines", "aeron,ratis,ratis-nosync,kafka,kafka-txn",
                "--repeats", "2",
                "--closed-seconds", "10", "--closed-max", "20000", "--rate", "50", "--rate-seconds", "10",
                "--out", "cluster-bench-results.md", "--work", System.getProperty("java.io.tmpdir"),
                "--logs", "cluster-bench-logs"));
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        Path out = Path.of(o.get("--out"));
        String header = "| engine | run | closed n | closed p50 ms | closed p99 ms | closed p99.9 ms"
                + " | replicas CPU us/entry | writer CPU us/entry | rate/s | rate p50 ms | rate p99 ms"
                + " | replicas CPU us/entry at rate | failover ms | leader killed |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        System.out.print(header);
        Files.writeString(out, header);
        int repeats = Integer.parseInt(o.get("--repeats"));
        for (int run = 1; run <= repeats; run++) {
            for (String engine : o.get("--engines").split(",")) {
                String row;
                try {
                    row = measure(engine, run, o);
                } catch (Exception e) {
                    row = "| " + engine + " | " + run + " | failed: " + e.toString().replace('|', '/') + " |";
                    e.printStackTrace();
                }
                System.out.println(row);
                Files.writeString(out, row + "\n", StandardOpenOption.APPEND);
            }
        }
    }

    /** Phase result: latencies, entries, CPU of replicas and writer. */
    record Phase(Histogram latency, long entries, long replicaCpuNs, long writerCpuNs) {
        double ms(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1e6;
        }

        double replicaUs() {
            return replicaCpuNs / 1e3 / entries;
        }

        double writerUs() {
            return writerCpuNs / 1e3 / entries;
        }
    }

    private static String measure(String name, int run, Map<String, String> o) throws Exception {
        Engine engine = Engine.named(name);
        Path dir = Files.createTempDirectory(Path.of(o.get("--work")), "fcb");
        Path logs = Files.createDirectories(Path.of(o.get("--logs"))).resolve(name + "-run" + run);
        try (Replicas replicas = Replicas.start(name, dir, logs)) {
            byte[] entry = new byte[ENTRY_BYTES];
            Engine.Writer writer = connect(engine, replicas, entry, TimeUnit.SECONDS.toNanos(180));
            // warm-up: the replicas' JIT and connections; at least 5 s and 2,000 entries, at most 30 s
            long warmStart = System.nanoTime();
            for (int n = 0; System.nanoTime() - warmStart < TimeUnit.SECONDS.toNanos(30)
                    && (n < 2000 || System.nanoTime() - warmStart < TimeUnit.SECONDS.toNanos(5)); n++) {
                writer.commit(entry);
            }
            Phase closed = closedLoop(writer, replicas, entry, Integer.parseInt(o.get("--closed-seconds")),
                    Integer.parseInt(o.get("--closed-max")));
            int rate = Integer.parseInt(o.get("--rate"));
            Phase fixed = fixedRate(writer, replicas, entry, rate, Integer.parseInt(o.get("--rate-seconds")));
            int leader = writer.leader();
            String failover = failover(engine, writer, replicas, entry, leader);
            return String.format(ROW,
                name, run, closed.entries(), closed.ms(50), closed.ms(99), closed.ms(99.9), closed.replicaUs(),
                closed.writerUs(), rate, fixed.ms(50), fixed.ms(99), fixed.replicaUs(), failover, leader);
        }
    }

    /** Connects and commits a first entry, retrying while the replicas elect a leader (bounded). */
    static Engine.Writer connect(Engine engine, Replicas replicas, byte[] entry, long timeoutNs) throws Exception {
        long deadline = System.nanoTime() + timeoutNs;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (replicas != null && !replicas.allAlive()) {
                throw new IllegalStateException("a replica exited; see " + replicas.dir + "/node-*.log");
            }
            Engine.Writer w = null;
            try {
                w = engine.connect(replicas == null ? Files.createTempDirectory("fcb") : replicas.dir);
                w.commit(entry);
                return w;
            } catch (Exception e) {
                last = e;
                if (w != null) {
                    w.close();
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
        }
        throw new IllegalStateException("no committed entry within the timeout", last);
    }

    private static long writerCpuNs() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static Phase closedLoop(Engine.Writer w, Replicas r, byte[] entry, int seconds, int max) throws Exception {
        Histogram h = new Histogram(3);
        long cpu0 = r.cpuNanos();
        long own0 = writerCpuNs();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long n = 0;
        while (n < max && System.nanoTime() < end) {
            long s = System.nanoTime();
            w.commit(entry);
            h.recordValue(System.nanoTime() - s);
            n++;
        }
        return new Phase(h, n, r.cpuNanos() - cpu0, writerCpuNs() - own0);
    }

    static Phase fixedRate(Engine.Writer w, Replicas r, byte[] entry, int rate, int seconds) throws Exception {
        Histogram h = new Histogram(3);
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long cpu0 = r.cpuNanos();
        long own0 = writerCpuNs();
        long next = System.nanoTime();
        long count = (long) rate * seconds;
        for (long i = 0; i < count; i++) {
            long now;
            while ((now = System.nanoTime()) < next) {
                LockSupport.parkNanos(next - now);
            }
            w.commit(entry);
            h.recordValue(System.nanoTime() - next);
            next += interval;
        }
        return new Phase(h, count, r.cpuNanos() - cpu0, writerCpuNs() - own0);
    }

    /**
     * One writer commits in a closed loop on a thread of its own; {@code kill -9} of the leader; the result is the
     * time from the kill to the completion of the first entry the writer started after it (the writer reconnects
     * when its client gives up). Bounded by 60 s.
     */
    static String failover(Engine engine, Engine.Writer writer, Replicas r, byte[] entry, int leader)
        throws Exception {
        AtomicLong killAt = new AtomicLong(Long.MAX_VALUE);
        AtomicLong firstAfter = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger errors = new AtomicInteger();
        AtomicLong before = new AtomicLong();
        CountDownLatch running = new CountDownLatch(200);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Engine.Writer> current = new AtomicReference<>(writer);
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                long s = System.nanoTime();
                try {
                    current.get().commit(entry);
                    running.countDown();
                    if (s >= killAt.get() && firstAfter.compareAndSet(0, System.nanoTime())) {
                        done.countDown();
                    } else if (s < killAt.get()) {
                        before.incrementAndGet();
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    current.get().close();
                    try {
                        current.set(connect(engine, null, entry, TimeUnit.SECONDS.toNanos(60)));
                    } catch (Exception again) {
                        return;
                    }
                }
            }
        }, "failover-writer");
        t.start();
        try {
            if (!running.await(60, TimeUnit.SECONDS)) {
                return "writer did not run";
            }
            killAt.set(System.nanoTime());
            r.kill9(leader);
            boolean ok = done.await(60, TimeUnit.SECONDS);
            return ok ? String.format("%.0f (%d client errors)", (firstAfter.get() - killAt.get()) / 1e6,
                errors.get()) : "none within 60 s";
        } finally {
            stop.set(true);
            t.join(TimeUnit.SECONDS.toMillis(90));
            current.get().close();
        }
    }

}
