package dev.formica.engine.metrics;

/**
 * Receives the stage timings of one traced call as its shard measures them (the same laps {@link ShardMetrics}
 * records into the histograms), for the call's span.
 *
 * <p>Thread contract: called only by the shard writer running the call's command; the answer's hand-off to the
 * caller's thread publishes what was written.
 */
public interface StageTrace {
    /**
     * @param stage the stage that ended
     * @param endNanos when it ended ({@link System#nanoTime()})
     * @param nanos how long it took
     */
    void stage(Stage stage, long endNanos, long nanos);
}
