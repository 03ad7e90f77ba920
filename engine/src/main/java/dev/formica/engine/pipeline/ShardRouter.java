package dev.formica.engine.pipeline;

import dev.formica.engine.cluster.Partitions;

/**
 * Routes a borrower to its shard through its partition: {@code Partitions.of(borrowerId) % shards}. The
 * partition is a stable hash of the borrower id ({@link Partitions}), so the same borrower lands on the same
 * shard on every start (its state lives there), and a hold id, which names the partition, routes to the same
 * shard as its borrower.
 *
 * <p>Thread contract: immutable, any thread, allocation-free.
 */
public final class ShardRouter {
    private final int shards;
    /** Replication: the shard of each partition (-1: none here); null = {@code partition % shards}. */
    private final int[] byPartition;

    /** Routes partition {@code p} to shard {@code byPartition[p]} (replication: a shard per group). */
    ShardRouter(int shards, int[] byPartition) {
        this.shards = shards;
        this.byPartition = byPartition.clone();
    }

    public ShardRouter(int shards) {
        this.byPartition = null;
        // the configuration's own limit (checked there before any file is touched); at most one shard per partition
        int max = dev.formica.engine.config.EngineConfiguration.MAX_SHARDS;
        if (shards < 1 || shards > max) {
            throw new IllegalArgumentException("shards must be 1.." + max + ", was " + shards);
        }
        this.shards = shards;
    }

    public int shards() {
        return shards;
    }

    public int shardOf(CharSequence borrowerId) {
        return shardOfPartition(Partitions.of(borrowerId));
    }

    /** The shard that holds {@code partition}. */
    public int shardOfPartition(int partition) {
        return byPartition != null ? byPartition[partition] : Partitions.shardOf(partition, shards);
    }
}
