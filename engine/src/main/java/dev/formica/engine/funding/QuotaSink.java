package dev.formica.engine.funding;

/**
 * Where replayed quota operations go: the engine-wide {@link FundingQuotas} at start-up, a Raft group's lane of it
 * on a replicated node ({@link FundingQuotas#lane}), or a {@link QuotaTally} of one shard's contributions when a
 * snapshot is built.
 */
public interface QuotaSink {
    /** A reservation that happened (no limit check). */
    void replayReserve(int funder, long amountMinor, long dayIndex);

    /** A release that happened. */
    void release(int funder, long amountMinor, long dayIndexOfReservation);

    /**
     * A transfer of lease headroom this group gave to Raft group {@code toGroup}: the funder's total quota given to
     * it so far, {@code cumulativeMinor} (docs/cluster.md, "Moving headroom between groups"). Only a replicated
     * node's groups log it; a sink that keeps no leases ignores it.
     */
    default void give(int funder, int toGroup, long cumulativeMinor) {
    }

    /**
     * This group accepted, of what Raft group {@code fromGroup} gave it of the funder's total quota, everything up to
     * {@code cumulativeMinor}. Ignored like {@link #give}.
     */
    default void accept(int funder, int fromGroup, long cumulativeMinor) {
    }

    /**
     * As {@link #give} for the funder's daily quota of the UTC day {@code dayIndex}: {@code cumulativeMinor} given to
     * {@code toGroup} on that day so far. Ignored like {@link #give}.
     */
    default void giveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
    }

    /** As {@link #accept} for the funder's daily quota of the UTC day {@code dayIndex}. Ignored like {@link #give}. */
    default void acceptDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
    }
}
