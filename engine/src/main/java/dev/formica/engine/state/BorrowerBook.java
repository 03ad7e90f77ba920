package dev.formica.engine.state;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.values.Values;

/**
 * One Chronicle Map entry per borrower, keyed by the borrower id, holding the borrower's credit lines (one slot per
 * product) and its activity ({@link BorrowerValue}): a Decide reads everything it needs of the borrower in one
 * look-up ({@link #read}) and writes its approval in one more ({@link #approve}), where separate maps for the lines
 * and the activity took four (the line, the activity, the ledger's apply, the activity's write), each missing the
 * cache twice (the hash-table slot and the entry; docs/perf-notes/2026-12-07-shard-decide-cost.md).
 *
 * <p>{@link CreditLedger} and {@link BorrowerActivity} are views of this map with the API they had as maps of their
 * own: the shard log's operations, the snapshot's sections (written through their {@code forEach}, loaded through
 * their {@code restore}) and every reader keep working unchanged.
 *
 * <p><b>Threading:</b> as the two views: the shard's single writer mutates, any thread reads. Every method takes the
 * entry's lock (read, or update then write), so a reader sees a whole write or none of it.
 */
public final class BorrowerBook implements AutoCloseable {
    /** Bit of {@link BorrowerValue#getHas} for the activity; a product's line is bit {@code product}. */
    static final int ACTIVITY = 1;

    final ChronicleMap<CharSequence, BorrowerValue> map;
    /**
     * The keys this book holds, as the product digit (the activity: '0') then the borrower id: a borrower's keys
     * share one word. Nothing is ever removed from the book, so the filter stays sound.
     */
    final PresenceFilter present;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    /** Lines and activities held (each only ever grows): the views' {@code size}, read by snapshots. */
    final AtomicLong lines = new AtomicLong();
    final AtomicLong activities = new AtomicLong();
    /** Running sums of held and drawn per product (index = product number); see {@link CreditLedger}. */
    final AtomicLongArray heldTotals = new AtomicLongArray(4);
    final AtomicLongArray drawnTotals = new AtomicLongArray(4);
    private final CreditLedger ledger;
    private final BorrowerActivity activity;

    private BorrowerBook(ChronicleMap<CharSequence, BorrowerValue> map, long maxBorrowers) {
        this.map = map;
        // about four keys a borrower at most (three lines and the activity); two is the common case
        this.present = new PresenceFilter(2 * maxBorrowers);
        StringBuilder probe = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        // the maps are created empty (in memory); a walk keeps the sums, the counts and the filter right anyway
        map.forEachEntry(e -> {
            BorrowerValue v = e.value().get();
            CharSequence key = e.key().get();
            int has = v.getHas();
            for (int p = 0; p <= 3; p++) {
                if ((has & (1 << p)) != 0) {
                    probe.setLength(0);
                    present.add(probe.append((char) ('0' + p)).append(key));
                    if (p == 0) {
                        activities.incrementAndGet();
                    } else {
                        lines.incrementAndGet();
                        heldTotals.addAndGet(p, v.getHeldMinorAt(p - 1));
                        drawnTotals.addAndGet(p, v.getDrawnMinorAt(p - 1));
                    }
                }
            }
        });
        this.ledger = new CreditLedger(this);
        this.activity = new BorrowerActivity(this);
    }

    static BorrowerBook open(StateConfig cfg) throws java.io.IOException {
        return new BorrowerBook(StateFiles.open(ChronicleMap.of(CharSequence.class, BorrowerValue.class)
                .name("formica-borrowers")
                .checksumEntries(false) // in-place updates; see package javadoc, "Entry checksums"
                .entries(cfg.expectedBorrowers())
                .averageKeySize(cfg.averageBorrowerIdChars())
                .maxBloatFactor(cfg.maxBloatFactor()), null, false),
                (long) (cfg.expectedBorrowers() * cfg.maxBloatFactor()));
    }

    /** The borrowers' credit lines. */
    public CreditLedger ledger() {
        return ledger;
    }

    /** The borrowers' activity (amount statistics, devices, watch flag). */
    public BorrowerActivity activity() {
        return activity;
    }

    /** Everything of one borrower a decision reads, filled by {@link #read}; one per thread, reused. */
    public static final class Reading {
        private final LedgerSnapshot[] lines = {null, new LedgerSnapshot(), new LedgerSnapshot(),
            new LedgerSnapshot()};
        private final BorrowerActivity.Reading activity = new BorrowerActivity.Reading();
        private int has;

        /** Whether the borrower has a line on the product. @throws IllegalArgumentException unless 1..3 */
        public boolean hasLine(int product) {
            StateFiles.checkProduct(product);
            return (has & (1 << product)) != 0;
        }

        /** The line on the product, valid when {@link #hasLine}; the same object on every call. */
        public LedgerSnapshot line(int product) {
            StateFiles.checkProduct(product);
            return lines[product];
        }

        /** Held + drawn on the product's line; 0 without a line. */
        public long usedMinor(int product) {
            return hasLine(product) ? lines[product].heldMinor() + lines[product].drawnMinor() : 0;
        }

        /** The activity (zeros for a borrower with none, as {@link BorrowerActivity#read}). */
        public BorrowerActivity.Reading activity() {
            return activity;
        }
    }

