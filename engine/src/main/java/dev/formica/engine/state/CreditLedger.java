package dev.formica.engine.state;

import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * Credit line, held and drawn amounts per (borrower, product), off-heap: the lines of a borrower's entry in the
 * shard's {@link BorrowerBook} (one entry per borrower holds its three products' slots and its activity).
 *
 * <p><b>Threading:</b> the shard's single writer calls the mutators; any thread may call {@link #get},
 * {@link #forEach} and {@link #size}. Each mutation takes the entry's update lock, then upgrades to the write
 * lock to change the fields in place, so it is atomic against other writers and a concurrent {@link #get} sees
 * either the old or the new line, never a mix. No other locks; no allocation after a thread's first call.
 *
 * <p>Money is {@code long} minor units. Every change increments {@code version} and sets {@code updatedMs}.
 * Business invariants (no over-limit, held = sum of active holds) belong to the callers; this class only
 * refuses arithmetic overflow.
 */
public final class CreditLedger implements AutoCloseable {

    private final BorrowerBook book;

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    CreditLedger(BorrowerBook book) {
        this.book = book;
    }

    /** Sum of held over every line of the product, minor units; any thread, never blocks the writer. */
    public long heldTotalMinor(int product) {
        return book.heldTotals.get(product);
    }

    /** Sum of drawn over every line of the product, minor units; any thread, never blocks the writer. */
    public long drawnTotalMinor(int product) {
        return book.drawnTotals.get(product);
    }

    /**
     * Copies the line into {@code out}; returns false (and leaves {@code out} alone) if there is none. A product
     * with no line costs no map probe when the borrower's presence filter says so ({@link BorrowerBook#present}).
     */
    public boolean get(CharSequence borrowerId, int product, LedgerSnapshot out) {
        BorrowerBook.Scratch s = book.scratch();
        CharSequence key = s.lineKey(borrowerId, product);
        if (!book.present.mightContain(s.probe)) {
            return false;
        }
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(key)) {
            c.readLock().lock();
            MapEntry<CharSequence, BorrowerValue> e = c.entry();
            if (e == null) {
                return false;
            }
            BorrowerValue v = e.value().getUsing(s.ref);
            if ((v.getHas() & (1 << product)) == 0) {
                return false;
            }
            out.copyFrom(v, product - 1);
            return true;
        }
    }

    /** Creates the line with held = drawn = 0, or changes only the line of an existing one. */
    public void putLine(CharSequence borrowerId, int product, long lineMinor, long nowMs) {
        BorrowerBook.Scratch s = book.scratch();
        int i = product - 1;
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.lineKey(borrowerId, product))) {
            c.updateLock().lock();
            MapEntry<CharSequence, BorrowerValue> e = c.entry();
            if (e != null) {
                BorrowerValue v = e.value().getUsing(s.ref);
                c.writeLock().lock();
                if ((v.getHas() & (1 << product)) != 0) {
                    v.setLineMinorAt(i, lineMinor);
                    touch(v, i, nowMs);
                } else {
                    book.addLineKey(s);
                    newLine(v, product, lineMinor, nowMs);
                    book.lines.incrementAndGet();
                }
            } else {
                BorrowerValue v = s.fresh();
                newLine(v, product, lineMinor, nowMs);
                book.addLineKey(s);
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
                book.lines.incrementAndGet(); // counted once the map holds it (an insert fails when it is full)
            }
        }
        if (ops != null && ops.recording()) {
            ops.ledgerPutLine(borrowerId, product, lineMinor);
        }
    }

    private static void newLine(BorrowerValue v, int product, long lineMinor, long nowMs) {
        int i = product - 1;
        v.setLineMinorAt(i, lineMinor);
        v.setHeldMinorAt(i, 0);
        v.setDrawnMinorAt(i, 0);
        v.setFrozen(v.getFrozen() & ~(1 << product));
        v.setGradeAt(i, 0);
        v.setVersionAt(i, 1);
        v.setUpdatedMsAt(i, nowMs);
        v.setHas(v.getHas() | (1 << product));
    }

    /**
     * Adds the deltas to held and drawn atomically.
     *
     * @return the new version
     * @throws IllegalStateException if the line does not exist
     * @throws ArithmeticException   if an amount would overflow (nothing is changed)
     */
    public long apply(CharSequence borrowerId, int product, long heldDelta, long drawnDelta, long nowMs) {
        long version = applyToLine(borrowerId, product, heldDelta, drawnDelta, nowMs);
        if (version < 0) {
            throw new IllegalStateException("no credit line for this borrower and product");
        }
        return version;
    }

    /**
     * As {@link #apply} when the line exists; false (nothing changed or recorded) when it does not. One look-up
     * where {@link #get} and {@link #apply} take two (the shard's expiry of a hold).
     *
     * @throws ArithmeticException if an amount would overflow (nothing is changed)
     */
    public boolean applyIfPresent(CharSequence borrowerId, int product, long heldDelta, long drawnDelta, long nowMs) {
        return applyToLine(borrowerId, product, heldDelta, drawnDelta, nowMs) >= 0;
    }

    /** {@link #apply}'s work in one look-up: the new version, or -1 (nothing changed or recorded) with no line. */
    private long applyToLine(CharSequence borrowerId, int product, long heldDelta, long drawnDelta, long nowMs) {
        BorrowerBook.Scratch s = book.scratch();
        CharSequence key = s.lineKey(borrowerId, product);
        if (!book.present.mightContain(s.probe)) {
            return -1;
        }
        int i = product - 1;
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(key)) {
            c.updateLock().lock();
            MapEntry<CharSequence, BorrowerValue> e = c.entry();
            if (e == null) {
                return -1;
            }
            BorrowerValue v = e.value().getUsing(s.ref);
            if ((v.getHas() & (1 << product)) == 0) {
                return -1;
            }
            long held = Math.addExact(v.getHeldMinorAt(i), heldDelta);
            long drawn = Math.addExact(v.getDrawnMinorAt(i), drawnDelta);
            c.writeLock().lock();
            v.setHeldMinorAt(i, held);
            v.setDrawnMinorAt(i, drawn);
            book.addTotals(product, heldDelta, drawnDelta);
            long version = touch(v, i, nowMs);
            if (ops != null && ops.recording()) {
                ops.ledgerApply(borrowerId, product, heldDelta, drawnDelta);
            }
            return version;
        }
    }

    /** Freezes or unfreezes the line. @throws IllegalStateException if it does not exist */
    public void setFrozen(CharSequence borrowerId, int product, boolean frozen, long nowMs) {
        BorrowerBook.Scratch s = book.scratch();
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.lineKey(borrowerId, product))) {
            c.updateLock().lock();
            BorrowerValue v = existing(c, s, product);
            c.writeLock().lock();
            int bit = 1 << product;
            v.setFrozen(frozen ? v.getFrozen() | bit : v.getFrozen() & ~bit);
            touch(v, product - 1, nowMs);
        }
        if (ops != null && ops.recording()) {
            ops.ledgerFrozen(borrowerId, product, frozen);
        }
    }

    /** Sets the risk grade 0..5. @throws IllegalStateException if the line does not exist */
    public void setGrade(CharSequence borrowerId, int product, int grade, long nowMs) {
        if (grade < 0 || grade > 5) {
            throw new IllegalArgumentException("grade must be 0..5, was " + grade);
        }
        BorrowerBook.Scratch s = book.scratch();
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.lineKey(borrowerId, product))) {
            c.updateLock().lock();
            BorrowerValue v = existing(c, s, product);
            c.writeLock().lock();
            v.setGradeAt(product - 1, grade);
            touch(v, product - 1, nowMs);
        }
        if (ops != null && ops.recording()) {
            ops.ledgerGrade(borrowerId, product, grade);
        }
    }

    /**
     * Overwrites held, for start-up reconciliation against the sum of active holds.
     *
     * @throws IllegalStateException if the line does not exist
     */
    public void setHeld(CharSequence borrowerId, int product, long heldMinor, long nowMs) {
        BorrowerBook.Scratch s = book.scratch();
        int i = product - 1;
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.lineKey(borrowerId, product))) {
            c.updateLock().lock();
            BorrowerValue v = existing(c, s, product);
            c.writeLock().lock();
            book.addTotals(product, heldMinor - v.getHeldMinorAt(i), 0);
            v.setHeldMinorAt(i, heldMinor);
            touch(v, i, nowMs);
        }
        if (ops != null && ops.recording()) {
            ops.ledgerSetHeld(borrowerId, product, heldMinor);
        }
    }

    /** Puts a line with every field as a snapshot holds it (start-up only; not recorded). */
    public void restore(CharSequence borrowerId, int product, LedgerSnapshot line) {
        BorrowerBook.Scratch s = book.scratch();
        int i = product - 1;
        int bit = 1 << product;
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.lineKey(borrowerId, product))) {
            c.updateLock().lock();
            MapEntry<CharSequence, BorrowerValue> e = c.entry();
            BorrowerValue v = e != null ? e.value().getUsing(s.ref) : s.fresh();
            if (e != null) {
                c.writeLock().lock();
            }
            boolean added = (v.getHas() & bit) == 0;
            if (added) {
                book.addLineKey(s);
            } else {
                book.addTotals(product, -v.getHeldMinorAt(i), -v.getDrawnMinorAt(i));
            }
            v.setLineMinorAt(i, line.lineMinor());
            v.setHeldMinorAt(i, line.heldMinor());
            v.setDrawnMinorAt(i, line.drawnMinor());
            v.setFrozen(line.frozen() ? v.getFrozen() | bit : v.getFrozen() & ~bit);
            v.setGradeAt(i, line.grade());
            v.setVersionAt(i, line.version());
            v.setUpdatedMsAt(i, line.updatedMs());
            v.setHas(v.getHas() | bit);
            if (e == null) {
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
            }
            if (added) {
                book.lines.incrementAndGet();
            }
            book.addTotals(product, line.heldMinor(), line.drawnMinor());
        }
    }

    /** Visits every line; see {@link LedgerVisitor} for what the visitor may do. */
    public void forEach(LedgerVisitor visitor) {
        BorrowerBook.Scratch s = book.scratch();
        StringBuilder key = s.iterKey;
        LedgerSnapshot snapshot = s.iterSnapshot;
        book.map.forEachEntry(e -> {
            BorrowerValue v = e.value().getUsing(s.iterRef);
            int has = v.getHas();
            if ((has & ~BorrowerBook.ACTIVITY) == 0) {
                return;
            }
            CharSequence borrower = e.key().getUsing(key);
            for (int p = 1; p <= 3; p++) {
                if ((has & (1 << p)) != 0) {
                    snapshot.copyFrom(v, p - 1);
                    visitor.visit(borrower, p, snapshot);
                }
            }
        });
    }

    /** Number of lines. */
    public long size() {
        return book.lines.get();
    }

    /** Closes the shard's {@link BorrowerBook} (the activity's map too); idempotent. */
    @Override
    public void close() {
        book.close();
    }

    /** The entry's value, bound to {@code s.ref}. @throws IllegalStateException if it has no line on product */
    static BorrowerValue existing(ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c, BorrowerBook.Scratch s,
            int product) {
        MapEntry<CharSequence, BorrowerValue> e = c.entry();
        BorrowerValue v = e == null ? null : e.value().getUsing(s.ref);
        if (v == null || (v.getHas() & (1 << product)) == 0) {
            throw new IllegalStateException("no credit line for this borrower and product");
        }
        return v;
    }

    /** Increments slot {@code i}'s version and sets its time; returns the new version. */
    static long touch(BorrowerValue v, int i, long nowMs) {
        long version = v.getVersionAt(i) + 1;
        v.setVersionAt(i, version);
        v.setUpdatedMsAt(i, nowMs);
        return version;
    }
}
