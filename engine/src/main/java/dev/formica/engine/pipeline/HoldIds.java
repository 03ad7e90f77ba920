package dev.formica.engine.pipeline;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hold ids: {@code "h"} + lower-case hex of an unsigned 64-bit number whose top 8 bits name the borrower's
 * partition (0..255, {@link dev.formica.engine.cluster.Partitions}), so Confirm and Cancel (which carry only the
 * hold id) route to the node and shard that own the hold without a look-up, in the engine and in clients. The low
 * 56 bits are random ({@link Source}, a CSPRNG): a hold id is a bearer capability (whoever holds it can confirm
 * or cancel the hold), so it must not be guessable from another. Ids issued before this (a per-shard sequence there)
 * keep working: an id is only ever looked up. Ids issued before partitions (data format 2) carry the shard in the
 * top bits instead, which is the partition of the same number on the same shard, so they keep working too.
 *
 * <p>Thread contract: stateless; a {@link Source} belongs to one shard's thread.
 */
public final class HoldIds {
    static final int PARTITION_SHIFT = 56;
    static final long LOW_MASK = (1L << PARTITION_SHIFT) - 1;
    /** Returned by {@link #parse} for text that is not a hold id. */
    public static final long INVALID = -1;

    private HoldIds() {
    }

    static long compose(int partition, long low) {
        return ((long) partition << PARTITION_SHIFT) | (low & LOW_MASK);
    }

    /** The partition a hold id names, 0..255. */
    public static int partitionOf(long holdId) {
        return (int) (holdId >>> PARTITION_SHIFT);
    }

    /**
     * Where a shard's new hold ids come from: 56 bits of an AES-CTR key stream under a key and counter drawn from
     * {@link SecureRandom} (NIST's CTR_DRBG construction, without its reseeding: a shard draws far fewer than the
     * 2^64 blocks it allows), made 4 KiB at a time into arrays kept for good, so a draw is an array read and
     * allocates nothing ({@code SecureRandom.nextBytes} allocated ~21 bytes per id here: its mixing copies). An id
     * is redrawn while the shard already has a hold of it (one look-up that the hold's insert then finds cached).
     * Unique without a sequence: a hold's id is in the shard's log and snapshot (replay and followers take it from
     * there, never draw), and a finished hold stays in the store for the idempotency window; at 10 million holds in
     * a shard a draw hits one 1 in 7 billion times.
     *
     * <p>Thread contract: one shard's thread.
     */
    static final class Source {
        private static final int LONGS = 512;
        private final Cipher stream;
        private final byte[] zeros = new byte[LONGS * Long.BYTES];
        private final byte[] bytes = new byte[LONGS * Long.BYTES];
        private final ByteBuffer longs = ByteBuffer.wrap(bytes);
        private int next = LONGS;

        Source() {
            this(new SecureRandom());
        }

        /** Keyed from {@code seed} (tests pass a seeded one). */
        Source(SecureRandom seed) {
            byte[] key = new byte[16];
            byte[] counter = new byte[16];
            seed.nextBytes(key);
            seed.nextBytes(counter);
            try {
                stream = Cipher.getInstance("AES/CTR/NoPadding");
                stream.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(counter));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES/CTR, which every Java platform has, is missing", e);
            }
        }

        /** A new hold id of {@code partition} that no hold for which {@code taken} is true has. */
        long next(int partition, java.util.function.LongPredicate taken) {
            while (true) {
                if (next == LONGS) {
                    try {
                        stream.update(zeros, 0, zeros.length, bytes, 0);
                    } catch (ShortBufferException e) {
                        throw new IllegalStateException(e); // the arrays are the same size
                    }
                    next = 0;
                }
                long id = compose(partition, longs.getLong(next++ * Long.BYTES));
                if (!taken.test(id)) {
                    return id;
                }
            }
        }
    }

    public static String format(long holdId) {
        // hex, not base 36: Long.toString(x, 36) divides per digit and showed up in the decide profile
        return "h" + Long.toHexString(holdId);
    }

    /** The id (unsigned: partitions 128..255 set the top bit), or {@link #INVALID}. */
    public static long parse(String text) {
        if (text.length() < 2 || text.length() > 17 || text.charAt(0) != 'h') {
            return INVALID;
        }
        long value = 0;
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) {
                return INVALID;
            }
            value = (value << 4) | digit;
        }
        return value;
    }
}
