package dev.formica.engine.state;

/**
 * A caller-owned copy of one ledger line, filled by {@link CreditLedger#get}, {@link CreditLedger#forEach} and
 * {@link BorrowerBook#read}.
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
    /** Sets every field (snapshot loading). */
    public LedgerSnapshot set(long line, long held, long drawn, boolean frozen, int grade, long version,
            long updatedMs) {
        this.lineMinor = line;
        this.heldMinor = held;
        this.drawnMinor = drawn;
        this.frozen = frozen;
        this.grade = grade;
        this.version = version;
        this.updatedMs = updatedMs;
        return this;
    }

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

    /**
     * {@code line - held - drawn}; negative only after an operator lowered the line. Saturates at
     * {@code Long.MIN_VALUE} rather than wrapping to a huge positive amount, whatever is stored.
     */
    public long availableMinor() {
        return saturatingSubtract(saturatingSubtract(lineMinor, heldMinor), drawnMinor);
    }

    static long saturatingSubtract(long a, long b) {
        long r = a - b;
        // overflow iff a and b differ in sign and the result's sign differs from a's (Hacker's Delight 2-13)
        if (((a ^ b) & (a ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
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

    /** Copies the line of slot {@code i} (product {@code i + 1}) of a borrower's entry. */
    void copyFrom(BorrowerValue v, int i) {
        lineMinor = v.getLineMinorAt(i);
        heldMinor = v.getHeldMinorAt(i);
        drawnMinor = v.getDrawnMinorAt(i);
        frozen = (v.getFrozen() & (2 << i)) != 0;
        grade = v.getGradeAt(i);
        version = v.getVersionAt(i);
        updatedMs = v.getUpdatedMsAt(i);
    }

    /** Copies every field of {@code other}; returns this. */
    public LedgerSnapshot copyOf(LedgerSnapshot other) {
        return set(other.lineMinor, other.heldMinor, other.drawnMinor, other.frozen, other.grade, other.version,
                other.updatedMs);
    }

    @Override
    public String toString() {
        return "LedgerSnapshot{line=" + lineMinor + ", held=" + heldMinor + ", drawn=" + drawnMinor
                + ", frozen=" + frozen + ", grade=" + grade + ", version=" + version + ", updatedMs=" + updatedMs + '}';
    }
}
