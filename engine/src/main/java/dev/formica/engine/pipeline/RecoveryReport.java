package dev.formica.engine.pipeline;

/**
 * What one shard's start-up found and repaired. Counts only: no personal data.
 *
 * @param logPosition where the shard's log ends after recovery (the next frame's position)
 * @param holdsActive active holds, now scheduled for expiry
 * @param holdsFinished confirmed, cancelled or expired holds kept for the idempotency window
 * @param ledgers ledger entries (borrower × product)
 * @param heldMismatchesRepaired ledger entries whose held balance differed from the sum of their active
 *     holds and were set to that sum (0 in a healthy shard)
 * @param negativeAvailable entries whose line is below held + drawn (an operator lowered the line)
 * @param exposureRecordsRepaired lines whose exposure record (concentration attribution) did not account for their
 *     active holds and drawn balance and was completed (0 in a healthy shard; every line with exposure once after an
 *     upgrade from a build before the concentration limits: their merchant and industry are unknown)
 */
public record RecoveryReport(long logPosition, long holdsActive, long holdsFinished, long ledgers,
        long heldMismatchesRepaired, long negativeAvailable, long exposureRecordsRepaired) {
}
