package dev.formica.engine.state;

import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Idempotency records, key (scope and request id) → (kind, createdMs, fingerprint, serialized response), so a retry
 * replays the original answer instead of deciding (and reserving) twice.
 *
 * <p><b>Layout.</b> Each generation appends its records, whole, to off-heap chunks of {@value #CHUNK_BYTES} bytes
 * (allocated outside the Java heap and the direct-memory limit, freed when the generation is dropped), and indexes
 * them in an Agrona {@link Long2LongHashMap} from the key's 64-bit hash to the record's place. A put is one copy of
 * the record into the chunk and one index insert; a lookup of a new key (nearly every Decide) is one probe of the
 * on-heap index. The records were a Chronicle Map until issue 19 item 8: its insert copied the value eight bytes
 * per virtual call ({@code NativeBytesStore.write0}) and was 38 % of a restart's replay (JFR, RestartBenchmark).
 * Two keys with the same 64-bit hash are kept apart: the second one's place is held in a small map by its text.
 * A key put again takes a new record; the old one stays in the chunk, unreachable, until the generation is dropped.
 * The chunks come from {@link RecordChunks}: a dropped generation's, or one faulted in ahead off the shard thread.
 *
 * <p><b>Threading:</b> every call on one thread at a time: the shard's writer (or the thread that recovers or
 * snapshots a shard's state before or outside it). Readers on other threads ask the shard.
 *
 * <p>Expiry is by generations instead of scanning: {@link #put} writes to the current generation, lookups try
 * current then previous, and {@link #rotateIfDue} drops the previous generation whole once the current one is a
 * generation old. A record therefore lives between one and two generations (24 to 48 h by default).
 *
 * <p>A generation also ends early when it holds {@link #capacity()} records (the configured records per generation
 * times the bloat factor), so memory stays bounded under a load above {@code expectedDecisionRecords} a
 * generation; the idempotency window is then shorter than a generation, and {@link #earlyRotations()} counts how
 * often that happened.
 */
public final class DecisionRecords implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DecisionRecords.class);
    /** Bytes of each off-heap chunk of a generation; a record never spans two. */
    static final int CHUNK_BYTES = 8 << 20;
    private static final long MISSING = -1;
    // record layout: length, key chars, kind, created, fingerprint, payload length, key (UTF-16), payload
    private static final int LENGTH_AT = 0;
    private static final int KEY_CHARS_AT = 4;
    private static final int KIND_AT = 6;
    private static final int CREATED_AT = 8;
    private static final int FINGERPRINT_AT = 16;
    private static final int PAYLOAD_LENGTH_AT = 24;
    private static final int KEY_AT = 28;

    private final long capacity;
    private final int indexCapacity;
    private final long generationMillis;
    private Generation current;
    private Generation previous;
    private long earlyRotations;
    private final RecordChunks pool;
    /** The key's hash; replaced only by tests that need two keys with one hash. */
    ToLongFunction<CharSequence> hasher = DecisionRecords::hash;

    /** Empty records whose chunks are faulted ahead on {@code faultAhead} (a test's own executor holds them). */
    DecisionRecords(StateConfig cfg, Executor faultAhead) {
        // sized for a generation's expected records up front: growing later rehashes a large array (a humongous
        // allocation) on the writer thread
        this.indexCapacity = (int) Math.min(1 << 28, Math.max(1024, 2 * cfg.expectedDecisionRecords()));
        this.capacity = Math.max(1, (long) (cfg.expectedDecisionRecords() * cfg.maxBloatFactor() * 0.9));
        this.generationMillis = cfg.decisionGenerationMillis();
        this.pool = new RecordChunks(CHUNK_BYTES, faultAhead);
        this.current = new Generation(0, indexCapacity);
    }

    /** Where changes are recorded for the shard log; null = not recorded. */
    StateOps ops;

    /**
     * Creates the records of one shard, in memory and empty: recovery fills them from the snapshot and the log.
     * The first generation starts with the first record (or the first rotation check), at a time the log
     * carries, so a replay starts its generations at the same times.
     */
    static DecisionRecords open(Path dir, StateConfig cfg, boolean recover, long nowMs) {
        return new DecisionRecords(cfg, RecordChunks.FAULT_AHEAD);
    }

    /** The record for {@code key}, or null. Allocates the result (replays and tools). */
    public DecisionRecord get(CharSequence key) {
        checkKey(key);
        long h = hasher.applyAsLong(key);
        Generation g = current;
        long ref = current.find(key, h);
        if (ref == MISSING && previous != null) {
            g = previous;
            ref = previous.find(key, h);
        }
        return ref == MISSING ? null : g.record(ref);
    }

    /** Whether a record for {@code key} exists in either generation. Allocation-free. */
    public boolean contains(CharSequence key) {
        checkKey(key);
        long h = hasher.applyAsLong(key);
        return current.find(key, h) != MISSING || previous != null && previous.find(key, h) != MISSING;
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
    public void put(CharSequence key, byte kind, long createdMs, long fingerprint, byte[] payload) {
        put(key, kind, createdMs, fingerprint, payload, payload == null ? 0 : payload.length);
    }

    /** {@link #put(CharSequence, byte, long, long, byte[])} of the first {@code length} bytes of {@code payload}. */
    public void put(CharSequence key, byte kind, long createdMs, long fingerprint, byte[] payload, int length) {
        StateFiles.checkPayload("payload", payload, length);
        checkKey(key);
        if (current.startMs == 0) {
            rotate(createdMs);
        }
        long h = hasher.applyAsLong(key);
        if (current.records >= capacity && current.find(key, h) == MISSING) {
            rotateEarly(createdMs);
        }
        current.put(key, h, kind, createdMs, fingerprint, payload, length);
        if (ops != null && ops.recording()) {
            ops.recordPut(key, kind, createdMs, fingerprint, payload, length);
        }
    }

    private void rotateEarly(long nowMs) {
        earlyRotations++;
        LOG.warn("idempotency generation full after " + current.records + " records; started the next"
                + " one early, so the idempotency window is now shorter than a generation (raise"
                + " expectedDecisionsPerDay)");
        rotate(Math.max(nowMs, current.startMs + 1));
    }

    /** How many generations ended early because they were full (since this shard opened). */
    public long earlyRotations() {
        return earlyRotations;
    }

    /** Records a generation takes before {@link #put} starts the next one early. */
    public long capacity() {
        return capacity;
    }

    /**
     * When the current generation is at least {@code decisionGenerationMillis} old: drops the previous
     * generation, makes current the previous one and starts a new current generation at {@code nowMs}.
     */
    public void rotateIfDue(long nowMs) {
        if (current.startMs != 0 && nowMs - current.startMs < generationMillis) {
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
        if (current.startMs == 0) {
            // the first generation starts: nothing to move
            current.startMs = nowMs;
            return;
        }
        // the dropped generation's index is cleared and taken again (no new index arrays on the heap per rotation),
        // its chunks given back to be filled again; those given back at the last rotation and not taken are freed
        pool.trim();
        Generation dropped = previous;
        previous = current;
        current = dropped == null ? new Generation(nowMs, indexCapacity) : dropped.reuse(nowMs);
    }

    /** Visits every record of both generations (previous first); for digests and tools, not the hot path. */
    public void forEach(BiConsumer<String, DecisionRecord> visitor) {
        forEach(true, visitor);
        forEach(false, visitor);
    }

    /** Sets the generations' start times as a snapshot holds them (start-up only, on empty records). */
    public void restoreGenerations(long previousStart, long currentStart) {
        if (previousStart != 0) {
            previous = new Generation(previousStart, indexCapacity);
        }
        current.startMs = currentStart;
    }

    /** Puts a record into the given generation as a snapshot holds it (start-up only; not recorded). */
    public void restore(boolean inPrevious, CharSequence key, byte kind, long createdMs, long fingerprint,
            byte[] payload) {
        checkKey(key);
        (inPrevious ? previous : current).put(key, hasher.applyAsLong(key), kind, createdMs, fingerprint, payload,
                payload.length);
    }

    /** Records of one generation (its live records: a key put twice counts once); 0 when there is none. */
    public long size(boolean inPrevious) {
        Generation g = inPrevious ? previous : current;
        return g == null ? 0 : g.records;
    }

    /** Receives one record as the store keeps it: {@code length} bytes of {@code chunk} from {@code at}. */
    @FunctionalInterface
    public interface RawVisitor {
        void visit(UnsafeBuffer chunk, int at, int length);
    }

    /**
     * Visits the live records of one generation, oldest first, as their stored bytes (the chunk layout, native byte
     * order): what a snapshot writes and {@link #restoreRaw} takes back, without a String or a byte array per
     * record. Start-up and snapshots only.
     */
    public void forEachRaw(boolean inPrevious, RawVisitor visitor) {
        Generation g = inPrevious ? previous : current;
        if (g != null) {
            g.forEachRaw(hasher, visitor);
        }
    }

    /**
     * Puts a record, given as the bytes {@link #forEachRaw} visited (its first {@code length} bytes of {@code
     * source}), into the given generation (start-up only; not recorded): one copy into the chunk and one index
     * insert, the key hashed where it lies.
     *
     * @throws IllegalArgumentException when the bytes are not one record (a damaged snapshot)
     */
    public void restoreRaw(boolean inPrevious, byte[] source, int length) {
        (inPrevious ? previous : current).putRaw(hasher, source, length);
    }

    /**
     * Takes a whole chunk of records as a snapshot holds them (format 5: records packed from byte 0, each whole, the
     * rest of the chunk zeros) as the given generation's next chunk, without copying it: {@code mapped} is a private
     * (copy-on-write) mapping of {@value #CHUNK_BYTES} bytes of the snapshot file, so the file's page-cache pages are
     * the chunk and no fresh memory is touched. The generation unmaps it when it is dropped or closed (the mapping
     * keeps the file's inode alive until then, even if the file is deleted). The store never writes into a chunk
     * before its last and counts this one as full, so the pages stay the file's: the next record, put or restored,
     * goes to a new chunk. The index is rebuilt by walking the chunk (start-up only; not recorded).
     *
     * @throws IllegalArgumentException when the chunk does not hold whole records (a damaged snapshot)
     */
    public void adoptChunk(boolean inPrevious, MappedByteBuffer mapped) {
        (inPrevious ? previous : current).adopt(hasher, mapped);
    }

    /**
     * Copies {@code used} bytes of records as a snapshot holds them (the last chunk of a generation, or any chunk
     * where the file cannot be mapped) from {@code source} at {@code offset} into a fresh chunk of the given
     * generation, and indexes them; the generation's next record goes after them (start-up only; not recorded).
     *
     * @throws IllegalArgumentException when the bytes are not whole records (a damaged snapshot)
     */
    public void restoreChunk(boolean inPrevious, DirectBuffer source, int offset, int used) {
        (inPrevious ? previous : current).copyChunk(hasher, source, offset, used);
    }

    /** Visits the records of one generation, oldest first (a key put twice: its newest record, in its place). */
    public void forEach(boolean inPrevious, BiConsumer<String, DecisionRecord> visitor) {
        Generation g = inPrevious ? previous : current;
        if (g != null) {
            g.forEach(hasher, visitor);
        }
    }

    /** Start of the previous generation (0 when none). */
    public long previousGenerationStartMs() {
        return previous == null ? 0 : previous.startMs;
    }

    /** Records in both generations (a request id re-put after a rotation counts twice). */
    public long size() {
        return current.records + (previous == null ? 0 : previous.records);
    }

    /** Off-heap bytes the two generations hold (whole chunks), for footprint reports. */
    public long offHeapBytes() {
        return (long) CHUNK_BYTES * (current.chunks.size() + (previous == null ? 0 : previous.chunks.size()));
    }

    /** Where the chunks come from (cold, recycled or faulted ahead); tests. */
    RecordChunks chunkPool() {
        return pool;
    }

    /** Chunks of both generations that are private mappings of a snapshot file ({@link #adoptChunk}); tests. */
    int mappedChunks() {
        return current.mappings.size() + (previous == null ? 0 : previous.mappings.size());
    }

    /** Start of the current generation, for metrics and tests. */
    public long currentGenerationStartMs() {
        return current.startMs;
    }

    @Override
    public void close() {
        if (previous != null) {
            previous.close();
            previous = null;
        }
        current.close();
        pool.close();
    }

    /** Longest record key: a scope (borrower or hold), a separator and a request id. */
    public static final int MAX_KEY_CHARS = 2 * StateConfig.MAX_ID_CHARS + 2;

    /** Longest stored record: its header, the longest key and the largest payload, aligned. */
    public static final int MAX_RECORD_BYTES = BitUtil.align(KEY_AT + 2 * MAX_KEY_CHARS + StateConfig.MAX_PAYLOAD_BYTES,
            8);

    private static void checkKey(CharSequence key) {
        if (key == null || key.length() == 0 || key.length() > MAX_KEY_CHARS) {
            throw new IllegalArgumentException("requestId key must be 1.." + MAX_KEY_CHARS + " chars");
        }
    }

    /** One generation's records: off-heap chunks written in order, and the index into them. */
    private final class Generation {
        long startMs;
        final Long2LongHashMap index;
        /** Keys whose hash an earlier, different key of this generation holds in {@link #index}. */
        Map<String, Long> collided;
        final ArrayList<UnsafeBuffer> chunks = new ArrayList<>();
        final ArrayList<Long> addresses = new ArrayList<>();
        /** Chunks that are private mappings of a snapshot file ({@link #adopt}), unmapped on close. */
        final ArrayList<MappedByteBuffer> mappings = new ArrayList<>();
        /** Where the next record goes in the last chunk. */
        int tail = CHUNK_BYTES;
        long records;

        Generation(long startMs, int indexCapacity) {
            this.startMs = startMs;
            this.index = new Long2LongHashMap(indexCapacity, 0.65f, MISSING);
        }

        /** The place of {@code key}'s record (chunk in the high, offset in the low 32 bits), or MISSING. */
        long find(CharSequence key, long h) {
            long ref = index.get(h);
            if (ref == MISSING || sameKey(ref, key)) {
                return ref;
            }
            if (collided == null) {
                return MISSING;
            }
            Long other = collided.get(key.toString());
            return other == null ? MISSING : other;
        }

        void put(CharSequence key, long h, byte kind, long createdMs, long fingerprint, byte[] payload,
                int payloadLength) {
            int keyChars = key.length();
            int length = BitUtil.align(KEY_AT + 2 * keyChars + payloadLength, 8);
            UnsafeBuffer chunk = room(length);
            int at = tail;
            chunk.putInt(at + LENGTH_AT, length);
            chunk.putShort(at + KEY_CHARS_AT, (short) keyChars);
            chunk.putByte(at + KIND_AT, kind);
            chunk.putLong(at + CREATED_AT, createdMs);
            chunk.putLong(at + FINGERPRINT_AT, fingerprint);
            chunk.putInt(at + PAYLOAD_LENGTH_AT, payloadLength);
            for (int i = 0; i < keyChars; i++) {
                chunk.putChar(at + KEY_AT + 2 * i, key.charAt(i));
            }
            chunk.putBytes(at + KEY_AT + 2 * keyChars, payload, 0, payloadLength);
            tail = at + length;
            link(key, h, ((long) (chunks.size() - 1) << 32) | at);
        }

        /** Where a record of {@code length} bytes goes: the tail of the last chunk, or a new chunk. */
        private UnsafeBuffer room(int length) {
            if (tail + length > CHUNK_BYTES) {
                if (tail < CHUNK_BYTES) {
                    chunks.get(chunks.size() - 1).putInt(tail + LENGTH_AT, 0); // the chunk's end, for forEach
                }
                long address = pool.take();
                addresses.add(address);
                chunks.add(new UnsafeBuffer(address, CHUNK_BYTES));
                tail = 0;
            }
            return chunks.get(chunks.size() - 1);
        }

        void putRaw(ToLongFunction<CharSequence> hasher, byte[] source, int length) {
            UnsafeBuffer view = new UnsafeBuffer(source, 0, length);
            if (length < KEY_AT || length % 8 != 0 || view.getInt(LENGTH_AT) != length) {
                throw new IllegalArgumentException("not a stored record: length " + length);
            }
            int keyChars = checkRecord(view, 0, length);
            UnsafeBuffer chunk = room(length);
            int at = tail;
            chunk.putBytes(at, source, 0, length);
            tail = at + length;
            ChunkKey key = new ChunkKey(chunk, at + KEY_AT, keyChars);
            link(key, hasher.applyAsLong(key), ((long) (chunks.size() - 1) << 32) | at);
        }

        /** A snapshot's whole chunk, mapped: becomes this generation's next chunk as it lies, then is indexed. */
        void adopt(ToLongFunction<CharSequence> hasher, MappedByteBuffer mapped) {
            if (mapped.capacity() != CHUNK_BYTES) {
                IoUtil.unmap(mapped);
                throw new IllegalArgumentException("a chunk of " + mapped.capacity() + " bytes");
            }
            mappings.add(mapped); // owned from here: unmapped by close() even if the walk below fails
            chunks.add(new UnsafeBuffer(mapped));
            tail = CHUNK_BYTES; // never written: the next record goes to a new chunk
            index(hasher, chunks.size() - 1, CHUNK_BYTES, true);
        }

        /** {@code used} bytes of a snapshot's chunk copied into a fresh chunk of this generation, then indexed. */
        void copyChunk(ToLongFunction<CharSequence> hasher, DirectBuffer source, int offset, int used) {
            if (used < 0 || used > CHUNK_BYTES || used % 8 != 0) {
                throw new IllegalArgumentException("a chunk of " + used + " bytes");
            }
            if (used == 0) {
                return;
            }
            UnsafeBuffer chunk = room(CHUNK_BYTES); // a new chunk (the last one's end marked, as for any record)
            chunk.putBytes(0, source, offset, used);
            tail = used;
            index(hasher, chunks.size() - 1, used, false);
        }

        /**
         * Indexes the records of chunk {@code c} up to {@code end}; a zero length ends a chunk early only where
         * {@code zeroEnds} (a whole chunk, zeros after its last record), elsewhere the records must fill it exactly.
         */
        private void index(ToLongFunction<CharSequence> hasher, int c, int end, boolean zeroEnds) {
            UnsafeBuffer chunk = chunks.get(c);
            for (int at = 0; at < end; ) {
                int length = chunk.getInt(at + LENGTH_AT);
                if (length == 0 && zeroEnds) {
                    return;
                }
                if (length < KEY_AT || length % 8 != 0 || length > end - at) {
                    throw new IllegalArgumentException("not a stored record: length " + length + " at " + at
                            + " of a chunk of " + end + " bytes");
                }
                int keyChars = checkRecord(chunk, at, length);
                ChunkKey key = new ChunkKey(chunk, at + KEY_AT, keyChars);
                link(key, hasher.applyAsLong(key), ((long) c << 32) | at);
                at += length;
            }
        }

        /** The key's characters of the record of {@code length} bytes at {@code at}, its fields checked. */
        private static int checkRecord(UnsafeBuffer view, int at, int length) {
            int keyChars = view.getShort(at + KEY_CHARS_AT);
            int payloadLength = view.getInt(at + PAYLOAD_LENGTH_AT);
            if (keyChars < 1 || keyChars > MAX_KEY_CHARS || payloadLength < 0
                    || payloadLength > StateConfig.MAX_PAYLOAD_BYTES
                    || BitUtil.align(KEY_AT + 2 * keyChars + payloadLength, 8) != length) {
                throw new IllegalArgumentException("not a stored record: " + keyChars + " key chars, payload "
                        + payloadLength + ", length " + length);
            }
            return keyChars;
        }

        /** Indexes the record at {@code ref} as {@code key}'s (replacing an older one of the same key). */
        private void link(CharSequence key, long h, long ref) {
            long held = index.get(h);
            if (held == MISSING || sameKey(held, key)) {
                if (held == MISSING) {
                    records++;
                }
                index.put(h, ref);
            } else {
                if (collided == null) {
                    collided = new HashMap<>();
                }
                if (collided.put(key.toString(), ref) == null) {
                    records++;
                }
            }
        }

        private boolean sameKey(long ref, CharSequence key) {
            UnsafeBuffer chunk = chunks.get((int) (ref >>> 32));
            int at = (int) ref;
            int keyChars = chunk.getShort(at + KEY_CHARS_AT);
            if (keyChars != key.length()) {
                return false;
            }
            for (int i = 0; i < keyChars; i++) {
                if (chunk.getChar(at + KEY_AT + 2 * i) != key.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private String key(UnsafeBuffer chunk, int at) {
            int keyChars = chunk.getShort(at + KEY_CHARS_AT);
            char[] chars = new char[keyChars];
            for (int i = 0; i < keyChars; i++) {
                chars[i] = chunk.getChar(at + KEY_AT + 2 * i);
            }
            return new String(chars);
        }

        DecisionRecord record(long ref) {
            return record(chunks.get((int) (ref >>> 32)), (int) ref);
        }

        private DecisionRecord record(UnsafeBuffer chunk, int at) {
            int keyChars = chunk.getShort(at + KEY_CHARS_AT);
            byte[] payload = new byte[chunk.getInt(at + PAYLOAD_LENGTH_AT)];
            chunk.getBytes(at + KEY_AT + 2 * keyChars, payload);
            return new DecisionRecord(chunk.getByte(at + KIND_AT), chunk.getLong(at + CREATED_AT),
                    chunk.getLong(at + FINGERPRINT_AT), payload);
        }

        /** Every live record in the order it was written: a record replaced later is skipped. */
        void forEach(ToLongFunction<CharSequence> hasher, BiConsumer<String, DecisionRecord> visitor) {
            forEachRaw(hasher, (chunk, at, length) -> visitor.accept(key(chunk, at), record(chunk, at)));
        }

        /** Empties this generation (its chunks given back to be filled again) and starts it again at {@code start}. */
        Generation reuse(long start) {
            addresses.forEach(pool::recycle);
            addresses.clear();
            close();
            tail = CHUNK_BYTES;
            startMs = start;
            return this;
        }

        /** {@link #forEach}, visiting each live record's bytes where they lie. */
        void forEachRaw(ToLongFunction<CharSequence> hasher, RawVisitor visitor) {
            for (int c = 0; c < chunks.size(); c++) {
                UnsafeBuffer chunk = chunks.get(c);
                int end = c == chunks.size() - 1 ? tail : CHUNK_BYTES;
                for (int at = 0; at < end; ) {
                    int length = chunk.getInt(at + LENGTH_AT);
                    if (length == 0) {
                        break; // the unused end of a chunk the next record did not fit in
                    }
                    ChunkKey key = new ChunkKey(chunk, at + KEY_AT, chunk.getShort(at + KEY_CHARS_AT));
                    if (find(key, hasher.applyAsLong(key)) == (((long) c << 32) | at)) {
                        visitor.visit(chunk, at, length);
                    }
                    at += length;
                }
            }
        }

        void close() {
            for (long address : addresses) {
                pool.free(address);
            }
            addresses.clear();
            for (MappedByteBuffer mapped : mappings) {
                IoUtil.unmap(mapped);
            }
            mappings.clear();
            chunks.clear();
            index.clear();
            collided = null;
            records = 0;
        }
    }
}
