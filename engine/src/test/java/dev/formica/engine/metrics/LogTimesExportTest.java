package dev.formica.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.LogTimes;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The split of an answer's wait for durability ({@link LogTimes}) is exported as one histogram each, in seconds,
 * with what was recorded since the last scrape added to the total; a node without a local log writer in
 * {@code fsync} mode exports none of them.
 */
class LogTimesExportTest {
    private static final List<String> NAMES = List.of("formica_log_release_wait_seconds",
            "formica_log_round_wait_seconds", "formica_log_round_duration_seconds", "formica_log_handback_seconds",
            "formica_log_writer_wakeup_seconds");

    private static EngineGauges engine(LogTimes times) {
        return new EngineGauges() {
            @Override
            public int shards() {
                return 1;
            }

            @Override
            public int queueDepth(int shard) {
                return 0;
            }

            @Override
            public long activeHolds(int shard) {
                return 0;
            }

            @Override
            public long heldMinor(int product) {
                return 0;
            }

            @Override
            public long drawnMinor(int product) {
                return 0;
            }

            @Override
            public LogTimes logTimes() {
                return times;
            }
        };
    }

    private static Map<String, HistogramSnapshot.HistogramDataPointSnapshot> histograms(PrometheusRegistry r) {
        Map<String, HistogramSnapshot.HistogramDataPointSnapshot> found = new HashMap<>();
        for (MetricSnapshot s : r.scrape()) {
            String name = s.getMetadata().getPrometheusName();
            if (s instanceof HistogramSnapshot h && name.startsWith("formica_log_")) {
                found.put(name, h.getDataPoints().isEmpty() ? null : h.getDataPoints().get(0));
            }
        }
        return found;
    }

    @Test
    void eachPartOfTheWaitIsAHistogramInSecondsAddedUpAcrossScrapes() {
        LogTimes times = new LogTimes();
        PrometheusRegistry registry = new PrometheusRegistry();
        new DecisionMetrics(registry).bind(engine(times));
        times.waitNanos().recordValue(TimeUnit.MILLISECONDS.toNanos(3));
        times.roundWaitNanos().recordValue(TimeUnit.MILLISECONDS.toNanos(1));
        times.roundNanos().recordValue(TimeUnit.MICROSECONDS.toNanos(400));
        times.handBackNanos().recordValue(TimeUnit.MICROSECONDS.toNanos(50));
        times.wakeUpNanos().recordValue(TimeUnit.MICROSECONDS.toNanos(30));

        Map<String, HistogramSnapshot.HistogramDataPointSnapshot> first = histograms(registry);
        for (String name : NAMES) {
            assertTrue(first.containsKey(name), name + " exported");
            assertEquals(1, first.get(name).getCount(), name);
        }
        assertEquals(0.003, first.get("formica_log_release_wait_seconds").getSum(), 0.0001, "seconds");

        times.waitNanos().recordValue(TimeUnit.MILLISECONDS.toNanos(5));
        Map<String, HistogramSnapshot.HistogramDataPointSnapshot> second = histograms(registry);
        assertEquals(2, second.get("formica_log_release_wait_seconds").getCount(), "added to the total");
        assertEquals(1, second.get("formica_log_round_duration_seconds").getCount(), "nothing new: the same");
    }

    @Test
    void withoutALocalLogWriterNoneIsExported() {
        PrometheusRegistry registry = new PrometheusRegistry();
        new DecisionMetrics(registry).bind(engine(null));
        Map<String, HistogramSnapshot.HistogramDataPointSnapshot> found = histograms(registry);
        for (String name : NAMES) {
            assertTrue(!found.containsKey(name), name + " not exported");
        }
    }
}
