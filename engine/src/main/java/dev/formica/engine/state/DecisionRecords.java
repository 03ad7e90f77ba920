package dev.formica.engine.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    private static final int HEADER_BYTES = 1 + 8;

    private final Path dir;
    private final StateConfig cfg;
    private final ByteBuffer writeBuffer = ByteBuffer.allocate(HEADER_BYTES + StateConfig.MAX_PAYLOAD_BYTES);
    private final StringBuilder key = new StringBuilder(StateConfig.MAX_ID_CHARS);
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

    static DecisionRecords open(Path dir, StateConfig cfg, boolean recover, long nowMs) throws IOException {
        DecisionRecords records = new DecisionRecords(dir, cfg);
        List<Long> starts = generationStarts(dir);
        while (starts.size() > 2) {
            Files.deleteIfExists(file(dir, starts.remove(0)));
        }
        try {
            if (starts.isEmpty()) {
                starts.add(nowMs);
            }
            int last = starts.size() - 1;
            records.currentStartMs = starts.get(last);
            records.current = StateFiles.open(records.builder(), file(dir, records.currentStartMs), recover);
            indexKeys(records.current, records.currentHashes);
            if (last == 1) {
                records.previousStartMs = starts.get(0);
                records.previous = StateFiles.open(records.builder(), file(dir, records.previousStartMs), recover);
                indexKeys(records.previous, records.previousHashes);
            }
            records.rotateIfDue(nowMs);
        } catch (IOException | RuntimeException e) {
            records.close();
            throw e;
        }
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
        byte kind = found.get(0);
        long createdMs = found.getLong(1);
        byte[] payload = new byte[found.limit() - HEADER_BYTES];
        found.get(HEADER_BYTES, payload);
        return new DecisionRecord(kind, createdMs, payload);
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
        StateFiles.checkPayload("payload", payload);
        CharSequence k = key(requestId);
        ByteBuffer b = writeBuffer;
        b.clear();
        b.put(kind).putLong(createdMs).put(payload).flip();
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
        if (nowMs - currentStartMs < cfg.decisionGenerationMillis()) {
            return;
        }
        rotate(nowMs);
    }

    private void rotate(long nowMs) {
        ChronicleMap<CharSequence, ByteBuffer> next;
        try {
            next = StateFiles.open(builder(), file(dir, nowMs), false);
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
            try {
                Files.deleteIfExists(file(dir, droppedStartMs));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete decision generation " + droppedStartMs, e);
            }
        }
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

    private CharSequence key(CharSequence requestId) {
        StateFiles.checkId("requestId", requestId);
        key.setLength(0);
        key.append(requestId);
        return key;
    }

    private ChronicleMapBuilder<CharSequence, ByteBuffer> builder() {
        return ChronicleMap.of(CharSequence.class, ByteBuffer.class)
                .name("formica-decisions")
                .entries(cfg.expectedDecisionRecords())
                .averageKeySize(36)
                .averageValueSize(HEADER_BYTES + cfg.averageDecisionRecordBytes())
                .maxBloatFactor(cfg.maxBloatFactor());
    }

    static Path file(Path dir, long startMs) {
        return dir.resolve(PREFIX + startMs + SUFFIX);
    }

    /** Generation start times of the files in {@code dir}, oldest first. */
    static List<Long> generationStarts(Path dir) throws IOException {
        List<Long> starts = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    starts.add(Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length())));
                } catch (NumberFormatException ignored) {
                    // not ours; leave it alone
                }
            }
        }
        starts.sort(null);
        return starts;
    }
}
