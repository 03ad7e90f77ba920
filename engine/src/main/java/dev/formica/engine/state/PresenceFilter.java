package dev.formica.engine.state;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Which keys a map of this shard may hold, on the heap: a blocked Bloom filter (two bits in one 64-bit word per
 * key, about 8 bits per key at the map's full size), so that a look-up of a key the map has never held is answered
 * without a Chronicle Map probe (a segment lock, a hash-table read that mostly misses the cache). A Decide asks the
 * ledger for the borrower's three products (the request's and the two others, for the balance features) and the
 * profile store for the profile: most borrowers have one or two lines, so most of those look-ups are misses.
 *
 * <p>The word is picked by the key without its first char: the ledger's keys are a product digit then the borrower
 * id, so one borrower's products share a word, and a Decide's three look-ups of the borrower's lines and the write
 * of its line read one cache line of the filter, not three or four.
 *
 * <p>Sound only for a map whose keys are never removed (the ledger's lines and the borrower documents: neither has
 * a removal): {@link #mightContain} false means the map has never held the key; true means it may (a false positive
 * costs the probe it would have cost anyway). The owner adds a key <em>before</em> it inserts it into the map (by
 * any path: a put, a snapshot's restore, a replayed operation), and every key a map holds when it is wrapped.
 *
 * <p>Written here rather than taken from Guava's {@code BloomFilter}: that one hashes each key through a
 * {@code Hasher} object and a {@code Funnel}, an allocation per look-up on the shard thread, whose decide must
 * allocate nothing (issue 19).
 *
 * <p><b>Threading:</b> any thread may call both methods; an add is an atomic OR on its word, a read an acquire
 * load. A reader that races with an insert may miss the key, as it may when it reads the map just before it.
 */
public final class PresenceFilter {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    /** At most 2^23 words (64 MiB): beyond that the filter answers "maybe" more often, never wrongly. */
    private static final int MAX_WORDS = 1 << 23;

    private final long[] words;
    private final int mask;

    /** A filter for a map of at most about {@code keys} keys (8 bits a key, rounded up to a power of two). */
    public PresenceFilter(long keys) {
        long wanted = Math.max(64, Math.min(MAX_WORDS, (Math.max(1, keys) * 8 + 63) / 64));
        int n = Integer.highestOneBit((int) wanted);
        if (n < wanted) {
            n <<= 1;
        }
        words = new long[n];
        mask = n - 1;
    }

    /** Records the key (at least one char): call before inserting it into the map. */
    public void add(CharSequence key) {
        long rest = hash(key);
        WORDS.getAndBitwiseOr(words, index(rest), bits(rest, key.charAt(0)));
    }

    /** False: the map has never held the key (since this filter was made); true: it may hold it. */
    public boolean mightContain(CharSequence key) {
        long rest = hash(key);
        long b = bits(rest, key.charAt(0));
        return ((long) WORDS.getAcquire(words, index(rest)) & b) == b;
    }

    /**
     * Whether {@link #mightContain} is true of {@code key} with any first char from {@code from} to {@code to}: one
     * hash and one word for all of them (the ledger's book asks this of a borrower's activity and three products).
     */
    public boolean mightContainAnyFirst(CharSequence key, char from, char to) {
        long rest = hash(key);
        long word = (long) WORDS.getAcquire(words, index(rest));
        for (char c = from; c <= to; c++) {
            long b = bits(rest, c);
            if ((word & b) == b) {
                return true;
            }
        }
        return false;
    }

    /** The word {@code key}'s bits are in (tests: keys that differ only in their first char share it). */
    int wordOf(CharSequence key) {
        return index(hash(key));
    }

    /** The number of 64-bit words (tests, sizing). */
    int words() {
        return words.length;
    }

    private int index(long h) {
        return (int) (h >>> 32) & mask;
    }

    /** The key's two bits in its word: from the hash of the rest mixed with the first char. */
    private static long bits(long rest, char first) {
        long h = (rest ^ first) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        return (1L << h) | (1L << (h >>> 6)); // shifts use the low 6 bits: bits 0-5 and 6-11 of the hash
    }

    /**
     * A 64-bit hash of the chars after the first (a multiply-xorshift per char and a final mix; not the map's own
     * hash): it picks the word; {@link #bits} mixes the first char in.
     */
    static long hash(CharSequence key) {
        long h = 0x9E3779B97F4A7C15L ^ key.length();
        for (int i = 1, n = key.length(); i < n; i++) {
            h = (h ^ key.charAt(i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
        }
        h ^= h >>> 32;
        h *= 0x94D049BB133111EBL;
        return h ^ (h >>> 29);
    }
}