    /**
     * Reads the borrower's lines and activity into {@code out} in one look-up, as {@link CreditLedger#get} of each
     * product and {@link BorrowerActivity#read} would; returns {@code out}.
     */
    public Reading read(CharSequence borrowerId, Reading out) {
        out.has = 0;
        out.activity.clear();
        Scratch s = scratch.get();
        CharSequence key = s.activityKey(borrowerId);
        if (!present.mightContainAnyFirst(s.probe, '0', '3')) {
            return out;
        }
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = map.queryContext(key)) {
            c.readLock().lock();
            MapEntry<CharSequence, BorrowerValue> e = c.entry();
            if (e == null) {
                return out;
            }
            BorrowerValue v = e.value().getUsing(s.ref);
            int has = v.getHas();
            out.has = has;
            for (int p = 1; p <= 3; p++) {
                if ((has & (1 << p)) != 0) {
                    out.lines[p].copyFrom(v, p - 1);
                }
            }
            if ((has & ACTIVITY) != 0) {
                BorrowerActivity.copy(v, out.activity);
            }
            return out;
        }
    }

    /**
     * An approval's two writes in one look-up: {@link CreditLedger#apply} of {@code +amountMinor} to held, then
     * {@link BorrowerActivity#recordApproval}; each recorded as the same operation as there, in that order.
     *
     * @return the line's new version
     * @throws IllegalStateException if the line does not exist (nothing changed or recorded)
     * @throws ArithmeticException   if held would overflow (nothing changed or recorded)
     */
    public long approve(CharSequence borrowerId, int product, long amountMinor, long deviceHash, long nowMs) {
        Scratch s = scratch.get();
        CharSequence key = s.lineKey(borrowerId, product);
        int i = product - 1;
        long version;
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = map.queryContext(key)) {
            c.updateLock().lock();
            BorrowerValue v = CreditLedger.existing(c, s, product);
            long held = Math.addExact(v.getHeldMinorAt(i), amountMinor);
            c.writeLock().lock();
            v.setHeldMinorAt(i, held);
            addTotals(product, amountMinor, 0);
            version = CreditLedger.touch(v, i, nowMs);
            if ((v.getHas() & ACTIVITY) == 0) {
                addActivityKey(s);
                BorrowerActivity.reset(v);
                v.setHas(v.getHas() | ACTIVITY);
                activities.incrementAndGet(); // in place: nothing can fail after this
            }
            BorrowerActivity.update(v, amountMinor, deviceHash, nowMs);
        }
        StateOps ops = ledger.ops;
        if (ops != null && ops.recording()) {
            ops.ledgerApply(borrowerId, product, amountMinor, 0);
        }
        ops = activity.ops;
        if (ops != null && ops.recording()) {
            ops.activityApproval(borrowerId, amountMinor, deviceHash);
        }
        return version;
    }

    /**
     * Adds a new activity's key to the filter, before the entry that has it is written. The caller counts it in
     * {@link #activities} once the entry holds it (after an insert, which fails when the map is full): a view's
     * {@code size} is the number of records its {@code forEach} visits, which a snapshot writes ahead of them.
     */
    void addActivityKey(Scratch s) {
        s.probe.setCharAt(0, '0');
        present.add(s.probe);
    }

    /** As {@link #addActivityKey}, for a new line ({@code s.probe} as {@link Scratch#lineKey} left it). */
    void addLineKey(Scratch s) {
        present.add(s.probe);
    }

    void addTotals(int product, long heldDelta, long drawnDelta) {
        if (heldDelta != 0) {
            heldTotals.getAndAdd(product, heldDelta);
        }
        if (drawnDelta != 0) {
            drawnTotals.getAndAdd(product, drawnDelta);
        }
    }

    Scratch scratch() {
        return scratch.get();
    }

    /** Number of borrowers (entries). */
    public long size() {
        return map.longSize();
    }

    @Override
    public void close() {
        map.close();
    }

    /** Per-thread reusable objects; never shared between threads. */
    static final class Scratch {
        /** The map's key: the borrower id. */
        final StringBuilder key = new StringBuilder(StateConfig.MAX_ID_CHARS);
        /** The filter's key: a digit (the product; 0 = the activity), then the borrower id. */
        final StringBuilder probe = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        final BorrowerValue ref = Values.newNativeReference(BorrowerValue.class);
        private final BorrowerValue fresh = Values.newHeapInstance(BorrowerValue.class);
        final StringBuilder iterKey = new StringBuilder(StateConfig.MAX_ID_CHARS);
        final BorrowerValue iterRef = Values.newNativeReference(BorrowerValue.class);
        final LedgerSnapshot iterSnapshot = new LedgerSnapshot();
        /** Set by {@code BorrowerActivity}'s change: whether it added the activity to the entry (to count it). */
        boolean added;

        /** {@link #key} for a line: {@link #probe} is the product's digit then the id. Checks both. */
        CharSequence lineKey(CharSequence borrowerId, int product) {
            StateFiles.checkProduct(product);
            return key(borrowerId, product);
        }

        /** {@link #key} for the activity (or the whole entry): {@link #probe} is '0' then the id. Checks the id. */
        CharSequence activityKey(CharSequence borrowerId) {
            return key(borrowerId, 0);
        }

        /** Sets {@link #key} to the borrower id and {@link #probe} to {@code digit} then the id; returns the key. */
        private CharSequence key(CharSequence borrowerId, int digit) {
            StateFiles.checkId("borrowerId", borrowerId);
            key.setLength(0);
            key.append(borrowerId);
            probe.setLength(0);
            probe.append((char) ('0' + digit)).append(borrowerId);
            return key;
        }

        /** A heap value with every field zero (no line, no activity), to insert a new borrower. */
        BorrowerValue fresh() {
            BorrowerValue v = fresh;
            v.setHas(0);
            v.setFrozen(0);
            for (int i = 0; i < 3; i++) {
                v.setLineMinorAt(i, 0);
                v.setHeldMinorAt(i, 0);
                v.setDrawnMinorAt(i, 0);
                v.setGradeAt(i, 0);
                v.setVersionAt(i, 0);
                v.setUpdatedMsAt(i, 0);
            }
            BorrowerActivity.reset(v);
            return v;
        }
    }
}
