package dev.formica.engine.state;

import dev.formica.engine.files.OwnerOnly;
import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Velocity windows: how many transactions, and how much money, a borrower, device, IP or merchant
 * produced over the last minute, hour and 24 hours. One table in memory for the whole engine,
 * because a device or a merchant spans shards.
 *
 * <p>Thread contract: any thread, lock-free. Every counter word packs a 24-bit bucket stamp with a
 * 40-bit value and is updated with one compare-and-set, so a bucket is reset for a new period and
 * added to atomically; concurrent adds are exact. Reads are racy snapshots (fine for features).
 * Allocation-free.
 *
 * <p>Layout: a power-of-two number of slots, open addressing with linear probing. A slot is the key's
 * 64-bit hash (0 = free), then 42 buckets of (count word, sum word): 6 × 10 s for the last minute,
 * 12 × 5 min for the last hour, 24 × 1 h for the last day. A window sums the buckets whose stamp lies
 * within it, so it moves in steps of its bucket width. Keys are identified by their 64-bit hash
 * (a collision would merge two keys' counts; at 2^-64 per pair it is ignored). A slot whose newest
 * bucket is more than a day old is reused for a new key, so the table holds the keys active in the last
 * day (an add racing with the reuse of its key's slot can land on the new key: rare, and only a count).
 * Sums saturate at 2^40 − 1 minor units (≈ 11 billion CNY) per bucket.
 */
public final class VelocityWindows implements AutoCloseable {
    /** What a key counts. */
    public enum Dimension {
        BORROWER, DEVICE, IP, MERCHANT
    }

    private static final int MAGIC = 0x46564c31;
    private static final int HEADER = 64;
    private static final int STAMP_SHIFT = 40;
    private static final long VALUE_MASK = (1L << STAMP_SHIFT) - 1;
    private static final long STAMP_MASK = (1L << 24) - 1;
    private static final long[] WIDTHS_MS = {10_000L, 300_000L, 3_600_000L};
    private static final int[] BUCKETS = {6, 12, 24};
    private static final int[] RING_OFFSET = {8, 8 + 6 * 16, 8 + 18 * 16};
    static final int SLOT_BYTES = 8 + 42 * 16;
    private static final int PAGE = 4096;
    private static final int MAX_PROBES = 64;
    /** The mapping is addressed with int offsets: 2^21 slots of 680 bytes stay under 2 GiB. */
    public static final int MAX_KEYS = 1 << 20;

    private final java.nio.ByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final int slots;
    private final int mask;
    /**
     * Per slot, 1 + the day ring's epoch (hour) in which a search for a new key found it taken and not idle for a
     * day; 0 = not known. Within that hour it cannot become idle (adds and merges only move a bucket's stamp
     * forward, and only an idle slot is given to another key; {@link #setWords}, which may put older words, forgets
     * its slot), so {@link #slotFor}'s second search skips reading its 24 day words again: in a table fuller than
     * its {@code velocityKeys} nearly every new key searched 64 slots of 24 words each and found none (a restart's
     * replay of 1 M borrowers: ≈ 0.9 s of CPU,
     * docs/perf-notes/2026-12-08-restart-concentration-and-full-velocity-runs.md).
     * Racy plain ints: a lost write costs one read of the slot's words again.
     */
    private final int[] busyEpoch;
    private final AtomicLong refused = new AtomicLong();

    private VelocityWindows(java.nio.ByteBuffer mapped, int slots) {
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.slots = slots;
        this.mask = slots - 1;
        this.busyEpoch = new int[slots];
    }

    /**
     * A table in memory only, with room for about {@code expectedKeys} active keys: pages are taken on first touch
     * (a deleted scratch file under {@code /dev/shm} when there is one, else under the temporary directory, so the
     * memory is never written back to a disk). The shard log rebuilds it at start-up.
     */
    public static VelocityWindows inMemory(int expectedKeys) throws IOException {
        if (expectedKeys < 1 || expectedKeys > MAX_KEYS) {
            throw new IllegalArgumentException("expectedKeys must be 1.." + MAX_KEYS + ", was " + expectedKeys);
        }
        int slots = BitUtil.findNextPositivePowerOfTwo(Math.max(64, expectedKeys * 2));
        long bytes = HEADER + (long) slots * SLOT_BYTES;
        Path shm = Path.of("/dev/shm");
        if (!java.nio.file.Files.isDirectory(shm) || !java.nio.file.Files.isWritable(shm)
                || java.nio.file.Files.getFileStore(shm).getUsableSpace() < 2 * bytes) {
            // no tmpfs with room (a container's /dev/shm is often 64 MiB): direct memory, zeroed at creation
            java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect((int) bytes);
            VelocityWindows table = new VelocityWindows(direct, slots);
            table.buffer.putInt(4, slots);
            table.buffer.putIntOrdered(0, MAGIC);
            return table;
        }
        Path file = java.nio.file.Files.createTempFile(shm, "formica-velocity-", ".tmp");
        try {
            OwnerOnly.file(file);
            // Take every page now, at start-up: a first touch of a tmpfs page is a fault that allocates and
            // zeroes it, and keys hash to random pages, so without this nearly every add to a new key paid one
            // (84 % of a restart's replay time, measured with JFR; and on the decision path as well). The pages
            // are allocated by writing zeros into the file (one call per MiB, no fault), then mapped by reading
            // one byte of each: a fault that finds its page in place costs about half of one that must allocate
            // it (356 MB: 1.3 s against 2.4-2.9 s on the loaded development box,
            // docs/perf-notes/2026-12-06-restart-under-10s.md).
            allocateZeros(file, bytes);
            MappedByteBuffer created = IoUtil.mapExistingFile(file.toFile(), "velocity");
            VelocityWindows table = new VelocityWindows(created, slots);
            long touched = 0;
            for (long offset = 0; offset < bytes; offset += PAGE) {
                touched |= table.buffer.getByte((int) offset);
            }
            if (touched != 0) {
                throw new IOException("velocity scratch file " + file + " was not zero-filled");
            }
            table.buffer.putInt(4, slots);
            table.buffer.putIntOrdered(0, MAGIC);
            return table;
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    /** Writes {@code bytes} zero bytes into the empty {@code file} (tmpfs: allocates its pages without faults). */
    private static void allocateZeros(Path file, long bytes) throws IOException {
        java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocateDirect((int) Math.min(bytes, 1 << 20));
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            long position = 0;
            while (position < bytes) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - position));
                while (zeros.hasRemaining()) {
                    position += channel.write(zeros, position);
                }
            }
        } finally {
            org.agrona.BufferUtil.free(zeros);
        }
    }

    /** Opens or creates (owner-only) the table with room for about {@code expectedKeys} active keys. */
    public static VelocityWindows open(Path file, int expectedKeys) throws IOException {
        if (expectedKeys < 1 || expectedKeys > MAX_KEYS) {
            throw new IllegalArgumentException("expectedKeys must be 1.." + MAX_KEYS + ", was " + expectedKeys);
        }
        int slots = BitUtil.findNextPositivePowerOfTwo(Math.max(64, expectedKeys * 2));
        File f = file.toFile();
        if (!f.exists() || f.length() == 0) {
            // sparse and owner-only from the first moment; length 0 is a crash between create and size
            OwnerOnly.file(file, HEADER + (long) slots * SLOT_BYTES);
            MappedByteBuffer created = IoUtil.mapExistingFile(f, "velocity");
            VelocityWindows table = new VelocityWindows(created, slots);
            table.buffer.putInt(4, slots);
            table.buffer.putIntOrdered(0, MAGIC);
            return table;
        }
        MappedByteBuffer existing = IoUtil.mapExistingFile(f, "velocity");
        UnsafeBuffer header = new UnsafeBuffer(existing);
        if (header.getInt(0) != MAGIC) {
            IoUtil.unmap(existing);
            throw new IOException(file + " is not a Formica velocity table");
        }
        return new VelocityWindows(existing, header.getInt(4));
    }

    public int capacity() {
        return slots;
    }

    private volatile VelocityShares shares;

    /**
     * What other nodes of a cluster counted ({@link VelocityShares}), read with this table by the decision path;
     * null (the default) on one node and with replication. Set before the shards start.
     */
    public void shares(VelocityShares exchange) {
        this.shares = exchange;
    }

    public VelocityShares shares() {
        return shares;
    }

    /**
     * Counts one transaction of {@code amountMinor} for the key at {@code nowMs}.
     *
     * @return false when the table has no room for a new key (the add is dropped)
     */
    public boolean add(Dimension dimension, CharSequence id, long nowMs, long amountMinor) {
        int slot = slotFor(hash(dimension, id), nowMs, true);
        if (slot < 0) {
            return false;
        }
        addAt(slotOffset(slot), nowMs, amountMinor);
        return true;
    }

    /** Words per slot after the key: 42 buckets of (count, sum). */
    public static final int SLOT_WORDS = 84;

    /** Receives one key's raw bucket words (snapshots). */
    @FunctionalInterface
    public interface SlotVisitor {
        void visit(long hash, long[] words);
    }

    /** Visits every claimed slot with its raw words (a reused array); for snapshots of a table no one writes. */
    public void forEachKey(SlotVisitor visitor) {
        long[] words = new long[SLOT_WORDS];
        for (int slot = 0; slot < slots; slot++) {
            int base = (int) slotOffset(slot);
            long hash = buffer.getLong(base);
            if (hash == 0) {
                continue;
            }
            for (int i = 0; i < SLOT_WORDS; i++) {
                words[i] = buffer.getLong(base + 8 + i * 8);
            }
            visitor.visit(hash, words);
        }
    }

    /**
     * Adds another table's words for a key (a snapshot of one shard's adds): a bucket of the same period adds up,
     * a newer period replaces an older one, an older one is dropped, as concurrent adds would have done.
     */
    public void merge(long hash, long[] words, long nowMs) {
        int slot = slotFor(hash, nowMs, true);
        if (slot < 0) {
            return;
        }
        int base = (int) slotOffset(slot) + 8;
        for (int i = 0; i < SLOT_WORDS; i++) {
            long word = words[i];
            if (word != 0) {
                update(base + i * 8L, word >>> STAMP_SHIFT, word & VALUE_MASK);
            }
        }
    }

    /** Replay of an add the shard log recorded, by the key's hash. */
    public void addHash(long hash, long nowMs, long amountMinor) {
        int slot = slotFor(hash, nowMs, true);
        if (slot >= 0) {
            addAt(slotOffset(slot), nowMs, amountMinor);
        }
    }

    /**
     * Counts the transaction, then reads the key's windows including it: one probe for both (the decision
     * path does this for four keys per request). When the table has no room the add is dropped and
     * {@code out} is zero.
     */
    public VelocityReading addAndRead(Dimension dimension, CharSequence id, long nowMs, long amountMinor,
            VelocityReading out) {
        return addAndRead(hash(dimension, id), nowMs, amountMinor, out);
    }

    /** As above, for the key with table hash {@code hash} ({@link #keyHash}: computed once per key by the caller). */
    public VelocityReading addAndRead(long hash, long nowMs, long amountMinor, VelocityReading out) {
        out.clear();
        int slot = slotFor(hash, nowMs, true);
        if (slot >= 0) {
            long base = slotOffset(slot);
            addAt(base, nowMs, amountMinor);
            readAt(base, nowMs, out, false);
        }
        return out;
    }

    /**
     * Adds the windows of the key with table hash {@code hash} at {@code nowMs} to {@code out} (what other nodes
     * counted, {@link VelocityShares}): nothing for an unknown key.
     */
    public void readAdd(long hash, long nowMs, VelocityReading out) {
        int slot = slotFor(hash, nowMs, false);
        if (slot >= 0) {
            readAt(slotOffset(slot), nowMs, out, true);
        }
    }

    /** Copies the raw words of the key with table hash {@code hash} into {@code words}; false (zeros) when absent. */
    public boolean words(long hash, long[] words) {
        int slot = slotFor(hash, 0, false);
        if (slot < 0) {
            java.util.Arrays.fill(words, 0, SLOT_WORDS, 0L);
            return false;
        }
        int base = (int) slotOffset(slot) + 8;
        for (int i = 0; i < SLOT_WORDS; i++) {
            words[i] = buffer.getLongVolatile(base + i * 8);
        }
        return true;
    }

    /**
     * Replaces the key's raw words by {@code words} (a table that only one thread writes per key: the velocity
     * exchange's, {@link VelocityShares}). False when the table has no room for a new key.
     */
    public boolean setWords(long hash, long[] words, long nowMs) {
        int slot = slotFor(hash, nowMs, true);
        if (slot < 0) {
            return false;
        }
        int base = (int) slotOffset(slot) + 8;
        for (int i = 0; i < SLOT_WORDS; i++) {
            buffer.putLongVolatile(base + i * 8, words[i]);
        }
        busyEpoch[slot] = 0; // the words may be older: the slot may be idle now
        return true;
    }

    /** The key hash held by {@code slot} (0..capacity-1), 0 when the slot is free. */
    public long keyAt(int slot) {
        return buffer.getLongVolatile((int) slotOffset(slot));
    }

    /** Non-zero 64-bit table hash of a key (what the shard log records for it). */
    public static long keyHash(Dimension dimension, CharSequence id) {
        return hash(dimension, id);
    }

    /** Reads the key's three windows at {@code nowMs} into {@code out}; zeros for an unknown key. */
    public VelocityReading read(Dimension dimension, CharSequence id, long nowMs, VelocityReading out) {
        return read(hash(dimension, id), nowMs, out);
    }

    /** As above, for the key with table hash {@code hash} ({@link #keyHash}). */
    public VelocityReading read(long hash, long nowMs, VelocityReading out) {
        out.clear();
        int slot = slotFor(hash, nowMs, false);
        if (slot >= 0) {
            readAt(slotOffset(slot), nowMs, out, false);
        }
        return out;
    }

    private void addAt(long base, long nowMs, long amountMinor) {
        for (int ring = 0; ring < 3; ring++) {
            long epoch = nowMs / WIDTHS_MS[ring];
            long bucket = base + RING_OFFSET[ring] + (epoch % BUCKETS[ring]) * 16;
            long stamp = epoch & STAMP_MASK;
            update(bucket, stamp, 1);
            update(bucket + 8, stamp, Math.max(0, amountMinor));
        }
    }

    /** The key's windows at {@code base}: set into {@code out}, or added to what it holds ({@code add}). */
    private void readAt(long base, long nowMs, VelocityReading out, boolean add) {
        for (int ring = 0; ring < 3; ring++) {
            long epoch = nowMs / WIDTHS_MS[ring];
            long count = 0;
            long sum = 0;
            for (int i = 0; i < BUCKETS[ring]; i++) {
                long bucket = base + RING_OFFSET[ring] + i * 16L;
                long countWord = buffer.getLongVolatile((int) bucket);
                if (inWindow(countWord >>> STAMP_SHIFT, epoch, BUCKETS[ring])) {
                    count += countWord & VALUE_MASK;
                }
                long sumWord = buffer.getLongVolatile((int) bucket + 8);
                if (inWindow(sumWord >>> STAMP_SHIFT, epoch, BUCKETS[ring])) {
                    sum += sumWord & VALUE_MASK;
                }
            }
            if (add) {
                out.add(ring, count, sum);
            } else {
                out.set(ring, count, sum);
            }
        }
    }

    private static boolean inWindow(long stamp, long epoch, int buckets) {
        long age = ((epoch & STAMP_MASK) - stamp) & STAMP_MASK;
        return age < buckets;
    }

    /** Adds {@code delta} to the bucket word, first resetting it when it belongs to an older period. */
    private void update(long offset, long stamp, long delta) {
        int index = (int) offset;
        while (true) {
            long word = buffer.getLongVolatile(index);
            long current = word >>> STAMP_SHIFT;
            long next;
            if (current == stamp) {
                next = (stamp << STAMP_SHIFT) | Math.min(VALUE_MASK, (word & VALUE_MASK) + delta);
            } else if (((stamp - current) & STAMP_MASK) < (1L << 23) || word == 0) {
                next = (stamp << STAMP_SHIFT) | Math.min(VALUE_MASK, delta);
            } else {
                return; // a newer period already owns this bucket: this add is too late to count
            }
            if (buffer.compareAndSetLong(index, word, next)) {
                return;
            }
        }
    }

    /**
     * The key's slot, claiming a free or day-old one when {@code claim}; -1 when none. The first pass reads only
     * the slots' keys: the key's own slot or a free one ends it, and only when neither is within reach is the run
     * read again for the first day-old slot (the same slot the check on the way would have picked, without reading
     * 24 words of every slot passed on the way to a key that is there: in a crowded table most probes).
     */
    private int slotFor(long hash, long nowMs, boolean claim) {
        int start = (int) hash & mask;
        for (int probe = 0; probe < MAX_PROBES; probe++) {
            int slot = (start + probe) & mask;
            int offset = (int) slotOffset(slot);
            long key = buffer.getLongVolatile(offset);
            if (key == hash) {
                return slot;
            }
            if (key == 0) {
                if (!claim) {
                    return -1;
                }
                if (buffer.compareAndSetLong(offset, 0, hash) || buffer.getLongVolatile(offset) == hash) {
                    return slot;
                }
            }
        }
        if (!claim) {
            return -1;
        }
        int epoch = (int) (nowMs / WIDTHS_MS[2]) + 1;
        int reusable = -1;
        for (int probe = 0; probe < MAX_PROBES && reusable < 0; probe++) {
            int slot = (start + probe) & mask;
            int offset = (int) slotOffset(slot);
            long key = buffer.getLongVolatile(offset);
            if (key == hash) {
                return slot; // claimed by another thread meanwhile
            }
            if (key == 0 || busyEpoch[slot] == epoch) {
                continue; // free: taken meanwhile by another key (the first search saw it taken); busy this hour
            }
            if (idleForADay(offset, nowMs)) {
                reusable = slot;
            } else {
                busyEpoch[slot] = epoch;
            }
        }
        if (reusable >= 0) {
            int offset = (int) slotOffset(reusable);
            long old = buffer.getLongVolatile(offset);
            if (idleForADay(offset, nowMs) && buffer.compareAndSetLong(offset, old, hash)) {
                return reusable; // its stale buckets are reset by the next add and ignored by reads
            }
        }
        refused.incrementAndGet(); // the only write of a full table's refusal: nothing on the path of a key it holds
        return -1;
    }

    /**
     * Adds (and merges) since the table opened that found no room for their key: a new key while every slot of its
     * run was taken and none idle for a day. Such a key reads zero counts, so a non-zero and growing figure means
     * {@code velocityKeys} is too small for the keys a day brings ({@code formica_velocity_keys_refused_total});
     * a start's replay of the logs counts again what the live run refused.
     */
    public long refusedKeys() {
        return refused.get();
    }

    private boolean idleForADay(int slotOffset, long nowMs) {
        long epoch = nowMs / WIDTHS_MS[2];
        for (int i = 0; i < BUCKETS[2]; i++) {
            long word = buffer.getLongVolatile(slotOffset + RING_OFFSET[2] + i * 16);
            if (word != 0 && inWindow(word >>> STAMP_SHIFT, epoch, BUCKETS[2] + 1)) {
                return false;
            }
        }
        return true;
    }

    private static long slotOffset(int slot) {
        return HEADER + (long) slot * SLOT_BYTES;
    }

    /** Non-zero 64-bit hash of the dimension and id. */
    static long hash(Dimension dimension, CharSequence id) {
        long h = DecisionRecords.hash(id) ^ (0x9E3779B97F4A7C15L * (dimension.ordinal() + 1));
        h ^= h >>> 29;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 32;
        return h == 0 ? 1 : h;
    }

    @Override
    public void close() {
        if (mapped instanceof MappedByteBuffer m) {
            IoUtil.unmap(m);
        } else {
            org.agrona.BufferUtil.free(mapped);
        }
    }
}
