package dev.formica.benchmarks;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.log.Durability;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Sink;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Product;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedEpochClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long a restart takes: a data directory of {@code borrowers} borrowers (taken into a snapshot) followed by
 * {@code minutes} of log at 3,000 decisions a second (the shipped rule set, with devices, IPs and merchants for
 * velocity) with a snapshot every {@code snapshotMinutes} of it (the default {@code snapshotInterval}; 0 = none
 * after the first, the whole log replayed), then the time to open the pipeline on it (the newest snapshot loaded,
 * the log after it replayed, velocity and quotas rebuilt) and close it again. The data directory is built once per
 * trial, in process, in a few minutes.
 *
 * <p>Measures against issue 19's goal: restart of a shard set with 1,000,000 borrowers and 10 minutes of log at
 * 3,000/s within 10 s, not met yet (BENCHMARKS.md, "Footprint and restart", has the figure). It times
 * {@code DecisionPipeline.open} only: a real restart is a fresh JVM, so the first iteration of a fork on a kept
 * {@code dataDir} ({@code -wi 0}) is the figure to watch, and the JVM's own start before it (with
 * {@code -XX:+AlwaysPreTouch}, the heap's pre-touch) and the server around the pipeline are not in it:
 * {@code loadtest/scripts/serve-restart.sh} times a whole {@code formica serve} restart.
 *
 * <pre>
 * ./formica bench RestartBenchmark
 * ./formica bench RestartBenchmark -p borrowers=100000 -p minutes=2   # a quick look
 * ./formica bench RestartBenchmark -p snapshotMinutes=0               # the whole 10 minutes replayed
 * ./formica bench RestartBenchmark -p dataDir=/tmp/restart-1m           # built once, kept, reused by later runs
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@State(Scope.Benchmark)
public class RestartBenchmark {
    static final long T0 = 1_780_000_000_000L;
    static final int RATE = 3000;

    @Param({"1000000"})
    public int borrowers;

    @Param({"10"})
    public int minutes;

    /**
     * A snapshot every this many minutes of frame time, as {@code snapshotInterval} builds them (0: only the one
     * after the borrowers). None at the end: the restart replays the log since the last one, a whole interval when
     * it divides {@code minutes}, the most a node stopped just before its next snapshot replays.
     */
    @Param({"2"})
    public int snapshotMinutes;

    /**
     * Where the data directory is built and kept ("" = a temporary directory, deleted after the trial). When it
     * names a directory that an earlier run built with the same parameters (its {@value #BUILT} file says which),
     * that directory is restarted as it is instead of being built again: the building takes minutes, a restart
     * seconds, so A/B runs of two builds can share one directory (the data format of both must be the same).
     */
    @Param({""})
    public String dataDir;

    /** The file in a kept data directory that names the parameters it was built with. */
    static final String BUILT = "restart-benchmark.built";

    private Path dir;
    private EngineConfiguration config;
    private final CachedEpochClock clock = new CachedEpochClock();

