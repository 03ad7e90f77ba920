package dev.formica.engine.metrics;

import java.util.Locale;

/**
 * The stages of one decision whose latency is recorded, in pipeline order.
 *
 * <p>Thread contract: immutable. {@link #label()} is the name used in {@code .hlog} tags, Prometheus labels,
 * {@code GetLatency} and the latency page ({@code queue_wait}, {@code features}, ...).
 */
public enum Stage {
    /** Offer to the shard queue until the writer takes the command (every shard command). */
    QUEUE_WAIT,
    /** Loading the profile, ledger and velocity readings the rules need. */
    FEATURES,
    /** Fraud rules (block lists, velocity, device/IP checks). */
    FRAUD,
    /** Credit rules and scoring (grade, line, appetite). */
    CREDIT,
    /** Pricing and the funding split across partners: one stage for both. */
    FUNDING,
    /** Idempotency record, hold and ledger writes (recorded for the shard-log frame). */
    COMMIT,
    /** Arrival at the gRPC service until the shard has the decision (the {@code server_nanos} span). */
    TOTAL;

    private static final Stage[] VALUES = values();

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }

    static Stage[] all() {
        return VALUES;
    }
}
