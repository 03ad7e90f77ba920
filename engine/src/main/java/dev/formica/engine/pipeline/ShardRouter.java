package dev.formica.engine.pipeline;

/**
 * Routes a borrower to its shard by a stable hash of the borrower id: {@code String.hashCode} is
 * specified by the Java language, mixed so that ids differing in the last character spread, so the
 * same borrower lands on the same shard on every start (its state files live there).
 *
 * <p>Thread contract: immutable, any thread, allocation-free.
 */
public final class ShardRouter {
    private final int shards;

    public ShardRouter(int shards) {
        if (shards < 1 || shards > 128) {
            throw new IllegalArgumentException("shards must be 1..128, was " + shards);
        }
        this.shards = shards;
    }

    public int shards() {
        return shards;
    }

    public int shardOf(CharSequence borrowerId) {
        int h = 0;
        for (int i = 0, n = borrowerId.length(); i < n; i++) {
            h = 31 * h + borrowerId.charAt(i);
        }
        return shardOfHash(h);
    }

    int shardOfHash(int hash) {
        int mixed = hash * 0x9E3779B9;
        mixed ^= mixed >>> 16;
        return Math.floorMod(mixed, shards);
    }
}
