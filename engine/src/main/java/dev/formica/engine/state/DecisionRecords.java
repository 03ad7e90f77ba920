package dev.formica.engine.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.agrona.collections.LongHashSet;

import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * Idempotency records, request id → (kind, createdMs, serialized response), so a retry after a restart replays
 * the original answer instead of deciding (and reserving) twice.
 *
 * <p><b>Threading:</b> all calls on the shard's writer thread. The idempotency check is part of the write path,
 * and {@link #rotateIfDue} closes a map file, which a concurrent reader on another thread could still be using.
 *
 * <p>Expiry is by generations instead of scanning: two map files {@code decisions-<generationStartMs>.dat}.
 * {@link #put} writes to the current one, lookups try current then previous, and {@link #rotateIfDue} drops the
 * previous file whole once the current one is a generation old. A record therefore lives between one and two
 * generations (24 to 48 h by default). Opening keeps the two newest generation files and deletes older ones.
 *
 * <p>A generation also ends early when it is full: Chronicle Map cannot grow past its sized entries times the
 * bloat factor, and a load above {@code expectedDecisionRecords} a generation would otherwise make every later
 * write fail. So {@link #put} rotates when the current generation holds {@link #capacity()} records, or when
 * the map refuses an insert anyway (a skewed segment can fill first), and retries once. The idempotency window
 * is then shorter than a generation; {@link #earlyRotations()} counts how often that happened.
 */
public final class DecisionRecords implements AutoCloseable {

    private static final java.util.logging.Logger LOG =
            java.util.logging.Logger.getLogger(DecisionRecords.class.getName());
    static final String PREFIX = "decisions-";
    static final String SUFFIX = ".dat";
    private static final int HEADER_BYTES = 1 + 8 + 8;

    private final Path dir;
    private final StateConfig cfg;
    private final ByteBuffer writeBuffer = ByteBuffer.allocate(HEADER_BYTES + StateConfig.MAX_PAYLOAD_BYTES);
    private final StringBuilder key = new StringBuilder(2 * StateConfig.MAX_ID_CHARS + 2);
    private ByteBuffer readBuffer = ByteBuffer.allocate(HEADER_BYTES + StateConfig.MAX_PAYLOAD_BYTES);

    private ChronicleMap<CharSequence, ByteBuffer> current;
    private long currentStartMs;
    private ChronicleMap<CharSequence, ByteBuffer> previous;
    private long previousStartMs;
    /**
     * 64-bit hashes of the request ids in each generation, on heap. Nearly every Decide carries a new
     * request id; answering "absent" from here saves the random off-heap probe (≈ 0.8 µs measured) that
     * {@code containsKey} costs. A hash hit is confirmed against the map, so collisions are harmless.
     */
    private LongHashSet currentHashes;
    private LongHashSet previousHashes;
    private final long capacity;
    private long earlyRotations;

    private DecisionRecords(Path dir, StateConfig cfg) {
        this.dir = dir;
        this.cfg = cfg;
        // sized for a generation's expected records up front: growing later rehashes a large array
        // (a humongous allocation) on the writer thread
        int expected = (int) Math.min(1 << 28, Math.max(1024, cfg.expectedDecisionRecords()));
        this.currentHashes = new LongHashSet(expected * 2);
        this.previousHashes = new LongHashSet(expected * 2);
        // Chronicle Map's tiers fill unevenly: rotate at 90 % of what the builder was promised
        this.capacity = Math.max(1, (long) (cfg.expectedDecisionRecords() * cfg.maxBloatFactor() * 0.9));
    }

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    /**
     * Creates the records of one shard, in memory and empty: recovery fills them from the snapshot and the log.
     * The first generation starts with the first record (or the first rotation check), at a time the log
     * carries, so a replay starts its generations at the same times.
     */
    static DecisionRecords open(Path dir, StateConfig cfg, boolean recover, long nowMs) throws IOException {
        DecisionRecords records = new DecisionRecords(dir, cfg);
        records.current = StateFiles.open(records.builder(), null, false);
        return records;
    }

    /** The record for {@code requestId}, or null. Allocates the result (replay path only). */
    public DecisionRecord get(CharSequence requestId) {
        CharSequence k = key(requestId);
        ByteBuffer found = current.getUsing(k, readBuffer);
        if (found == null && previous != null) {
            found = previous.getUsing(k, readBuffer);
        }
        if (found == null) {
            return null;
        }
        readBuffer = found;
        return decode(found);
    }

    /** A record as the stored value: kind, created, fingerprint, then the payload (in the reused buffer). */
    private ByteBuffer encode(byte kind, long createdMs, long fingerprint, byte[] payload) {
        ByteBuffer b = writeBuffer;
        b.clear();
        b.put(kind).putLong(createdMs).putLong(fingerprint).put(payload).flip();
        return b;
    }

    /** A stored value (kind, created, fingerprint, then the payload) as a record. */
    private static DecisionRecord decode(ByteBuffer value) {
        byte[] payload = new byte[value.limit() - HEADER_BYTES];
        value.get(HEADER_BYTES, payload);
        return new DecisionRecord(value.get(0), value.getLong(1), value.getLong(9), payload);
    }

    /** Whether a record for {@code requestId} exists in either generation. Allocation-free. */
    public boolean contains(CharSequence requestId) {
        long h = hash(requestId);
        if (!currentHashes.contains(h) && !previousHashes.contains(h)) {
            return false;
        }
        CharSequence k = key(requestId);
        return current.containsKey(k) || previous != null && previous.containsKey(k);
    }

    private static void indexKeys(ChronicleMap<CharSequence, ByteBuffer> map, LongHashSet hashes) {
        map.forEachEntry(e -> hashes.add(hash(e.key().get())));
    }

    /**
     * The 64-bit hash of a request id used on heap and in hold records: FNV-1a over the characters, then
     * a murmur finaliser so that short sequential ids spread.
     */
    public static long hash(CharSequence s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = s.length(); i < n; i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    /**
     * Stores (or replaces) the record in the current generation, first starting a new generation at
     * {@code createdMs} when the current one is full.
     */
    public void put(CharSequence requestId, byte kind, long createdMs, byte[] payload) {
        put(requestId, kind, createdMs, 0, payload);
    }

    /**
     * Stores (or replaces) the record of {@code key} (the idempotency scope and the request id, see
     * {@code pipeline.IdempotencyKeys}) with the fingerprint of the request it answered.
     */
    public void put(CharSequence requestId, byte kind, long createdMs, long fingerprint, byte[] payload) {
        StateFiles.checkPayload("payload", payload);
        if (currentStartMs == 0) {
            rotate(createdMs);
        }
        CharSequence k = key(requestId);
        ByteBuffer b = encode(kind, createdMs, fingerprint, payload);
        long h = hash(requestId);
        if (currentHashes.size() >= capacity && !currentHashes.contains(h)) {
            rotateEarly(createdMs);
        }
        try {
            write(k, b);
        } catch (IllegalStateException full) {
            // "Attempt to allocate #n extra segment tier": this generation cannot take more entries
            rotateEarly(createdMs);
            b.rewind();
            write(k, b);
        }
        currentHashes.add(h);
        if (ops != null && ops.recording()) {
            ops.recordPut(requestId, kind, createdMs, fingerprint, payload);
        }
    }

    private void rotateEarly(long nowMs) {
        earlyRotations++;
        LOG.warning(() -> "idempotency generation full after " + currentHashes.size() + " records; started the next"
                + " one early, so the idempotency window is now shorter than a generation (raise"
                + " expectedDecisionsPerDay)");
        // a new file name even when a generation started in this very millisecond
        rotate(Math.max(nowMs, currentStartMs + 1));
    }

    /** How many generations ended early because they were full (since this shard opened). */
    public long earlyRotations() {
        return earlyRotations;
    }

    /** Records a generation takes before {@link #put} starts the next one early. */
    public long capacity() {
        return capacity;
    }

    private void write(CharSequence k, ByteBuffer b) {
        try (ExternalMapQueryContext<CharSequence, ByteBuffer, ?> c = current.queryContext(k)) {
            c.updateLock().lock();
            MapEntry<CharSequence, ByteBuffer> e = c.entry();
            if (e != null) {
                c.replaceValue(e, c.wrapValueAsData(b));
            } else {
                c.insert(c.absentEntry(), c.wrapValueAsData(b));
            }
        }
    }

    /**
     * When the current generation is at least {@code decisionGenerationMillis} old: closes and deletes the
     * previous file, makes current the previous one and starts a new current generation at {@code nowMs}.
     */
    public void rotateIfDue(long nowMs) {
        if (currentStartMs != 0 && nowMs - currentStartMs < cfg.decisionGenerationMillis()) {
            return;
        }
        rotate(nowMs);
    }

    /** Replay of a rotation the log recorded. */
    void rotateTo(long startMs) {
        rotate(startMs);
    }

    private void rotate(long nowMs) {
        if (ops != null && ops.recording()) {
            ops.recordRotate(nowMs);
        }
        if (currentStartMs == 0) {
            // the first generation starts: nothing to move
            currentStartMs = nowMs;
            return;
        }
        ChronicleMap<CharSequence, ByteBuffer> next;
        try {
            next = StateFiles.open(builder(), null, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create decision generation " + nowMs, e);
        }
        ChronicleMap<CharSequence, ByteBuffer> dropped = previous;
        long droppedStartMs = previousStartMs;
        previous = current;
        previousStartMs = currentStartMs;
        current = next;
        currentStartMs = nowMs;
        LongHashSet recycled = previousHashes;
        recycled.clear();
        previousHashes = currentHashes;
        currentHashes = recycled;
        if (dropped != null) {
            dropped.close();
        }
    }

    /** Visits every record of both generations (previous first); for digests and tools, not the hot path. */
    public void forEach(java.util.function.BiConsumer<String, DecisionRecord> visitor) {
        forEach(true, visitor);
        forEach(false, visitor);
    }

    /** Sets the generations' start times as a snapshot holds them (start-up only, on empty records). */
    public void restoreGenerations(long previousStart, long currentStart) {
        if (previousStart != 0) {
            try {
                previous = StateFiles.open(builder(), null, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        previousStartMs = previousStart;
        currentStartMs = currentStart;
    }

    /** Puts a record into the given generation as a snapshot holds it (start-up only; not recorded). */
    public void restore(boolean inPrevious, CharSequence key, byte kind, long createdMs, long fingerprint,
            byte[] payload) {
        ChronicleMap<CharSequence, ByteBuffer> target = inPrevious ? previous : current;
        target.put(key(key), encode(kind, createdMs, fingerprint, payload));
        (inPrevious ? previousHashes : currentHashes).add(hash(key));
    }

    /** Visits the records of one generation. */
    public void forEach(boolean inPrevious, java.util.function.BiConsumer<String, DecisionRecord> visitor) {
        ChronicleMap<CharSequence, ByteBuffer> map = inPrevious ? previous : current;
        if (map == null) {
            return;
        }
        map.forEachEntry(e -> visitor.accept(e.key().get().toString(), decode(e.value().get())));
    }

    /** Start of the previous generation (0 when none). */
    public long previousGenerationStartMs() {
        return previousStartMs;
    }

    /** Records in both generations (a request id re-put after a rotation counts twice). */
    public long size() {
        return current.longSize() + (previous == null ? 0 : previous.longSize());
    }

    /** Start of the current generation, for metrics and tests. */
    public long currentGenerationStartMs() {
        return currentStartMs;
    }

    @Override
    public void close() {
        if (previous != null) {
            previous.close();
        }
        if (current != null) {
            current.close();
        }
    }

    /** Longest record key: a scope (borrower or hold), a separator and a request id. */
    public static final int MAX_KEY_CHARS = 2 * StateConfig.MAX_ID_CHARS + 2;

    private CharSequence key(CharSequence requestId) {
        if (requestId == null || requestId.length() == 0 || requestId.length() > MAX_KEY_CHARS) {
            throw new IllegalArgumentException("requestId key must be 1.." + MAX_KEY_CHARS + " chars");
        }
        key.setLength(0);
        key.append(requestId);
        return key;
    }

    private ChronicleMapBuilder<CharSequence, ByteBuffer> builder() {
        return ChronicleMap.of(CharSequence.class, ByteBuffer.class)
                .name("formica-decisions")
                .entries(cfg.expectedDecisionRecords())
                .averageKeySize(64)
                .averageValueSize(HEADER_BYTES + cfg.averageDecisionRecordBytes())
                .maxBloatFactor(cfg.maxBloatFactor());
    }
}
