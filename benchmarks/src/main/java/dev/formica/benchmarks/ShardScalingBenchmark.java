package dev.formica.benchmarks;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * In-process decisions per millisecond with two submitting threads (the two event loops of a
 * 2-core box), on one shard against two, in caller-drains mode.
 *
 * <p>Protects: that shards scale (goal: 2 shards ≥ 1.8 × the throughput of 1 shard). Borrowers are
 * random over 100,000, so both threads hit both shards, as real traffic does.
 *
 * <pre>
 * ./formica bench ShardScalingBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Threads(2)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class ShardScalingBenchmark {
    static final int BORROWERS = 100_000;
    static final int REQUESTS_PER_THREAD = 1 << 21;

    /** The engine, shared by both threads. */
    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"1", "2"})
        public int shards;

        DecisionPipeline pipeline;
        Path dir;
        final AtomicInteger threadIds = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() throws Exception {
            dir = Files.createTempDirectory("formica-scaling");
            pipeline = DecisionPipeline.open(new EngineConfiguration().dataDir(dir).shards(shards)
                    .shardMode(EngineConfiguration.ShardMode.CALLER_DRAINS)
                    .expectedBorrowers(4L * REQUESTS_PER_THREAD).expectedDecisionsPerDay(4L * REQUESTS_PER_THREAD),
                    SystemEpochClock.INSTANCE);
            BenchmarkData.upsertBorrowers(pipeline, BORROWERS);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            pipeline.close();
            BenchmarkData.deleteRecursively(dir);
        }
    }

    /** One submitting thread's requests and its reusable answer slot. */
    @State(Scope.Thread)
    public static class Caller {
        DecisionRequest[] requests;
        int next;
        final ParkingSink sink = new ParkingSink();

        @Setup(Level.Trial)
        public void prepare(Engine engine) {
            int id = engine.threadIds.getAndIncrement();
            DecisionRequest[] base = BenchmarkData.zipfDecisions(REQUESTS_PER_THREAD, BORROWERS, 1 + id);
            requests = new DecisionRequest[base.length];
            for (int i = 0; i < base.length; i++) {
                requests[i] = base[i].toBuilder().setRequestId("t" + id + "-" + i).build();
            }
            sink.waitOn(Thread.currentThread());
        }
    }

    @Benchmark
    public Outcome decide(Engine engine, Caller caller) {
        if (caller.next == REQUESTS_PER_THREAD) {
            throw new IllegalStateException("ran out of unique requests: raise REQUESTS_PER_THREAD");
        }
        engine.pipeline.decide(caller.requests[caller.next++], caller.sink, System.nanoTime(), null);
        return caller.sink.await().getOutcome();
    }
}
