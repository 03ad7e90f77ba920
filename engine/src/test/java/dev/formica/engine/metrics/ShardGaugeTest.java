package dev.formica.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

class ShardGaugeTest {

    @Test
    void shouldReadEachShardsValueAtEveryScrapeUnderItsShardLabel() {
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicLongArray depth = new AtomicLongArray(3);
        ShardGauge.register(registry, "test_shard_depth", "depth", 3, depth::get);
        depth.set(0, 4);
        depth.set(2, 9);
        assertEquals(Map.of("0", 4.0, "1", 0.0, "2", 9.0), scrape(registry));

        depth.set(1, 7);
        assertEquals(Map.of("0", 4.0, "1", 7.0, "2", 9.0), scrape(registry), "read again, not cached");
    }

    private static Map<String, Double> scrape(PrometheusRegistry registry) {
        Map<String, Double> byShard = new TreeMap<>();
        for (MetricSnapshot m : registry.scrape()) {
            for (GaugeSnapshot.GaugeDataPointSnapshot p : ((GaugeSnapshot) m).getDataPoints()) {
                byShard.put(p.getLabels().get("shard"), p.getValue());
            }
        }
        return byShard;
    }
}
