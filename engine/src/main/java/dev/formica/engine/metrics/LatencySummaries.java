package dev.formica.engine.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import org.HdrHistogram.Histogram;

/**
 * {@code formica_stage_latency_seconds{stage}} and {@code formica_rpc_latency_seconds{method}} as
 * Prometheus summaries read from the {@link LatencyHub}: quantiles 0.5, 0.9, 0.99, 0.999 and 1 over the
 * sliding window, count since start, and sum since start as mean × count (HdrHistogram keeps no exact sum).
 * Nothing is recorded twice: the scrape reads the histograms the hub already keeps.
 *
 * <p>Thread contract: {@link #collect} from the scrape thread; the hub synchronises.
 */
final class LatencySummaries implements MultiCollector {
    private static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999, 1.0};
    private static final double NANOS_PER_SECOND = 1e9;

    private final LatencyHub hub;

    LatencySummaries(LatencyHub hub) {
        this.hub = hub;
    }

    @Override
    public MetricSnapshots collect() {
        SummarySnapshot.Builder stages = SummarySnapshot.builder()
                .name("formica_stage_latency_seconds")
                .help("Time per decision stage: quantiles over the last 5 s, count and sum since start")
                .unit(Unit.SECONDS);
        SummarySnapshot.Builder rpcs = SummarySnapshot.builder()
                .name("formica_rpc_latency_seconds")
                .help("Unary RPC time in the server: quantiles over the last 5 s, count and sum since start")
                .unit(Unit.SECONDS);
        hub.forEachSeries((name, rpc, window, cumulative) -> {
            SummaryDataPointSnapshot point = point(rpc ? Labels.of("method", name.substring(LatencyHub.RPC_PREFIX
                    .length())) : Labels.of("stage", name), window, cumulative);
            if (rpc) {
                rpcs.dataPoint(point);
            } else {
                stages.dataPoint(point);
            }
        });
        return MetricSnapshots.of(stages.build(), rpcs.build());
    }

    private static SummaryDataPointSnapshot point(Labels labels, Histogram window, Histogram cumulative) {
        Quantiles.Builder q = Quantiles.builder();
        for (double quantile : QUANTILES) {
            double v = window.getTotalCount() == 0 ? Double.NaN
                    : window.getValueAtPercentile(quantile * 100) / NANOS_PER_SECOND;
            q.quantile(quantile, v);
        }
        long count = cumulative.getTotalCount();
        return SummaryDataPointSnapshot.builder()
                .labels(labels)
                .quantiles(q.build())
                .count(count)
                .sum(count == 0 ? 0 : cumulative.getMean() * count / NANOS_PER_SECOND)
                .build();
    }
}
