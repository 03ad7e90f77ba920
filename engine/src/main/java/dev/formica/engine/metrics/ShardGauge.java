package dev.formica.engine.metrics;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.IntToLongFunction;

/**
 * A gauge with one series per shard ({@code shard="0"}, {@code "1"}, ...), read at scrape time from the running
 * engine: nothing on the decision path.
 */
public final class ShardGauge {
    private ShardGauge() {
    }

    /** Registers {@code name}, whose series for shard {@code k} reads {@code value.applyAsLong(k)} at each scrape. */
    public static void register(PrometheusRegistry registry, String name, String help, int shards,
            IntToLongFunction value) {
        String[] labels = new String[shards];
        for (int k = 0; k < shards; k++) {
            labels[k] = Integer.toString(k);
        }
        GaugeWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames("shard")
                .callback(cb -> {
                    for (int k = 0; k < labels.length; k++) {
                        cb.call(value.applyAsLong(k), labels[k]);
                    }
                })
                .register(registry);
    }
}
