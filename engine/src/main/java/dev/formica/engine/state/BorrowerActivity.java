package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.values.Values;

/**
 * What the fraud features remember per borrower: the running mean and variance of approved amounts
 * (Welford), the last {@link #DEVICES} device ids seen on approvals (as 64-bit hashes, never in clear), and
 * the watch flag set by early-warning events.
 *
 * <p>Thread contract: the shard's single writer calls {@link #recordApproval} and {@link #setWatch}; any
 * thread may read. Every change is an operation of the shard-log frame of the command that made it, like the
 * ledger's, so it is rebuilt exactly at start-up.
 */
public final class BorrowerActivity implements AutoCloseable {
    /** How many recent devices are remembered per borrower. */
    public static final int DEVICES = 4;
    static final String FILE_NAME = "activity.dat";

    private final ChronicleMap<CharSequence, ActivityValue> map;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private BorrowerActivity(ChronicleMap<CharSequence, ActivityValue> map) {
        this.map = map;
    }

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    static BorrowerActivity open(Path dir, StateConfig cfg, boolean recover) throws IOException {
        return new BorrowerActivity(StateFiles.open(ChronicleMap.of(CharSequence.class, ActivityValue.class)
                .name("formica-activity")
                .checksumEntries(false)
                .entries(cfg.expectedBorrowers())
                .averageKeySize(cfg.averageBorrowerIdChars())
                .maxBloatFactor(cfg.maxBloatFactor()), dir.resolve(FILE_NAME), recover));
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
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, ActivityValue, ?> c = map.queryContext(s.key(borrowerId))) {
            c.readLock().lock();
            MapEntry<CharSequence, ActivityValue> e = c.entry();
            if (e != null) {
                ActivityValue v = e.value().getUsing(s.ref);
                out.count = v.getCount();
                out.mean = v.getMean();
                out.m2 = v.getM2();
                out.watch = v.getWatch();
                for (int i = 0; i < DEVICES; i++) {
                    out.devices[i] = v.getDeviceHashAt(i);
                }
            }
        }
        return out;
    }

    /** Adds an approved amount to the running statistics and remembers the device (0 = none). */
    public void recordApproval(CharSequence borrowerId, long amountMinor, long deviceHash, long nowMs) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, ActivityValue, ?> c = map.queryContext(s.key(borrowerId))) {
            c.updateLock().lock();
            MapEntry<CharSequence, ActivityValue> e = c.entry();
            ActivityValue v;
            if (e == null) {
                v = s.fresh;
                reset(v);
                update(v, amountMinor, deviceHash, nowMs);
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
            } else {
                v = e.value().getUsing(s.ref);
                c.writeLock().lock();
                update(v, amountMinor, deviceHash, nowMs);
            }
        }
        if (ops != null && ops.recording()) {
            ops.activityApproval(borrowerId, amountMinor, deviceHash);
        }
    }

    /** Puts the borrower on watch or takes them off. */
    public void setWatch(CharSequence borrowerId, boolean watch, long nowMs) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, ActivityValue, ?> c = map.queryContext(s.key(borrowerId))) {
            c.updateLock().lock();
            MapEntry<CharSequence, ActivityValue> e = c.entry();
            if (e == null) {
                ActivityValue v = s.fresh;
                reset(v);
                v.setWatch(watch);
                v.setUpdatedMs(nowMs);
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
            } else {
                ActivityValue v = e.value().getUsing(s.ref);
                c.writeLock().lock();
                v.setWatch(watch);
                v.setUpdatedMs(nowMs);
            }
        }
        if (ops != null && ops.recording()) {
            ops.activityWatch(borrowerId, watch);
        }
    }

    private static void reset(ActivityValue v) {
        v.setCount(0);
        v.setMean(0);
        v.setM2(0);
        v.setNextDevice(0);
        for (int i = 0; i < DEVICES; i++) {
            v.setDeviceHashAt(i, 0);
        }
        v.setWatch(false);
        v.setUpdatedMs(0);
    }

    private static void update(ActivityValue v, long amountMinor, long deviceHash, long nowMs) {
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
        v.setUpdatedMs(nowMs);
    }

    /** Puts a borrower's activity as a snapshot holds it (start-up only; not recorded). */
    public void restore(CharSequence borrowerId, Reading r) {
        Scratch s = scratch.get();
        try (ExternalMapQueryContext<CharSequence, ActivityValue, ?> c = map.queryContext(s.key(borrowerId))) {
            c.updateLock().lock();
            MapEntry<CharSequence, ActivityValue> e = c.entry();
            ActivityValue v = e != null ? e.value().getUsing(s.ref) : s.fresh;
            if (e != null) {
                c.writeLock().lock();
            }
            v.setCount(r.count);
            v.setMean(r.mean);
            v.setM2(r.m2);
            v.setWatch(r.watch);
            v.setNextDevice(r.nextDevice);
            for (int i = 0; i < DEVICES; i++) {
                v.setDeviceHashAt(i, r.devices[i]);
            }
            v.setUpdatedMs(r.updatedMs);
            if (e == null) {
                c.insert(c.absentEntry(), c.wrapValueAsData(v));
            }
        }
    }

    /** Visits every borrower's activity (for digests and tools). */
    public void forEach(java.util.function.BiConsumer<String, Reading> visitor) {
        Reading r = new Reading();
        map.forEachEntry(e -> {
            ActivityValue v = e.value().get();
            r.count = v.getCount();
            r.mean = v.getMean();
            r.m2 = v.getM2();
            r.watch = v.getWatch();
            r.nextDevice = v.getNextDevice();
            r.updatedMs = v.getUpdatedMs();
            for (int i = 0; i < DEVICES; i++) {
                r.devices[i] = v.getDeviceHashAt(i);
            }
            visitor.accept(e.key().get().toString(), r);
        });
    }

    public long size() {
        return map.longSize();
    }

    @Override
    public void close() {
        map.close();
    }

    private static final class Scratch {
        final StringBuilder key = new StringBuilder(StateConfig.MAX_ID_CHARS);
        final ActivityValue ref = Values.newNativeReference(ActivityValue.class);
        final ActivityValue fresh = Values.newHeapInstance(ActivityValue.class);

        CharSequence key(CharSequence borrowerId) {
            StateFiles.checkId("borrowerId", borrowerId);
            key.setLength(0);
            key.append(borrowerId);
            return key;
        }
    }
}
