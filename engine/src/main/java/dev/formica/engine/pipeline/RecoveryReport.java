package dev.formica.engine.pipeline;

/**
 * What one shard's start-up found and repaired. Counts only: no personal data.
 *
 * @param redoneIntent an interrupted mutation was completed from the intent log
 * @param holdsActive active holds, now scheduled for expiry
 * @param holdsFinished confirmed, cancelled or expired holds kept for the idempotency window
 * @param ledgers ledger entries (borrower × product)
 * @param heldMismatchesRepaired ledger entries whose held balance differed from the sum of their active
 *     holds and were set to that sum (0 in a healthy shard)
 * @param negativeAvailable entries whose line is below held + drawn (an operator lowered the line)
 */
public record RecoveryReport(boolean redoneIntent, long holdsActive, long holdsFinished, long ledgers,
        long heldMismatchesRepaired, long negativeAvailable) {
}
