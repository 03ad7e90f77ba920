package dev.formica.engine.state;

/**
 * A caller-owned copy of one ledger line, filled by {@link CreditLedger#get} and {@link CreditLedger#forEach}.
 * Not thread-safe: one instance per thread, reused across calls so reads allocate nothing.
 */
public final class LedgerSnapshot {

    private long lineMinor;
    private long heldMinor;
    private long drawnMinor;
    private boolean frozen;
    private int grade;
    private long version;
    private long updatedMs;

    /** Credit line, minor units. */
    public long lineMinor() {
        return lineMinor;
    }

    /** Sum of active holds, minor units. */
    public long heldMinor() {
        return heldMinor;
    }

    /** Drawn (disbursed, unpaid) amount, minor units. */
    public long drawnMinor() {
        return drawnMinor;
    }

    /** {@code line - held - drawn}; negative only after an operator lowered the line. */
    public long availableMinor() {
        return lineMinor - heldMinor - drawnMinor;
    }

    public boolean frozen() {
        return frozen;
    }

    /** Risk grade 0..5. */
    public int grade() {
        return grade;
    }

    /** Incremented on every change of the line. */
    public long version() {
        return version;
    }

    public long updatedMs() {
        return updatedMs;
    }

    void copyFrom(LedgerValue v) {
        lineMinor = v.getLineMinor();
        heldMinor = v.getHeldMinor();
        drawnMinor = v.getDrawnMinor();
        frozen = v.getFrozen();
        grade = v.getGrade();
        version = v.getVersion();
        updatedMs = v.getUpdatedMs();
    }

    @Override
    public String toString() {
        return "LedgerSnapshot{line=" + lineMinor + ", held=" + heldMinor + ", drawn=" + drawnMinor
                + ", frozen=" + frozen + ", grade=" + grade + ", version=" + version + ", updatedMs=" + updatedMs + '}';
    }
}
