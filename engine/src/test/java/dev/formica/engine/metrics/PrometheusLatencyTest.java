package dev.formica.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.NativeHistogramBucket;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;

/** The hub's HdrHistograms exported as Prometheus histograms: classic and native buckets, sum, labels, no zeros. */
class PrometheusLatencyTest {
    private static final long START_MS = 1_780_000_000_000L;

    private static HistogramSnapshot histogram(MetricSnapshots snapshots, String name) {
        for (MetricSnapshot m : snapshots) {
            if (m.getMetadata().getName().equals(name)) {
                return (HistogramSnapshot) m;
            }
        }
        throw new AssertionError(name + " not collected");
    }

    private static long nativeCount(HistogramDataPointSnapshot p) {
        long n = p.getNativeZeroCount();
        for (NativeHistogramBucket b : p.getNativeBucketsForPositiveValues()) {
            n += b.getCount();
        }
        return n;
    }

    @Test
    void shouldExportStagesAndRpcCodesSeenAsClassicAndNativeHistogramsInSeconds() {
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(START_MS);
        LatencyHub hub = new LatencyHub(true, 2, clock, new DecisionMetrics(new PrometheusRegistry()), 5000, null,
                0, 0, 0);
        for (int i = 0; i < 100; i++) {
            hub.shard(i % 2).record(Stage.FRAUD, 200_000);          // 200 µs, both shards
        }
        hub.shard(1).record(Stage.FRAUD, 30_000_000);               // 30 ms
        LatencyHub.RpcTimers decide = hub.rpcTimers("formica.v1.DecisionService", "Decide");
        decide.recorder(0).recordValue(700_000);                     // OK, 0.7 ms
        decide.recorder(0).recordValue(700_000);
        decide.recorder(8).recordValue(3_000);                       // RESOURCE_EXHAUSTED, 3 µs
        hub.tick();

        MetricSnapshots out = new PrometheusLatency(hub).collect();
        HistogramSnapshot stages = histogram(out, PrometheusLatency.STAGE);
        assertEquals(1, stages.getDataPoints().size(), "only the stage with values: " + stages.getDataPoints());
        HistogramDataPointSnapshot fraud = stages.getDataPoints().get(0);
        assertEquals(Labels.of("stage", "fraud"), fraud.getLabels());
        assertEquals(101, fraud.getCount());
        assertEquals(100 * 200e-6 + 30e-3, fraud.getSum(), 0.01 * (100 * 200e-6 + 30e-3), "within HdrHistogram's 1 %");
        assertEquals(START_MS, fraud.getCreatedTimestampMillis());
        long cumulative = 0;
        for (ClassicHistogramBucket b : fraud.getClassicBuckets()) {
            cumulative += b.getCount();                            // buckets hold their own counts
            if (b.getUpperBound() == 1e-4) {
                assertEquals(0, cumulative, "nothing at or under 100 µs");
            } else if (b.getUpperBound() == 2.5e-4) {
                assertEquals(100, cumulative, "the 200 µs values");
            } else if (b.getUpperBound() == 0.025) {
                assertEquals(100, cumulative);
            } else if (b.getUpperBound() == 0.05) {
                assertEquals(101, cumulative, "and the 30 ms one");
            }
        }
        assertEquals(101, cumulative, "+Inf holds every value");
        assertEquals(PrometheusLatency.MAX_SCHEMA, fraud.getNativeSchema());
        assertEquals(101, nativeCount(fraud));
        double base = Math.pow(2, Math.pow(2, -fraud.getNativeSchema()));
        for (NativeHistogramBucket b : fraud.getNativeBucketsForPositiveValues()) {
            double upper = Math.pow(base, b.getBucketIndex());
            boolean holds200us = upper / base < 200e-6 && 200e-6 <= upper * 1.01;
            boolean holds30ms = upper / base < 30e-3 && 30e-3 <= upper * 1.01;
            assertTrue(holds200us && b.getCount() == 100 || holds30ms && b.getCount() == 1,
                    "bucket " + b.getBucketIndex() + " (.., " + upper + "] count " + b.getCount());
        }

        HistogramSnapshot rpcs = histogram(out, PrometheusLatency.RPC);
        assertEquals(2, rpcs.getDataPoints().size(), "OK and RESOURCE_EXHAUSTED, no other code");
        for (HistogramDataPointSnapshot p : rpcs.getDataPoints()) {
            assertEquals("grpc", p.getLabels().get("rpc_system_name"));
            assertEquals("formica.v1.DecisionService/Decide", p.getLabels().get("rpc_method"));
            String code = p.getLabels().get("rpc_status_code");
            assertEquals(code.equals("OK") ? 2 : 1, p.getCount(), code);
            assertTrue(List.of("OK", "RESOURCE_EXHAUSTED").contains(code), code);
        }
    }

    @Test
    void shouldLowerTheNativeSchemaWhenValuesSpanTooManyBuckets() {
        Histogram h = LatencyHistograms.histogram();
        long n = 0;
        for (double v = 1_000; v < 10e9; v *= 1.01) {               // 1 µs .. 10 s, 1 % apart: ~1,600 values
            h.recordValue((long) v);
            n++;
        }
        h.recordValue(0);
        HistogramDataPointSnapshot p = PrometheusLatency.point(Labels.EMPTY, h, START_MS);
        assertTrue(p.getNativeSchema() < PrometheusLatency.MAX_SCHEMA, "schema " + p.getNativeSchema());
        assertTrue(p.getNativeBucketsForPositiveValues().size() <= PrometheusLatency.MAX_NATIVE_BUCKETS,
                p.getNativeBucketsForPositiveValues().size() + " buckets");
        assertEquals(1, p.getNativeZeroCount(), "the 0 ns value");
        assertEquals(n + 1, nativeCount(p));
        assertEquals(n + 1, p.getCount());
    }

    @Test
    void shouldPlaceValuesInTheClassicBucketOfTheFirstBoundAtOrAboveThem() {
        assertEquals(0, PrometheusLatency.classicIndex(0));
        assertEquals(0, PrometheusLatency.classicIndex(1_000));
        assertEquals(1, PrometheusLatency.classicIndex(1_001));
        assertEquals(PrometheusLatency.BOUNDS.length - 1, PrometheusLatency.classicIndex(60_000_000_000L), "+Inf");
        assertEquals(0, PrometheusLatency.nativeIndex(1.0, 5), "1 is the upper bound of bucket 0");
        assertEquals(1, PrometheusLatency.nativeIndex(1.01, 5));
        assertEquals(-32, PrometheusLatency.nativeIndex(0.5, 5));
    }
}
