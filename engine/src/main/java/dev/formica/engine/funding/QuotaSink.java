package dev.formica.engine.funding;

/**
 * Where replayed quota operations go: the engine-wide {@link FundingQuotas} at start-up, or a {@link QuotaTally}
 * of one shard's contributions when a snapshot is built.
 */
public interface QuotaSink {
    /** A reservation that happened (no limit check). */
    void replayReserve(int funder, long amountMinor, long dayIndex);

    /** A release that happened. */
    void release(int funder, long amountMinor, long dayIndexOfReservation);
}
