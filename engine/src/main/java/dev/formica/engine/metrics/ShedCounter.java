package dev.formica.engine.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code formica_shed_total{reason}}: calls the server turned away because of load, one series per refusal,
 * labelled with the {@code ErrorInfo} reason the caller reads. Without it an operator (or a load run) sees only
 * {@code RESOURCE_EXHAUSTED} in {@code formica_rpc_total} and cannot tell which of three limits is refusing:
 * admission's in-flight limit ({@code OVERLOADED}), the shard's queue or its owner loop behind its reads
 * ({@code SHARD_QUEUE_FULL}), or the shard queue's delay ({@code QUEUE_DELAY_EXCEEDED}). A fourth series counts
 * commands dropped because their caller's deadline passed while they were queued ({@code DEADLINE_EXPIRED_IN_QUEUE},
 * a {@code DEADLINE_EXCEEDED}): not a refusal the server chose, but work it dropped for the same cause, a queue.
 *
 * <p>Each refusal is counted where it is made, on the refusing path only: an admitted call passes no code here. All
 * four series exist at 0 from the start, so {@code rate()} and alerts see them before the first refusal.
 *
 * <p>Thread contract: any thread; each count is one lock-free add on a data point made at construction.
 */
public final class ShedCounter {
    /** The metric's name, as Prometheus exports it (with {@code _total}). */
    public static final String NAME = "formica_shed";

    // the label values: the names of the ErrorInfo reasons (dev.formica.v1.ErrorReason) the callers get, spelled out
    // here because nothing below server/ depends on the protobuf types (LayeringTest); the tests check they match
    private static final String OVERLOADED = "OVERLOADED";
    private static final String SHARD_QUEUE_FULL = "SHARD_QUEUE_FULL";
    private static final String QUEUE_DELAY_EXCEEDED = "QUEUE_DELAY_EXCEEDED";
    private static final String DEADLINE_EXPIRED_IN_QUEUE = "DEADLINE_EXPIRED_IN_QUEUE";

    private final CounterDataPoint overloaded;
    private final CounterDataPoint shardQueueFull;
    private final CounterDataPoint queueDelayExceeded;
    private final CounterDataPoint deadlineExpiredInQueue;

    /** Registers the counter in {@code registry}. */
    public ShedCounter(PrometheusRegistry registry) {
        Counter shed = Counter.builder()
                .name(NAME)
                .help("Calls refused or dropped because of load, by the ErrorInfo reason the caller got: OVERLOADED"
                        + " (maxInFlightDecisions), SHARD_QUEUE_FULL (shard queue full, or its owner loop behind its"
                        + " reads), QUEUE_DELAY_EXCEEDED (maxQueueDelay), DEADLINE_EXPIRED_IN_QUEUE (the caller's"
                        + " deadline passed in the shard queue)")
                .labelNames("reason")
                .withoutExemplars()
                .register(registry);
        overloaded = shed.labelValues(OVERLOADED);
        shardQueueFull = shed.labelValues(SHARD_QUEUE_FULL);
        queueDelayExceeded = shed.labelValues(QUEUE_DELAY_EXCEEDED);
        deadlineExpiredInQueue = shed.labelValues(DEADLINE_EXPIRED_IN_QUEUE);
    }

    /**
     * Refusals counted so far with {@code reason}, an {@code ErrorInfo} reason's name (tests, diagnostics); 0 for a
     * reason this counter does not count.
     */
    public long count(String reason) {
        return switch (reason) {
            case OVERLOADED -> overloaded.getLongValue();
            case SHARD_QUEUE_FULL -> shardQueueFull.getLongValue();
            case QUEUE_DELAY_EXCEEDED -> queueDelayExceeded.getLongValue();
            case DEADLINE_EXPIRED_IN_QUEUE -> deadlineExpiredInQueue.getLongValue();
            default -> 0;
        };
    }

    /** A Decide refused at call start: {@code maxInFlightDecisions} calls were already in the server. */
    public void overloaded() {
        overloaded.inc();
    }

    /** A command refused before its shard queue: the queue was full, or its owner loop behind its reads. */
    public void shardQueueFull() {
        shardQueueFull.inc();
    }

    /** A command refused on its shard: it had waited in the queue longer than {@code maxQueueDelay}. */
    public void queueDelayExceeded() {
        queueDelayExceeded.inc();
    }

    /** A command dropped on its shard: its caller's deadline had passed while it was queued. */
    public void deadlineExpiredInQueue() {
        deadlineExpiredInQueue.inc();
    }
}
