package dev.formica.engine.server;

import dev.formica.engine.metrics.ShardGauge;
import dev.formica.engine.pipeline.DecisionPipeline;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Where an admitted Decide waits while the server is overloaded, read at scrape time only (no code on the accepted
 * path): the admission slots in use, how long the {@code LOOP} owners kept their reads stopped, and the bytes each
 * shard appended that wait for their sync. With the shard queue depth and the log's sync durations beside them, a
 * scrape per second tells whether the slots are held by calls the loop has not read, by calls waiting for the log
 * writer, or by neither (read, not yet decided: their request's body has not arrived).
 *
 * <p>Thread contract: registered once after the server started; the callbacks run on the scraping thread and read
 * volatile or atomic state only.
 */
final class OverloadGauges {
    private OverloadGauges() {
    }

    /**
     * @param admission null when {@code maxInFlightDecisions} is off
     * @param readGate null outside {@code shardMode: LOOP}
     */
    static void register(PrometheusRegistry registry, AdmissionInterceptor admission, LoopReadGate readGate,
            DecisionPipeline pipeline) {
        if (admission != null) {
            GaugeWithCallback.builder()
                    .name("formica_admission_in_flight")
                    .help("Decide calls admitted (maxInFlightDecisions) and not yet answered")
                    .callback(cb -> cb.call(admission.inFlight()))
                    .register(registry);
            GaugeWithCallback.builder()
                    .name("formica_admission_limit")
                    .help("Decide calls admitted at once now: maxInFlightDecisions, or where admissionLimit ADAPTIVE"
                            + " has moved it (up to admissionLimitMax)")
                    .callback(cb -> cb.call(admission.limit()))
                    .register(registry);
        }
        if (readGate != null) {
            CounterWithCallback.builder()
                    .name("formica_loop_reads_paused_seconds")
                    .help("Seconds the LOOP owners' reads were stopped because they were behind (loopShedLag),"
                            + " summed over the loops")
                    .callback(cb -> cb.call(readGate.pausedSeconds()))
                    .register(registry);
            CounterWithCallback.builder()
                    .name("formica_loop_read_pauses")
                    .help("Times a LOOP owner stopped reading its connections because it was behind")
                    .callback(cb -> cb.call(readGate.pauses()))
                    .register(registry);
        }
        ShardGauge.register(registry, "formica_log_unsynced_bytes",
                "Bytes the shard appended to its log that wait for their sync (the answers held for it)",
                pipeline.shards(), pipeline::unsyncedBytes);
    }
}
