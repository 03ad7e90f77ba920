package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.values.Values;

/**
 * Holds (reservations against a credit line) by hold id, persisted off-heap as fixed-size entries.
 *
 * <p><b>Threading:</b> the shard's single writer calls {@link #put}, {@link #setState} and {@link #remove};
 * any thread may call {@link #get}, {@link #forEach} and {@link #size}. Writes take the entry's update lock and
 * upgrade to the write lock before changing bytes in place; reads copy under the read lock. No other locks;
 * no allocation after a thread's first call (keys are a reused {@link LongValue}, not a boxed {@code Long}).
 */
public final class HoldBook implements AutoCloseable {

    static final String FILE_NAME = "holds.dat";

    private final ChronicleMap<LongValue, HoldValue> map;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** Holds in state ACTIVE, kept by the mutators so metrics need not walk the map. */
    private final AtomicLong active = new AtomicLong();

    private HoldBook(ChronicleMap<LongValue, HoldValue> map) {
        this.map = map;
        long[] n = {0};
        map.forEachEntry(e -> {
            if (e.value().get().getState() == HoldState.ACTIVE) {
                n[0]++;
            }
        });
        active.setPlain(n[0]);
    }

    /** Holds in state ACTIVE; any thread, never blocks the writer. */
    public long activeCount() {
        return active.get();
    }

    private void countActive(int before, int after) {
        int delta = (after == HoldState.ACTIVE ? 1 : 0) - (before == HoldState.ACTIVE ? 1 : 0);
        if (delta != 0) {
            active.getAndAdd(delta);
        }
    }

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    static HoldBook open(Path dir, StateConfig cfg, boolean recover) throws IOException {
        return new HoldBook(StateFiles.open(ChronicleMap.of(LongValue.class, HoldValue.class)
                .name("formica-holds")
                .checksumEntries(false) // in-place updates; see package javadoc, "Entry checksums"
                .entries(cfg.expectedHolds())
                .maxBloatFactor(cfg.maxBloatFactor()), dir.resolve(FILE_NAME), recover));
    }

