package dev.formica.benchmarks;

import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.engine.metrics.LatencyHistograms;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.engine.metrics.ShardMetrics;
import dev.formica.engine.metrics.Stage;
import dev.formica.v1.Outcome;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.SystemEpochClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The latency-recording path of a shard writer, one thread: a plain {@link Histogram} (the floor), a
 * {@link SingleWriterRecorder} (what each shard uses per stage), a {@link Recorder} (multi-writer, what
 * RPC timing uses), {@link ShardMetrics#lap} (clock read + record, the call the decision logic makes per
 * stage) and {@link ShardMetrics#decided} (total time + outcome and reason counters, once per decision); and
 * for RPC timing, {@link LatencyHub.RpcTimers} (a {@code Recorder} per method and status code, what the server's
 * interceptor records into) against client_java's own {@code Histogram.observe} with classic and native buckets
 * (the alternative for {@code rpc_server_call_duration_seconds}, not taken: it allocates per call).
 *
 * <p>Protects: that recording stays a few ns and allocation-free ({@code gc.alloc.rate.norm} = 0 B/op),
 * and the choice of {@code SingleWriterRecorder} over {@code Recorder} for the per-shard stages. Values
 * are log-uniform from 100 ns to 10 ms, prepared in {@code @Setup}.
 *
 * <pre>
 * mvn -B -q -pl proto,engine,benchmarks -am package -DskipTests
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar HistogramRecordingBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@State(Scope.Thread)
public class HistogramRecordingBenchmark {
    private static final int VALUES = 4096;

    private final long[] values = new long[VALUES];
    private int next;
    private Histogram histogram;
    private SingleWriterRecorder singleWriter;
    private Recorder recorder;
    private ShardMetrics shard;
    private DecisionMetrics.ReasonCodes decline;
    private LatencyHub.RpcTimers rpcTimers;
    private DistributionDataPoint prometheusHistogram;
    private DistributionDataPoint prometheusClassicHistogram;
    private long lapStart;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < VALUES; i++) {
            values[i] = (long) Math.pow(10, 2 + random.nextDouble() * 5);
        }
        histogram = new Histogram(1, LatencyHistograms.MAX_NANOS, LatencyHistograms.DIGITS);
        singleWriter = new SingleWriterRecorder(1, LatencyHistograms.MAX_NANOS, LatencyHistograms.DIGITS);
        recorder = new Recorder(1, LatencyHistograms.MAX_NANOS, LatencyHistograms.DIGITS);
        LatencyHub hub = new LatencyHub(true, 1, SystemEpochClock.INSTANCE,
                new DecisionMetrics(new PrometheusRegistry()), 5000, null, 0, 0, 1);
        shard = hub.shard(0);
        rpcTimers = hub.rpcTimers("formica.v1.DecisionService", "Decide");
        prometheusHistogram = io.prometheus.metrics.core.metrics.Histogram.builder().name("native_and_classic_seconds")
                .labelNames("rpc_method", "rpc_status_code").withoutExemplars().register(new PrometheusRegistry())
                .labelValues("formica.v1.DecisionService/Decide", "OK");
        prometheusClassicHistogram = io.prometheus.metrics.core.metrics.Histogram.builder().name("classic_seconds")
                .classicOnly().labelNames("rpc_method", "rpc_status_code").withoutExemplars()
                .register(new PrometheusRegistry()).labelValues("formica.v1.DecisionService/Decide", "OK");
        decline = new DecisionMetrics.ReasonCodes() {
            @Override
            public int reasonCount() {
                return 1;
            }

            @Override
            public String reasonCode(int i) {
                return "INSUFFICIENT_LINE";
            }
        };
        shard.decided(false, Outcome.DECLINE_VALUE, decline, System.nanoTime());
        lapStart = System.nanoTime();
    }

    private long value() {
        return values[next++ & (VALUES - 1)];
    }

    /** The clock read that {@code lap} adds to a record. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }

    @Benchmark
    public void histogram() {
        histogram.recordValue(value());
    }

    @Benchmark
    public void singleWriterRecorder() {
        singleWriter.recordValue(value());
    }

    @Benchmark
    public void recorder() {
        recorder.recordValue(value());
    }

    @Benchmark
    public void shardMetricsRecord() {
        shard.record(Stage.FRAUD, value());
    }

    @Benchmark
    public long shardMetricsLap() {
        lapStart = shard.lap(Stage.FRAUD, lapStart);
        return lapStart;
    }

    @Benchmark
    public void shardMetricsDecided() {
        shard.decided(false, Outcome.DECLINE_VALUE, decline, lapStart);
    }

    /** What the server's interceptor does at a call's close: the recorder of (method, code), then record. */
    @Benchmark
    public void rpcTimer() {
        rpcTimers.recorder(0).recordValue(value());
    }

    /** client_java's histogram, classic and native buckets (its default), from a cached data point. */
    @Benchmark
    public void prometheusHistogramObserve() {
        prometheusHistogram.observe(value() * 1e-9);
    }

    /** client_java's histogram with classic buckets only. */
    @Benchmark
    public void prometheusClassicHistogramObserve() {
        prometheusClassicHistogram.observe(value() * 1e-9);
    }
}
