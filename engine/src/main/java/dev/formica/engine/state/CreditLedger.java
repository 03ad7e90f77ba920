package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.values.Values;

/**
 * Credit line, held and drawn amounts per (borrower, product), persisted off-heap.
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

    static final String FILE_NAME = "ledger.dat";

    private final ChronicleMap<CharSequence, LedgerValue> map;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    /**
     * Running sums of held and drawn per product (index = product number), kept by the mutators so a
     * metrics scrape reads two numbers instead of walking every line. An uncontended atomic add (a few ns
     * next to the map operation) keeps them right even with several writers, which this class allows.
     */
    private final AtomicLongArray heldTotals = new AtomicLongArray(4);
    private final AtomicLongArray drawnTotals = new AtomicLongArray(4);

    /**
     * The keys of the lines this ledger holds (lines are never removed): a look-up of a borrower's product with no
     * line, the usual case for two of a Decide's three, costs no map probe.
     */
    private final PresenceFilter present;

    private CreditLedger(ChronicleMap<CharSequence, LedgerValue> map, long maxLines) {
        this.map = map;
        this.present = new PresenceFilter(maxLines);
        // One walk at open (≈ 0.1 s per million lines); afterwards the mutators keep the sums and the filter.
        map.forEachEntry(e -> {
            LedgerValue v = e.value().get();
            CharSequence key = e.key().get();
            present.add(key);
            int product = key.charAt(0) - '0';
            if (product >= 0 && product < 4) {
                heldTotals.setPlain(product, heldTotals.getPlain(product) + v.getHeldMinor());
                drawnTotals.setPlain(product, drawnTotals.getPlain(product) + v.getDrawnMinor());
            }
        });
    }

    /** Sum of held over every line of the product, minor units; any thread, never blocks the writer. */
    public long heldTotalMinor(int product) {
        return heldTotals.get(product);
    }

    /** Sum of drawn over every line of the product, minor units; any thread, never blocks the writer. */
    public long drawnTotalMinor(int product) {
        return drawnTotals.get(product);
    }

    private void addTotals(int product, long heldDelta, long drawnDelta) {
        if (heldDelta != 0) {
            heldTotals.getAndAdd(product, heldDelta);
        }
        if (drawnDelta != 0) {
            drawnTotals.getAndAdd(product, drawnDelta);
        }
    }

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    static CreditLedger open(Path dir, StateConfig cfg, boolean recover) throws IOException {
        long entries = cfg.expectedBorrowers() * cfg.productsPerBorrower();
        return new CreditLedger(StateFiles.open(ChronicleMap.of(CharSequence.class, LedgerValue.class)
                .name("formica-ledger")
                .checksumEntries(false) // in-place updates; see package javadoc, "Entry checksums"
                .entries(entries)
                .averageKeySize(1 + cfg.averageBorrowerIdChars())
                .maxBloatFactor(cfg.maxBloatFactor()), dir.resolve(FILE_NAME), recover),
                (long) (entries * cfg.maxBloatFactor()));
    }

    /** Copies the line into {@code out}; returns false (and leaves {@code out} alone) if there is none. */
    public boolean get(CharSequence borrowerId, int product, LedgerSnapshot out) {
        Scratch s = scratch.get();
        CharSequence key = s.key(borrowerId, product);
        if (!present.mightContain(key)) {
            return false;
        }
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(key)) {
            c.readLock().lock();
            MapEntry<CharSequence, LedgerValue> e = c.entry();
            if (e == null) {
                return false;
            }
            out.copyFrom(e.value().getUsing(s.ref));
            return true;
        }
    }

    /** Creates the line with held = drawn = 0, or changes only the line of an existing one. */
    public void putLine(CharSequence borrowerId, int product, long lineMinor, long nowMs) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(s.key(borrowerId, product))) {
            c.updateLock().lock();
            MapEntry<CharSequence, LedgerValue> e = c.entry();
            if (e != null) {
                LedgerValue v = e.value().getUsing(s.ref);
                c.writeLock().lock();
                v.setLineMinor(lineMinor);
                touch(v, nowMs);
            } else {
                LedgerValue v = s.fresh;
                v.setLineMinor(lineMinor);
                v.setHeldMinor(0);
                v.setDrawnMinor(0);
                v.setFrozen(false);
                v.setGrade(0);
                v.setVersion(1);
                v.setUpdatedMs(nowMs);
                present.add(s.key);
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
            }
        }
        if (ops != null && ops.recording()) {
            ops.ledgerPutLine(borrowerId, product, lineMinor);
        }
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
        Scratch s = scratch.get();
        CharSequence key = s.key(borrowerId, product);
        if (!present.mightContain(key)) {
            return -1;
        }
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(key)) {
            c.updateLock().lock();
            MapEntry<CharSequence, LedgerValue> e = c.entry();
            if (e == null) {
                return -1;
            }
            LedgerValue v = e.value().getUsing(s.ref);
            long held = Math.addExact(v.getHeldMinor(), heldDelta);
            long drawn = Math.addExact(v.getDrawnMinor(), drawnDelta);
            c.writeLock().lock();
            v.setHeldMinor(held);
            v.setDrawnMinor(drawn);
            addTotals(product, heldDelta, drawnDelta);
            long version = touch(v, nowMs);
            if (ops != null && ops.recording()) {
                ops.ledgerApply(borrowerId, product, heldDelta, drawnDelta);
            }
            return version;
        }
    }

    /** Freezes or unfreezes the line. @throws IllegalStateException if it does not exist */
    public void setFrozen(CharSequence borrowerId, int product, boolean frozen, long nowMs) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(s.key(borrowerId, product))) {
            c.updateLock().lock();
            LedgerValue v = existing(c, s);
            c.writeLock().lock();
            v.setFrozen(frozen);
            touch(v, nowMs);
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
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(s.key(borrowerId, product))) {
            c.updateLock().lock();
            LedgerValue v = existing(c, s);
            c.writeLock().lock();
            v.setGrade(grade);
            touch(v, nowMs);
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
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(s.key(borrowerId, product))) {
            c.updateLock().lock();
            LedgerValue v = existing(c, s);
            c.writeLock().lock();
            addTotals(product, heldMinor - v.getHeldMinor(), 0);
            v.setHeldMinor(heldMinor);
            touch(v, nowMs);
        }
        if (ops != null && ops.recording()) {
            ops.ledgerSetHeld(borrowerId, product, heldMinor);
        }
    }

    /** Puts a line with every field as a snapshot holds it (start-up only; not recorded). */
    public void restore(CharSequence borrowerId, int product, LedgerSnapshot line) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, LedgerValue, ?> c = map.queryContext(s.key(borrowerId, product))) {
            c.updateLock().lock();
            MapEntry<CharSequence, LedgerValue> e = c.entry();
            LedgerValue v = e != null ? e.value().getUsing(s.ref) : s.fresh;
            if (e != null) {
                c.writeLock().lock();
                addTotals(product, -v.getHeldMinor(), -v.getDrawnMinor());
            }
            v.setLineMinor(line.lineMinor());
            v.setHeldMinor(line.heldMinor());
            v.setDrawnMinor(line.drawnMinor());
            v.setFrozen(line.frozen());
            v.setGrade(line.grade());
            v.setVersion(line.version());
            v.setUpdatedMs(line.updatedMs());
            if (e == null) {
                present.add(s.key);
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
            }
            addTotals(product, line.heldMinor(), line.drawnMinor());
        }
    }

    /** Visits every line; see {@link LedgerVisitor} for what the visitor may do. */
    public void forEach(LedgerVisitor visitor) {
        Scratch s = scratch.get();
        StringBuilder key = s.iterKey;
        StringBuilder borrower = s.iterBorrower;
        LedgerSnapshot snapshot = s.iterSnapshot;
        map.forEachEntry(e -> {
            CharSequence k = e.key().getUsing(key);
            borrower.setLength(0);
            borrower.append(k, 1, k.length());
            snapshot.copyFrom(e.value().getUsing(s.iterRef));
            visitor.visit(borrower, k.charAt(0) - '0', snapshot);
        });
    }

    /** Number of lines. */
    public long size() {
        return map.longSize();
    }

    @Override
    public void close() {
        map.close();
    }

    private static LedgerValue existing(ExternalMapQueryContext<CharSequence, LedgerValue, ?> c, Scratch s) {
        MapEntry<CharSequence, LedgerValue> e = c.entry();
        if (e == null) {
            throw new IllegalStateException("no credit line for this borrower and product");
        }
        return e.value().getUsing(s.ref);
    }

    private static long touch(LedgerValue v, long nowMs) {
        long version = v.getVersion() + 1;
        v.setVersion(version);
        v.setUpdatedMs(nowMs);
        return version;
    }

    /** Per-thread reusable objects; never shared between threads. */
    private static final class Scratch {
        final StringBuilder key = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        final LedgerValue ref = Values.newNativeReference(LedgerValue.class);
        final LedgerValue fresh = Values.newHeapInstance(LedgerValue.class);
        final StringBuilder iterKey = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        final StringBuilder iterBorrower = new StringBuilder(StateConfig.MAX_ID_CHARS);
        final LedgerValue iterRef = Values.newNativeReference(LedgerValue.class);
        final LedgerSnapshot iterSnapshot = new LedgerSnapshot();

        /** The product digit, then the borrower id: one reused key, no String built. */
        CharSequence key(CharSequence borrowerId, int product) {
            StateFiles.checkId("borrowerId", borrowerId);
            StateFiles.checkProduct(product);
            key.setLength(0);
            key.append((char) ('0' + product)).append(borrowerId);
            return key;
        }
    }
}
