package dev.formica.engine.state;

/**
 * Receives ledger lines from {@link CreditLedger#forEach}. Called on the iterating thread while Chronicle holds
 * the segment's lock: do not call back into the ledger, and copy {@code borrowerId} if it must outlive the call
 * (the sequence and the snapshot are reused).
 */
@FunctionalInterface
public interface LedgerVisitor {

    void visit(CharSequence borrowerId, int product, LedgerSnapshot snapshot);
}
