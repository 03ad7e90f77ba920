package dev.formica.benchmarks;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Outcome;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemEpochClock;
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
 * The full in-process Decide path, from the validated request to the persisted answer: shard
 * routing, the hand-off queue, idempotency look-up, ledger read, hold + record + ledger writes,
 * the shard-log frame, response building. No gRPC.
 *
 * <p>Protects: in-process decide cost (the design's goal of ≤ 2 µs/op is not met: BENCHMARKS.md, "Shard
 * scaling", has the figures) and what it allocates beyond the protobuf
 * response ({@code gc.alloc.rate.norm}), and the shard-mode choice (DEDICATED agent thread vs
 * CALLER_DRAINS) with one request in flight. Every iteration opens a fresh data directory, so no
 * request id repeats and the maps stay within their sizes. Zipf borrower popularity over 100,000
 * borrowers. {@code -p metrics=off,on} compares the path without and with latency recording and decision
 * counting (a sampler thread flipping the recorders once a second, as in the server).
 *
 * <pre>
 * ./formica bench DecisionBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 4, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class DecisionBenchmark {
    static final int BORROWERS = 100_000;
    static final int REQUESTS = 1 << 21;

    @Param({"DEDICATED", "CALLER_DRAINS"})
    public String mode;

    /** {@code on}: queue-wait and total recorded, decisions counted, as {@code latencyRecording: true}. */
    @Param({"off"})
    public String metrics;

    private DecisionRequest[] requests;
    private Path dir;
    private DecisionPipeline pipeline;
    private LatencyHub latency;
    private int next;
    private final ParkingSink sink = new ParkingSink();

    @Setup(Level.Trial)
    public void prepareRequests() {
        requests = BenchmarkData.zipfDecisions(REQUESTS, BORROWERS, 1);
    }

    @Setup(Level.Iteration)
    public void openFreshState() throws Exception {
        dir = Files.createTempDirectory("formica-bench");
        EngineConfiguration config = new EngineConfiguration().dataDir(dir)
                .shardMode(EngineConfiguration.ShardMode.valueOf(mode))
                .expectedBorrowers(2 * BORROWERS).expectedDecisionsPerDay(2L * REQUESTS)
                .conclude();
        latency = new LatencyHub(metrics.equals("on"), config.shards(), SystemEpochClock.INSTANCE,
                new DecisionMetrics(new PrometheusRegistry()), 5000, null, 0, 0, 1);
        latency.startSampler();
        pipeline = DecisionPipeline.open(config, SystemEpochClock.INSTANCE, latency);
        BenchmarkData.upsertBorrowers(pipeline, BORROWERS);
        next = 0;
        sink.waitOn(Thread.currentThread());
    }

    @TearDown(Level.Iteration)
    public void closeState() throws IOException {
        pipeline.close();
        latency.close();
        BenchmarkData.deleteRecursively(dir);
    }

    @Benchmark
    public Outcome decide() {
        if (next == REQUESTS) {
            throw new IllegalStateException("ran out of unique requests: raise REQUESTS");
        }
        pipeline.decide(requests[next++], sink, System.nanoTime(), null);
        return sink.await().getOutcome();
    }
}
