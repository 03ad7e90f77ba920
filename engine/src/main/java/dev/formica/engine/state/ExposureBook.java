package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.Path;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The exposure records of one shard's credit lines ({@link ExposureRecord}), keyed by the product digit and the
 * borrower id. A line has a record while it has held or drawn exposure. The shard log carries every write
 * ({@link StateOps#exposurePut}); the engine-wide concentration table is the sum of these records over every
 * shard, rebuilt from them at start-up.
 *
 * <p><b>Threading:</b> the shard's single writer calls {@link #read}, {@link #write}, {@link #restore}; any thread
 * may call {@link #forEach} and {@link #size}. {@link #read} copies the value bytes into a reused buffer and decodes
 * them; {@link #write} encodes into it and replaces the value from it: neither allocates once the buffer has grown to
 * the largest record.
 */
public final class ExposureBook implements AutoCloseable {
    static final String FILE_NAME = "exposures.dat";

    private final ChronicleMap<CharSequence, byte[]> map;
    private final StringBuilder key = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
    private byte[] bytes = new byte[512];
    private UnsafeBuffer view = new UnsafeBuffer(bytes);
    private BytesStore<?, byte[]> store = BytesStore.wrap(bytes);

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    private ExposureBook(ChronicleMap<CharSequence, byte[]> map) {
        this.map = map;
    }

    static ExposureBook open(Path dir, StateConfig cfg, boolean recover) throws IOException {
        return new ExposureBook(StateFiles.open(ChronicleMap.of(CharSequence.class, byte[].class)
                .name("formica-exposures")
                .entries(Math.max(1000, cfg.expectedBorrowers() * cfg.productsPerBorrower()))
                .averageKeySize(cfg.averageBorrowerIdChars() + 1)
                .averageValueSize(64)
                .maxBloatFactor(cfg.maxBloatFactor()), dir.resolve(FILE_NAME), recover));
    }

    /** Reads the line's record into {@code out}; false (and {@code out} cleared) when the line has none. */
    public boolean read(CharSequence borrowerId, int product, ExposureRecord out) {
        return readKey(key(borrowerId, product), out);
    }

    /**
     * Reads the record under a raw key (the product digit and the borrower id, as the shard log's
     * {@link StateOps#exposurePut} carries it) into {@code out}; false (and {@code out} cleared) when there is none.
     */
    public boolean readRaw(CharSequence rawKey, ExposureRecord out) {
        return readKey(rawKey, out);
    }

    private boolean readKey(CharSequence k, ExposureRecord out) {
        try (ExternalMapQueryContext<CharSequence, byte[], ?> c = map.queryContext(k)) {
            c.readLock().lock();
            MapEntry<CharSequence, byte[]> e = c.entry();
            if (e == null) {
                out.clear();
                return false;
            }
            Data<byte[]> value = e.value();
            int n = (int) value.size();
            ensure(n);
            value.bytes().read(value.offset(), bytes, 0, n);
            out.decode(view, 0, n);
            return true;
        }
    }

    /** Stores the line's record, or removes it when it has no entries. Recorded for the shard log. */
    public void write(CharSequence borrowerId, int product, ExposureRecord record) {
        CharSequence k = key(borrowerId, product);
        if (record.count() == 0) {
            if (remove(k) && ops != null && ops.recording()) {
                ops.exposurePut(k, bytes, 0);
            }
            return;
        }
        ensure(record.encodedLength());
        int n = record.encode(view);
        put(k, n);
        if (ops != null && ops.recording()) {
            ops.exposurePut(k, bytes, n);
        }
    }

    /** A change made to a line's record inside {@link #update}; must not use this book. */
    @FunctionalInterface
    public interface Change {
        /** Changes {@code record} (decoded); true: store it (or remove it when it has no entries), false: leave it. */
        boolean apply(ExposureRecord record);
    }

    /**
     * Reads the line's record into {@code record}, lets {@code change} change it and stores it (or removes it when it
     * has no entries; recorded for the shard log as {@link #write} records it), all under the entry's update lock:
     * one look-up where {@link #read} and {@link #write} take two. False (and {@code record} cleared, {@code change}
     * not called) when the line has no record.
     */
    public boolean update(CharSequence borrowerId, int product, ExposureRecord record, Change change) {
        CharSequence k = key(borrowerId, product);
        try (ExternalMapQueryContext<CharSequence, byte[], ?> c = map.queryContext(k)) {
            c.updateLock().lock();
            MapEntry<CharSequence, byte[]> e = c.entry();
            if (e == null) {
                record.clear();
                return false;
            }
            Data<byte[]> value = e.value();
            int n = (int) value.size();
            ensure(n);
            value.bytes().read(value.offset(), bytes, 0, n);
            record.decode(view, 0, n);
            if (!change.apply(record)) {
                return true;
            }
            if (record.count() == 0) {
                c.remove(e);
                n = 0;
            } else {
                ensure(record.encodedLength());
                n = record.encode(view);
                c.replaceValue(e, c.wrapValueBytesAsData(store, 0, n));
            }
            if (ops != null && ops.recording()) {
                ops.exposurePut(k, bytes, n);
            }
            return true;
        }
    }

    /** Replay and snapshots: stores raw record bytes under a raw key (product digit + borrower id); 0 bytes removes. */
    public void restore(CharSequence rawKey, org.agrona.DirectBuffer from, int offset, int length) {
        key.setLength(0);
        key.append(rawKey);
        if (length == 0) {
            remove(key);
            return;
        }
        ensure(length);
        from.getBytes(offset, bytes, 0, length);
        put(key, length);
    }

    private boolean remove(CharSequence k) {
        try (ExternalMapQueryContext<CharSequence, byte[], ?> c = map.queryContext(k)) {
            c.updateLock().lock();
            MapEntry<CharSequence, byte[]> e = c.entry();
            if (e == null) {
                return false;
            }
            c.remove(e);
            return true;
        }
    }

    private void put(CharSequence k, int n) {
        try (ExternalMapQueryContext<CharSequence, byte[], ?> c = map.queryContext(k)) {
            c.updateLock().lock();
            MapEntry<CharSequence, byte[]> e = c.entry();
            Data<byte[]> value = c.wrapValueBytesAsData(store, 0, n);
            if (e != null) {
                c.replaceValue(e, value);
            } else {
                c.insert(c.absentEntry(), value);
            }
        }
    }

    /** Receives one record: the borrower, the product and the record (reused between calls). */
    @FunctionalInterface
    public interface Visitor {
        void record(String borrowerId, int product, ExposureRecord record);
    }

    /** Visits every record (start-up, digests; allocates the borrower ids). */
    public void forEach(Visitor visitor) {
        ExposureRecord r = new ExposureRecord();
        StringBuilder k = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        map.forEachEntry(e -> {
            byte[] value = e.value().getUsing(null);
            r.decode(new UnsafeBuffer(value), 0, value.length);
            e.key().getUsing(k);
            visitor.record(k.substring(1), k.charAt(0) - '0', r);
        });
    }

    /** Receives one record from {@link #forEachRecord}: everything reused between calls, valid during the call. */
    @FunctionalInterface
    public interface RecordVisitor {
        /** {@code rawKey}: the product digit and the borrower id. */
        void record(CharSequence rawKey, ExposureRecord record);
    }

    /**
     * Visits every record without allocating per record (start-up's reconciliation): the key and the record in
     * reused objects. The visitor must not use this book.
     */
    public void forEachRecord(RecordVisitor visitor) {
        ExposureRecord r = new ExposureRecord();
        StringBuilder k = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        byte[][] buffer = {new byte[512]};
        UnsafeBuffer[] wrapped = {new UnsafeBuffer(buffer[0])};
        map.forEachEntry(e -> {
            Data<byte[]> value = e.value();
            int n = (int) value.size();
            if (buffer[0].length < n) {
                buffer[0] = new byte[Math.max(n, buffer[0].length * 2)];
                wrapped[0] = new UnsafeBuffer(buffer[0]);
            }
            value.bytes().read(value.offset(), buffer[0], 0, n);
            r.decode(wrapped[0], 0, n);
            visitor.record(e.key().getUsing(k), r);
        });
    }

    /** Visits every record's raw key and bytes (snapshots). */
    public void forEachRaw(java.util.function.BiConsumer<String, byte[]> visitor) {
        StringBuilder k = new StringBuilder(StateConfig.MAX_ID_CHARS + 1);
        map.forEachEntry(e -> visitor.accept(e.key().getUsing(k).toString(), e.value().getUsing(null)));
    }

    public long size() {
        return map.longSize();
    }

    @Override
    public void close() {
        map.close();
    }

    private CharSequence key(CharSequence borrowerId, int product) {
        StateFiles.checkId("borrowerId", borrowerId);
        key.setLength(0);
        key.append((char) ('0' + product)).append(borrowerId);
        return key;
    }

    private void ensure(int n) {
        if (bytes.length < n) {
            bytes = new byte[Math.max(n, bytes.length * 2)];
            view = new UnsafeBuffer(bytes);
            store = BytesStore.wrap(bytes);
        }
    }
}
