package dev.formica.engine.cluster;

/**
 * Borrowers to partitions, partitions to shards: the one placement function the engine and every client share.
 *
 * <p>{@code partition = mix(h) & 255} where {@code h} is Java's {@code String.hashCode} of the borrower id
 * (31-based over UTF-16 code units) and {@code mix(h) = (h * 0x9E3779B9) ^ ((h * 0x9E3779B9) >>> 16)} in 32-bit
 * two's complement arithmetic. A shard of a node holds the partitions {@code p} with {@code p % shards == k}.
 * With a power-of-two shard count this is the placement the engine used before partitions
 * ({@code floorMod(mix(h), shards)}), so data directories written then keep their borrowers where they are.
 *
 * <p>Thread contract: stateless, any thread, allocation-free.
 */
public final class Partitions {
    /** The fixed number of partitions; a power of two, so a partition is the low byte of the mixed hash. */
    public static final int COUNT = 256;

    private Partitions() {
    }

    /** The partition of a borrower, 0..255. */
    public static int of(CharSequence borrowerId) {
        int h = 0;
        for (int i = 0, n = borrowerId.length(); i < n; i++) {
            h = 31 * h + borrowerId.charAt(i);
        }
        return ofHash(h);
    }

    /** The partition of a borrower id whose {@code String.hashCode} is {@code hash}. */
    public static int ofHash(int hash) {
        int mixed = hash * 0x9E3779B9;
        mixed ^= mixed >>> 16;
        return mixed & (COUNT - 1);
    }

    /** The shard, 0..shards-1, that holds {@code partition} on a node with {@code shards} shards. */
    public static int shardOf(int partition, int shards) {
        return partition % shards;
    }
}
