package dev.formica.engine.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@value #NAME} (and, with a name and help of their own, the {@link dev.formica.engine.log.LogTimes} of an answer's
 * wait for durability): the log writer's {@code fdatasync} of a segment in {@code fsync} mode (one value per sync; a
 * group commit syncs each shard's segment that has new frames), as a Prometheus histogram like the decision stages
 * ({@link PrometheusLatency}). The writer thread, and with {@code logSync: LOOP} each shard's loop, record into one
 * {@link Recorder} (an allocation-free {@code recordValue} beside a sync of 100 µs or more); a scrape takes the
 * interval histogram and adds it to the since-start one.
 *
 * <p>Thread contract: {@link #collect} from scrape threads (synchronised here).
 */
final class LogSyncHistogram implements MultiCollector {
    static final String NAME = "formica_log_sync_duration_seconds";

    private final Recorder recorder;
    private final String name;
    private final String help;
    private final Histogram total = LatencyHistograms.histogram();
    private final long createdMs = System.currentTimeMillis();
    private Histogram interval;

    LogSyncHistogram(Recorder recorder) {
        this(NAME, "The shard log writer's fdatasync of a segment (fsync mode), all shards", recorder);
    }

    LogSyncHistogram(String name, String help, Recorder recorder) {
        this.recorder = recorder;
        this.name = name;
        this.help = help;
    }

    @Override
    public synchronized MetricSnapshots collect() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        HistogramSnapshot.Builder b = HistogramSnapshot.builder()
                .name(name)
                .help(help)
                .unit(Unit.SECONDS);
        if (total.getTotalCount() > 0) {
            b.dataPoint(PrometheusLatency.point(Labels.EMPTY, total, createdMs));
        }
        return MetricSnapshots.of(b.build());
    }
}
