package dev.formica.engine.state;

import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * What the fraud features remember per borrower: the running mean and variance of approved amounts
 * (Welford), the last {@link #DEVICES} device ids seen on approvals (as 64-bit hashes, never in clear), and
 * the watch flag set by early-warning events.
 *
 * <p>Thread contract: the shard's single writer calls {@link #recordApproval} and {@link #setWatch}; any
 * thread may read. Every change is an operation of the shard-log frame of the command that made it, like the
 * ledger's, so it is rebuilt exactly at start-up.
 *
 * <p>The activity is part of the borrower's entry in the shard's {@link BorrowerBook}, with its credit lines.
 */
public final class BorrowerActivity implements AutoCloseable {
    /** How many recent devices are remembered per borrower. */
    public static final int DEVICES = 4;
    private final BorrowerBook book;

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    BorrowerActivity(BorrowerBook book) {
        this.book = book;
    }

    /** A reading of one borrower's activity; reused by its owner. */
    public static final class Reading {
        private long count;
        private double mean;
        private double m2;
        private boolean watch;
        private final long[] devices = new long[DEVICES];
        private int nextDevice;
        private long updatedMs;

        /** Writes every field (snapshots). */
        public void writeTo(java.io.DataOutput out) throws java.io.IOException {
            out.writeLong(count);
            out.writeDouble(mean);
            out.writeDouble(m2);
            out.writeBoolean(watch);
            out.writeByte(nextDevice);
            for (long d : devices) {
                out.writeLong(d);
            }
            out.writeLong(updatedMs);
        }

        /** Reads what {@link #writeTo} wrote. */
        public Reading readFrom(java.io.DataInput in) throws java.io.IOException {
            count = in.readLong();
            mean = in.readDouble();
            m2 = in.readDouble();
            watch = in.readBoolean();
            nextDevice = in.readByte();
            for (int i = 0; i < DEVICES; i++) {
                devices[i] = in.readLong();
            }
            updatedMs = in.readLong();
            return this;
        }

        public long count() {
            return count;
        }

        public Reading() {
        }

        /** Every field, as text (digests). */
        public String describe() {
            return count + "," + Double.doubleToLongBits(mean) + "," + Double.doubleToLongBits(m2) + "," + watch + ","
                    + java.util.Arrays.toString(devices);
        }

        public double mean() {
            return mean;
        }

        /** Sample standard deviation; 0 with fewer than two amounts. */
        public double stddev() {
            return count < 2 ? 0.0 : Math.sqrt(m2 / (count - 1));
        }

        public boolean watch() {
            return watch;
        }

        /** True when the device hash is among the remembered ones. */
        public boolean knowsDevice(long deviceHash) {
            for (long d : devices) {
                if (d == deviceHash && d != 0) {
                    return true;
                }
            }
            return false;
        }

        void clear() {
            count = 0;
            mean = 0;
            m2 = 0;
            watch = false;
            java.util.Arrays.fill(devices, 0);
        }
    }

    /** Reads into {@code out} (zeros for an unknown borrower). */
    public Reading read(CharSequence borrowerId, Reading out) {
        out.clear();
        BorrowerBook.Scratch s = book.scratch();
        CharSequence key = s.activityKey(borrowerId);
        if (!book.present.mightContain(s.probe)) {
            return out;
        }
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(key)) {
            c.readLock().lock();
            MapEntry<CharSequence, BorrowerValue> e = c.entry();
            if (e != null) {
                BorrowerValue v = e.value().getUsing(s.ref);
                if ((v.getHas() & BorrowerBook.ACTIVITY) != 0) {
                    copy(v, out);
                }
            }
        }
        return out;
    }

    /** What {@link #read} copies of an entry with activity. */
    static void copy(BorrowerValue v, Reading out) {
        out.count = v.getCount();
        out.mean = v.getMean();
        out.m2 = v.getM2();
        out.watch = v.getWatch();
        for (int i = 0; i < DEVICES; i++) {
            out.devices[i] = v.getDeviceHashAt(i);
        }
    }

    /**
     * The entry of the context's key for a change of its activity: bound to {@code s.ref} with the write lock held,
     * or {@code s.fresh()} for the caller to insert when the book has no entry ({@code c.entry()} null). An entry
     * without activity gets a zero one, added to the filter ({@link #finish} counts it).
     */
    private BorrowerValue forChange(ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c,
            BorrowerBook.Scratch s) {
        c.updateLock().lock();
        MapEntry<CharSequence, BorrowerValue> e = c.entry();
        BorrowerValue v;
        if (e == null) {
            v = s.fresh();
        } else {
            v = e.value().getUsing(s.ref);
            c.writeLock().lock();
        }
        s.added = (v.getHas() & BorrowerBook.ACTIVITY) == 0;
        if (s.added) {
            book.addActivityKey(s);
            reset(v);
            v.setHas(v.getHas() | BorrowerBook.ACTIVITY);
        }
        return v;
    }

    /** Inserts the entry {@link #forChange} gave when there was none; counts an added activity once it is held. */
    private void finish(ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c, BorrowerBook.Scratch s,
            BorrowerValue v) {
        if (c.entry() == null) {
            c.insert(c.absentEntry(), c.wrapValueAsData(v));
        }
        if (s.added) {
            book.activities.incrementAndGet();
        }
    }

    /** Adds an approved amount to the running statistics and remembers the device (0 = none). */
    public void recordApproval(CharSequence borrowerId, long amountMinor, long deviceHash, long nowMs) {
        BorrowerBook.Scratch s = book.scratch();
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.activityKey(borrowerId))) {
            BorrowerValue v = forChange(c, s);
            update(v, amountMinor, deviceHash, nowMs);
            finish(c, s, v);
        }
        if (ops != null && ops.recording()) {
            ops.activityApproval(borrowerId, amountMinor, deviceHash);
        }
    }

    /** Puts the borrower on watch or takes them off. */
    public void setWatch(CharSequence borrowerId, boolean watch, long nowMs) {
        BorrowerBook.Scratch s = book.scratch();
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.activityKey(borrowerId))) {
            BorrowerValue v = forChange(c, s);
            v.setWatch(watch);
            v.setActivityMs(nowMs);
            finish(c, s, v);
        }
        if (ops != null && ops.recording()) {
            ops.activityWatch(borrowerId, watch);
        }
    }

    static void reset(BorrowerValue v) {
        v.setCount(0);
        v.setMean(0);
        v.setM2(0);
        v.setNextDevice(0);
        for (int i = 0; i < DEVICES; i++) {
            v.setDeviceHashAt(i, 0);
        }
        v.setWatch(false);
        v.setActivityMs(0);
    }

    static void update(BorrowerValue v, long amountMinor, long deviceHash, long nowMs) {
        long n = v.getCount() + 1;
        double delta = amountMinor - v.getMean();
        double mean = v.getMean() + delta / n;
        v.setCount(n);
        v.setMean(mean);
        v.setM2(v.getM2() + delta * (amountMinor - mean));
        if (deviceHash != 0) {
            boolean known = false;
            for (int i = 0; i < DEVICES; i++) {
                known |= v.getDeviceHashAt(i) == deviceHash;
            }
            if (!known) {
                int next = v.getNextDevice();
                v.setDeviceHashAt(next, deviceHash);
                v.setNextDevice((next + 1) % DEVICES);
            }
        }
        v.setActivityMs(nowMs);
    }

    /** Puts a borrower's activity as a snapshot holds it (start-up only; not recorded). */
    public void restore(CharSequence borrowerId, Reading r) {
        BorrowerBook.Scratch s = book.scratch();
        try (ExternalMapQueryContext<CharSequence, BorrowerValue, ?> c = book.map.queryContext(
                s.activityKey(borrowerId))) {
            BorrowerValue v = forChange(c, s);
            v.setCount(r.count);
            v.setMean(r.mean);
            v.setM2(r.m2);
            v.setWatch(r.watch);
            v.setNextDevice(r.nextDevice);
            for (int i = 0; i < DEVICES; i++) {
                v.setDeviceHashAt(i, r.devices[i]);
            }
            v.setActivityMs(r.updatedMs);
            finish(c, s, v);
        }
    }

    /** Visits every borrower's activity (for digests and tools). */
    public void forEach(java.util.function.BiConsumer<String, Reading> visitor) {
        Reading r = new Reading();
        BorrowerBook.Scratch s = book.scratch();
        book.map.forEachEntry(e -> {
            BorrowerValue v = e.value().getUsing(s.iterRef);
            if ((v.getHas() & BorrowerBook.ACTIVITY) == 0) {
                return;
            }
            r.count = v.getCount();
            r.mean = v.getMean();
            r.m2 = v.getM2();
            r.watch = v.getWatch();
            r.nextDevice = v.getNextDevice();
            r.updatedMs = v.getActivityMs();
            for (int i = 0; i < DEVICES; i++) {
                r.devices[i] = v.getDeviceHashAt(i);
            }
            visitor.accept(e.key().get().toString(), r);
        });
    }

    /** Number of borrowers with activity. */
    public long size() {
        return book.activities.get();
    }

    /** Closes the shard's {@link BorrowerBook} (the ledger's map too); idempotent. */
    @Override
    public void close() {
        book.close();
    }
}
