package dev.formica.engine.risk;

import dev.formica.engine.rules.ConcentrationPolicy.Dimension;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Engine-wide exposure (held + drawn, minor units) per concentration key: a region, an industry, a merchant or a
 * related-party group. One table for every shard, in memory; start-up fills it from the shards' exposure records
 * ({@code state.ExposureBook}), which the shard logs carry, so the table itself is never logged.
 *
 * <p>Thread contract: every method is lock-free and allocation-free from any thread. A key's slot is claimed once
 * with a compare-and-set of its hash word and kept for the life of the process (a restart compacts: only keys with
 * exposure are re-inserted). {@link #tryAdd} is a compare-and-set loop on the key's exposure word that refuses an
 * addition taking the exposure above the limit, so concurrent reservations from any number of shards never take a
 * key past its limit: the limit is exact, as {@code FundingQuotas}' total quota is. {@link #add} (releases,
 * repayments, moves, start-up) is unconditional.
 *
 * <p>Layout: {@code capacity} slots of {@value #SLOT_BYTES} bytes, open addressing with linear probing on the
 * 64-bit hash of (dimension, key): hash (0 = free), exposure, dimension byte, name length byte, the name's first
 * {@value #NAME_BYTES} characters as bytes (for display; non-ASCII characters show as '?'). Two keys with the same
 * 64-bit hash would share a slot (about one chance in 10^9 with 200,000 keys).
 */
public final class ConcentrationTable {
    static final int SLOT_BYTES = 96;
    static final int NAME_BYTES = 64;
    private static final int HASH = 0;
    private static final int EXPOSURE = 8;
    private static final int DIMENSION = 16;
    private static final int NAME_LENGTH = 17;
    private static final int NAME = 24;
    private static final Dimension[] DIMENSIONS = Dimension.values();

    private final UnsafeBuffer buffer;
    private final int capacity;
    private final int mask;
    private final java.util.concurrent.atomic.AtomicLong untracked = new java.util.concurrent.atomic.AtomicLong();

    /** @param capacity keys the table can hold, rounded up to a power of two (at least 64) */
    public ConcentrationTable(int capacity) {
        int n = Math.max(64, Integer.highestOneBit(Math.max(1, capacity - 1)) << 1);
        if (n <= 0 || (long) n * SLOT_BYTES > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("concentrationKeys: " + capacity + " is too large");
        }
        this.capacity = n;
        this.mask = n - 1;
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(n * SLOT_BYTES));
    }

    /** Keys the table can hold. */
    public int capacity() {
        return capacity;
    }

    /** The 64-bit hash of a key of a dimension; never 0. Allocation-free. */
    public static long hash(Dimension dimension, CharSequence key) {
        long h = 0xcbf29ce484222325L ^ (dimension.ordinal() + 1) * 0x9E3779B97F4A7C15L;
        for (int i = 0, n = key.length(); i < n; i++) {
            h = (h ^ key.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
    }

    /** The slot of a key, claiming a free one when the key is new; -1 when the table is full. */
    public int claim(Dimension dimension, CharSequence key) {
        long h = hash(dimension, key);
        int slot = (int) (h ^ (h >>> 32)) & mask;
        for (int probes = 0; probes < capacity; probes++, slot = (slot + 1) & mask) {
            int base = slot * SLOT_BYTES;
            long word = buffer.getLongVolatile(base + HASH);
            if (word == h) {
                return slot;
            }
            if (word == 0) {
                if (buffer.compareAndSetLong(base + HASH, 0, h)) {
                    int n = Math.min(NAME_BYTES, key.length());
                    for (int i = 0; i < n; i++) {
                        char c = key.charAt(i);
                        buffer.putByte(base + NAME + i, (byte) (c < 128 ? c : '?'));
                    }
                    buffer.putByte(base + DIMENSION, (byte) dimension.ordinal());
                    buffer.putByteVolatile(base + NAME_LENGTH, (byte) n);
                    return slot;
                }
                if (buffer.getLongVolatile(base + HASH) == h) {
                    return slot; // another shard claimed it for the same key
                }
            }
        }
        return -1;
    }

    /** The slot of a key, -1 when the table does not hold it. */
    public int find(Dimension dimension, CharSequence key) {
        long h = hash(dimension, key);
        int slot = (int) (h ^ (h >>> 32)) & mask;
        for (int probes = 0; probes < capacity; probes++, slot = (slot + 1) & mask) {
            long word = buffer.getLongVolatile(slot * SLOT_BYTES + HASH);
            if (word == h) {
                return slot;
            }
            if (word == 0) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * Adds {@code amountMinor} to the slot's exposure unless that takes it above {@code limitMinor} (negative = no
     * limit): exact under any number of concurrent callers.
     *
     * @return true when added; false (nothing added) when the limit would be exceeded
     */
    public boolean tryAdd(int slot, long amountMinor, long limitMinor) {
        int at = slot * SLOT_BYTES + EXPOSURE;
        while (true) {
            long used = buffer.getLongVolatile(at);
            long next = used + amountMinor;
            if (limitMinor >= 0 && next > limitMinor) {
                return false;
            }
            if (buffer.compareAndSetLong(at, used, next)) {
                return true;
            }
        }
    }

    /** Adds a (possibly negative) amount with no limit check: releases, repayments, moves, start-up. */
    public void add(int slot, long deltaMinor) {
        if (slot >= 0 && deltaMinor != 0) {
            buffer.getAndAddLong(slot * SLOT_BYTES + EXPOSURE, deltaMinor);
        }
    }

    /** The slot's exposure, minor units. */
    public long exposure(int slot) {
        return buffer.getLongVolatile(slot * SLOT_BYTES + EXPOSURE);
    }

    /** Counts a change the table could not apply because it was full (or a release of a key it never held). */
    void countUntracked() {
        untracked.incrementAndGet();
    }

    /** Changes not applied because the table was full: 0 unless {@code concentrationKeys} is too small. */
    public long untracked() {
        return untracked.get();
    }

    /** Forgets every key (start-up only, before any shard runs). */
    public void clear() {
        buffer.setMemory(0, capacity * SLOT_BYTES, (byte) 0);
        untracked.set(0);
    }

    /** Receives one key with its exposure. */
    @FunctionalInterface
    public interface Visitor {
        void key(Dimension dimension, String key, long exposureMinor);
    }

    /** Visits every claimed key (admin reads and metrics; allocates the names). */
    public void forEach(Visitor visitor) {
        byte[] name = new byte[NAME_BYTES];
        for (int slot = 0; slot < capacity; slot++) {
            int base = slot * SLOT_BYTES;
            if (buffer.getLongVolatile(base + HASH) == 0) {
                continue;
            }
            int n = buffer.getByteVolatile(base + NAME_LENGTH);
            if (n == 0) {
                continue; // claimed this instant, name not yet written (no key is empty)
            }
            buffer.getBytes(base + NAME, name, 0, n);
            visitor.key(DIMENSIONS[buffer.getByte(base + DIMENSION)],
                    new String(name, 0, n, java.nio.charset.StandardCharsets.US_ASCII), exposure(slot));
        }
    }
}