    @Setup(Level.Trial)
    public void build() throws Exception {
        dir = dataDir.isEmpty() ? Files.createTempDirectory("formica-restart") : Path.of(dataDir);
        long decisions = (long) minutes * 60 * RATE;
        config = new EngineConfiguration().dataDir(dir).shards(2).durability(Durability.PROCESS)
                .snapshotInterval(Duration.ZERO).expectedBorrowers(borrowers + borrowers / 5)
                .expectedDecisionsPerDay(Math.max(1000, 2 * decisions)).conclude();
        String built = borrowers + " borrowers, " + minutes + " minutes, a snapshot every " + snapshotMinutes
                + " minutes\n";
        Path builtFile = dir.resolve(BUILT);
        if (!dataDir.isEmpty() && Files.isRegularFile(builtFile) && Files.readString(builtFile).equals(built)) {
            clock.update(T0 + (decisions - 1) * 1000 / RATE); // where the build left the clock
            System.out.printf("%nreusing %s (%s)%n", dir, built.trim());
            return;
        }
        if (!dataDir.isEmpty() && Files.exists(dir)) {
            BenchmarkData.deleteRecursively(dir); // built with other parameters, or not to its end
        }
        clock.update(T0);
        long started = System.nanoTime();
        try (DecisionPipeline pipeline = DecisionPipeline.open(config, clock)) {
            BenchmarkData.upsertBorrowers(pipeline, borrowers);
            pipeline.snapshotNow();
            SplittableRandom random = new SplittableRandom(7);
            List<CompletableFuture<DecisionResponse>> batch = new ArrayList<>();
            for (long i = 0; i < decisions; i++) {
                clock.update(T0 + i * 1000 / RATE);
                int borrower = (int) (borrowers * Math.pow(random.nextDouble(), 3));
                DecisionRequest r = DecisionRequest.newBuilder().setRequestId("r" + i).setBorrowerId("b" + borrower)
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100 + random.nextInt(50_000))
                        .setDeviceId("d" + random.nextInt(200_000)).setIp("10.1." + random.nextInt(250) + "."
                        + random.nextInt(250)).setMerchantId("m" + random.nextInt(5_000)).build();
                CompletableFuture<DecisionResponse> done = new CompletableFuture<>();
                batch.add(done);
                pipeline.decide(r, new Sink<>() {
                    @Override
                    public void onResult(DecisionResponse answer) {
                        done.complete(answer);
                    }

                    @Override
                    public void onError(Refused error) {
                        done.completeExceptionally(error);
                    }
                }, System.nanoTime(), null);
                if (batch.size() == 512) {
                    batch.forEach(CompletableFuture::join);
                    batch.clear();
                }
                long every = (long) snapshotMinutes * 60 * RATE;
                if (every > 0 && (i + 1) % every == 0 && i + 1 < decisions) {
                    batch.forEach(CompletableFuture::join);
                    batch.clear();
                    pipeline.snapshotNow();
                }
            }
            batch.forEach(CompletableFuture::join);
        }
        if (!dataDir.isEmpty()) {
            Files.writeString(builtFile, built);
        }
        System.out.printf("%nbuilt %,d borrowers and %,d decisions in %d s%n", borrowers, decisions,
                (System.nanoTime() - started) / 1_000_000_000L);
    }

    private long[] before;

    /** The process's page faults and CPU time before a restart, for {@link #cost}. */
    @Setup(Level.Iteration)
    public void countFrom() throws java.io.IOException {
        before = processStat();
    }

    /**
     * Prints what the restart just measured cost the whole process (every thread: the restart's, the GC's, the
     * JIT's): minor and major page faults, user and system CPU, from {@code /proc/self/stat} (Linux; nothing
     * elsewhere). The first touches of fresh memory are system time that a Java profiler does not see.
     */
    @TearDown(Level.Iteration)
    public void cost() throws java.io.IOException {
        long[] after = processStat();
        if (before != null && after != null) {
            System.out.printf("%nrestart cost: %,d minor faults, %,d major faults, user %.2f s, system %.2f s%n",
                    after[0] - before[0], after[1] - before[1], (after[2] - before[2]) / 100.0,
                    (after[3] - before[3]) / 100.0);
        }
    }

    /** Minor faults, major faults, user and system clock ticks (of 10 ms, Linux's USER_HZ) of this process. */
    static long[] processStat() throws java.io.IOException {
        Path stat = Path.of("/proc/self/stat");
        if (!Files.isReadable(stat)) {
            return null;
        }
        String line = Files.readString(stat);
        // the fields after "(command) ": state is field 3 of proc(5), minflt 10, majflt 12, utime 14, stime 15
        String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        return new long[] {Long.parseLong(f[7]), Long.parseLong(f[9]), Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    @TearDown(Level.Trial)
    public void delete() throws Exception {
        if (dataDir.isEmpty()) {
            BenchmarkData.deleteRecursively(dir);
        }
    }

    /** Opens (recovers) and closes the pipeline on the data directory. */
    @Benchmark
    public int restart() {
        try (DecisionPipeline pipeline = DecisionPipeline.open(config, clock)) {
            return pipeline.shards();
        }
    }
}
