package dev.formica.engine.metrics;

/**
 * What the metrics read from the running engine for gauges. Every method must be cheap and must not
 * block a shard's writer: a scrape calls them on the HTTP thread.
 *
 * <p>Thread contract: called from any thread, concurrently with the writers.
 */
public interface EngineGauges {
    int shards();

    /** Commands waiting in the shard's queue. */
    int queueDepth(int shard);

    /** Holds in state ACTIVE on the shard (a running count, not a walk). */
    long activeHolds(int shard);

    /** Sum of held amounts over every line of the product (1..3), minor units, all shards. */
    long heldMinor(int product);

    /** Sum of drawn amounts over every line of the product (1..3), minor units, all shards. */
    long drawnMinor(int product);

    /** Receives the concentration table's state per dimension (region, industry, merchant, group). */
    interface ConcentrationVisitor {
        /** A dimension: its limit per key (-1 = none), keys with exposure, their total exposure, minor units. */
        void dimension(String dimension, long limitMinor, long keys, long totalMinor);

        /** One of the dimension's largest keys: its exposure and its usage of the limit (bps; 0 without a limit). */
        void key(String dimension, String key, long exposureMinor, long usageBps);
    }

    /**
     * The shard log writer's {@code fdatasync} durations in nanoseconds, recorded by the writer thread only; null
     * when no local log writer runs (a replicated node). The default has none.
     */
    default org.HdrHistogram.Recorder logSyncNanos() {
        return null;
    }

    /**
     * Where the answers' wait for durability goes ({@code fsync} mode: waiting for the writer's round, the round,
     * the hand-back to the event loops); null when no local log writer syncs (a replicated node, {@code process}
     * mode). The default has none.
     */
    default dev.formica.engine.log.LogTimes logTimes() {
        return null;
    }

    /**
     * Velocity adds since the start that found no room in the velocity table for their key (the table is smaller
     * than the keys a day brings: {@code velocityKeys}); the default has none.
     */
    default long velocityKeysRefused() {
        return 0;
    }

    /**
     * Visits each concentration dimension with its {@code top} largest keys. A walk of the whole table (every key's
     * exposure read once); the default visits nothing.
     */
    default void concentration(int top, ConcentrationVisitor visitor) {
    }
}