    /** Copies the hold into {@code out}; false (and {@code out} untouched) if there is none. */
    public boolean get(long holdId, HoldSnapshot out) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.readLock().lock();
            MapEntry<LongValue, HoldValue> e = c.entry();
            if (e == null) {
                return false;
            }
            out.copyFrom(e.value().getUsing(s.ref));
            return true;
        }
    }

    /** Whether a hold (in any state) has this id: a new id must be none's ({@code HoldIds.Source}). */
    public boolean contains(long holdId) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.readLock().lock();
            return c.entry() != null;
        }
    }

    /** Creates or replaces the hold with every field of {@code values}. */
    public void put(long holdId, HoldSnapshot values) {
        StateFiles.checkId("borrowerId", values.borrowerId());
        StateFiles.checkProduct(values.product());
        if (!HoldState.isValid(values.state())) {
            throw new IllegalArgumentException("state must be a HoldState constant, was " + values.state());
        }
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.updateLock().lock();
            MapEntry<LongValue, HoldValue> e = c.entry();
            if (e != null) {
                HoldValue v = e.value().getUsing(s.ref);
                c.writeLock().lock();
                int before = v.getState();
                values.copyTo(v);
                countActive(before, values.state());
            } else {
                values.copyTo(s.fresh);
                c.insert(c.absentEntry(), c.wrapValueAsData(s.fresh));
                countActive(0, values.state());
            }
        }
        if (ops != null && ops.recording()) {
            ops.holdPut(holdId, values);
        }
    }

    /** Changes the state of an existing hold; false if there is none. */
    public boolean setState(long holdId, int state) {
        if (!HoldState.isValid(state)) {
            throw new IllegalArgumentException("state must be a HoldState constant, was " + state);
        }
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.updateLock().lock();
            MapEntry<LongValue, HoldValue> e = c.entry();
            if (e == null) {
                return false;
            }
            HoldValue v = e.value().getUsing(s.ref);
            c.writeLock().lock();
            countActive(v.getState(), state);
            v.setState(state);
            if (ops != null && ops.recording()) {
                ops.holdState(holdId, state);
            }
            return true;
        }
    }

    /**
     * Copies the hold into {@code out} and, when it is {@link HoldState#ACTIVE}, sets it {@link HoldState#EXPIRED}
     * (recorded as {@link #setState} records it); false when there is none (out untouched) or it was not active. One
     * look-up where {@link #get} and {@link #setState} take two (the shard's expiry of due holds).
     */
    public boolean expireIfActive(long holdId, HoldSnapshot out) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.updateLock().lock();
            MapEntry<LongValue, HoldValue> e = c.entry();
            if (e == null) {
                return false;
            }
            HoldValue v = e.value().getUsing(s.ref);
            out.copyFrom(v);
            if (out.state() != HoldState.ACTIVE) {
                return false;
            }
            c.writeLock().lock();
            countActive(HoldState.ACTIVE, HoldState.EXPIRED);
            v.setState(HoldState.EXPIRED);
            if (ops != null && ops.recording()) {
                ops.holdState(holdId, HoldState.EXPIRED);
            }
            return true;
        }
    }

    /** Removes the hold; false if there was none. */
    public boolean remove(long holdId) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.updateLock().lock();
            MapEntry<LongValue, HoldValue> e = c.entry();
            if (e == null) {
                return false;
            }
            countActive(e.value().getUsing(s.ref).getState(), 0);
            c.remove(e);
            if (ops != null && ops.recording()) {
                ops.holdRemove(holdId);
            }
            return true;
        }
    }

    /**
     * Removes the hold when it is finished (not {@link HoldState#ACTIVE}); false when there is none or it is active.
     * One look-up where {@link #get} and {@link #remove} take two (the shard's removal of finished holds).
     */
    public boolean removeIfFinished(long holdId) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<LongValue, HoldValue, ?> c = map.queryContext(s.key(holdId))) {
            c.updateLock().lock();
            MapEntry<LongValue, HoldValue> e = c.entry();
            if (e == null || e.value().getUsing(s.ref).getState() == HoldState.ACTIVE) {
                return false;
            }
            c.remove(e);
            if (ops != null && ops.recording()) {
                ops.holdRemove(holdId);
            }
            return true;
        }
    }

    /** Visits every hold; see {@link HoldVisitor} for what the visitor may do. */
    public void forEach(HoldVisitor visitor) {
        Scratch s = scratch.get();
        HoldSnapshot snapshot = s.iterSnapshot;
        map.forEachEntry(e -> {
            long holdId = e.key().getUsing(s.iterKey).getValue();
            snapshot.copyFrom(e.value().getUsing(s.iterRef));
            visitor.visit(holdId, snapshot);
        });
    }

    /**
     * Visits every hold with only what the start-up's reconciliation reads (no copy of the funding splits; the
     * borrower id decoded for active holds only). Same rules as {@link #forEach}: the borrower id is reused, copy
     * it to keep it.
     */
    public void forEachBrief(BriefVisitor visitor) {
        Scratch s = scratch.get();
        StringBuilder borrowerId = s.iterBorrower;
        map.forEachEntry(e -> {
            long holdId = e.key().getUsing(s.iterKey).getValue();
            HoldValue v = e.value().getUsing(s.iterRef);
            int state = v.getState();
            if (state == HoldState.ACTIVE) {
                v.getUsingBorrowerId(borrowerId);
            } else {
                borrowerId.setLength(0);
            }
            visitor.visit(holdId, state, v.getExpiresMs(), borrowerId, v.getProduct(), v.getAmountMinor());
        });
    }

    /** Receives holds from {@link #forEachBrief} (the iterating thread, under Chronicle's segment lock). */
    @FunctionalInterface
    public interface BriefVisitor {
        /** {@code borrowerId} is empty unless {@code state} is {@link HoldState#ACTIVE}. */
        void visit(long holdId, int state, long expiresMs, CharSequence borrowerId, int product, long amountMinor);
    }

    /** Number of holds, in every state. */
    public long size() {
        return map.longSize();
    }

    @Override
    public void close() {
        map.close();
    }

    /** Per-thread reusable objects; never shared between threads. */
    private static final class Scratch {
        final LongValue key = Values.newHeapInstance(LongValue.class);
        final HoldValue ref = Values.newNativeReference(HoldValue.class);
        final HoldValue fresh = Values.newHeapInstance(HoldValue.class);
        final LongValue iterKey = Values.newHeapInstance(LongValue.class);
        final HoldValue iterRef = Values.newNativeReference(HoldValue.class);
        final HoldSnapshot iterSnapshot = new HoldSnapshot();
        final StringBuilder iterBorrower = new StringBuilder(StateConfig.MAX_ID_CHARS);

        LongValue key(long holdId) {
            key.setValue(holdId);
            return key;
        }
    }
}
