package dev.formica.engine.metrics;

import io.grpc.Status;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.NativeHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The latency the {@link LatencyHub} keeps, exported as Prometheus histograms in seconds, with classic buckets
 * (text format, {@code histogram_quantile} over {@code _bucket}) and native buckets (protobuf format):
 * <ul>
 *   <li>{@value #RPC} (OpenTelemetry {@code rpc.server.call.duration}) with {@code rpc_system_name="grpc"},
 *       {@code rpc_method} (fully qualified, {@code formica.v1.DecisionService/Decide}) and {@code rpc_status_code}
 *       ({@code OK}, {@code RESOURCE_EXHAUSTED}, ...): unary calls, from the server's interceptor to the close;</li>
 *   <li>{@value #STAGE} with {@code stage} ({@code queue_wait}, {@code features}, ... {@code total}): the stages of
 *       a decision, all shards added.</li>
 * </ul>
 * Unlike the summaries they replace, buckets add up across instances: {@code sum by (le) (rate(..._bucket[5m]))}.
 *
 * <p>Nothing is recorded twice: a scrape converts the hub's since-start HdrHistograms (updated once a second), so
 * the hot path keeps its one allocation-free {@code recordValue}. A series exists once it has a value: a stage once
 * a decision reached it, a (method, code) once a call ended with it; nothing is zero-filled. The conversion puts
 * each HdrHistogram bucket (under 1 % wide) whole into the Prometheus bucket of its middle value, and the sum is
 * the sum of those middle values, so counts near a bound and the sum are exact to HdrHistogram's precision.
 *
 * <p>Thread contract: {@link #collect} from the scrape thread; the hub synchronises.
 */
final class PrometheusLatency implements MultiCollector {
    static final String RPC = "rpc_server_call_duration_seconds";
    static final String STAGE = "formica_stage_duration_seconds";
    /** Classic bucket upper bounds, seconds: 1, 2.5 and 5 per decade from 1 µs to 10 s (then +Inf). */
    static final double[] BOUNDS = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, Double.POSITIVE_INFINITY};
    /** The finest native schema (buckets 2^(1/32) = 2.2 % wide), the default of client_java's own histograms. */
    static final int MAX_SCHEMA = 5;
    /** Native buckets per series at most; above, the schema halves the resolution (client_java's default, 160). */
    static final int MAX_NATIVE_BUCKETS = 160;
    /** The native zero bucket's half-width (client_java's default, 2^-128): only 0 ns falls in it. */
    static final double ZERO_THRESHOLD = Math.pow(2, -128);

    private static final double NANOS_PER_SECOND = 1e9;
    private static final long[] BOUND_NANOS = new long[BOUNDS.length - 1];
    private static final String[] CODE_NAMES = new String[LatencyHub.RpcTimers.CODES];

    static {
        for (int i = 0; i < BOUND_NANOS.length; i++) {
            BOUND_NANOS[i] = Math.round(BOUNDS[i] * NANOS_PER_SECOND);
        }
        for (Status.Code code : Status.Code.values()) {
            CODE_NAMES[code.value()] = code.name();
        }
    }

    private final LatencyHub hub;

    PrometheusLatency(LatencyHub hub) {
        this.hub = hub;
    }

    @Override
    public MetricSnapshots collect() {
        long created = hub.startMs();
        HistogramSnapshot.Builder stages = HistogramSnapshot.builder()
                .name(STAGE)
                .help("Time per decision stage, all shards; queue_wait ... commit are the parts, total is arrival at"
                        + " the service until the shard has the decision")
                .unit(Unit.SECONDS);
        hub.forEachStage((stage, h) -> {
            if (h.getTotalCount() > 0) {
                stages.dataPoint(point(Labels.of("stage", stage.label()), h, created));
            }
        });
        HistogramSnapshot.Builder rpcs = HistogramSnapshot.builder()
                .name(RPC)
                .help("Duration of unary gRPC calls in the server (OpenTelemetry rpc.server.call.duration)")
                .unit(Unit.SECONDS);
        hub.forEachRpc((service, method, code, h) -> rpcs.dataPoint(point(Labels.of("rpc_system_name", "grpc",
                "rpc_method", service + "/" + method, "rpc_status_code", CODE_NAMES[code]), h, created)));
        return MetricSnapshots.of(stages.build(), rpcs.build());
    }

    /** One histogram data point, classic and native, from an HdrHistogram of nanoseconds. */
    static HistogramDataPointSnapshot point(Labels labels, Histogram h, long createdMs) {
        long[] classic = new long[BOUNDS.length];
        TreeMap<Integer, Long> natives = new TreeMap<>();
        long zeros = 0;
        double sumNanos = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
            long nanos = h.medianEquivalentValue(v.getValueIteratedTo());
            long n = v.getCountAtValueIteratedTo();
            sumNanos += (double) nanos * n;
            classic[classicIndex(nanos)] += n;
            if (nanos == 0) {
                zeros += n;
            } else {
                natives.merge(nativeIndex(nanos / NANOS_PER_SECOND, MAX_SCHEMA), n, Long::sum);
            }
        }
        int schema = MAX_SCHEMA;
        while (natives.size() > MAX_NATIVE_BUCKETS && schema > -4) {
            natives = halve(natives);
            schema--;
        }
        int[] indexes = new int[natives.size()];
        long[] counts = new long[natives.size()];
        int i = 0;
        for (Map.Entry<Integer, Long> e : natives.entrySet()) {
            indexes[i] = e.getKey();
            counts[i++] = e.getValue();
        }
        return HistogramDataPointSnapshot.builder()
                .labels(labels)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, classic))
                .nativeSchema(schema)
                .nativeZeroCount(zeros)
                .nativeZeroThreshold(ZERO_THRESHOLD)
                .nativeBucketsForPositiveValues(NativeHistogramBuckets.of(indexes, counts))
                .sum(sumNanos / NANOS_PER_SECOND)
                .createdTimestampMillis(createdMs)
                .build();
    }

    /** The classic bucket a value falls in: the first bound at or above it. */
    static int classicIndex(long nanos) {
        int i = Arrays.binarySearch(BOUND_NANOS, nanos);
        return i >= 0 ? i : -i - 1;
    }

    /**
     * The native bucket of a positive value at {@code schema}: bucket {@code i} holds (2^((i-1)/2^schema),
     * 2^(i/2^schema)].
     */
    static int nativeIndex(double value, int schema) {
        double log2 = Math.log(value) / Math.log(2);
        return (int) Math.ceil(Math.scalb(log2, schema));
    }

    /** The same counts one schema coarser: buckets 2j-1 and 2j become bucket j. */
    private static TreeMap<Integer, Long> halve(TreeMap<Integer, Long> buckets) {
        TreeMap<Integer, Long> out = new TreeMap<>();
        buckets.forEach((index, count) -> out.merge(Math.floorDiv(index + 1, 2), count, Long::sum));
        return out;
    }
}
