package dev.formica.engine.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code shardMode: LOOP}: the single-thread loop that owns each shard. The server passes its Netty event loops
 * (loop k reads the calls of shard k's port, so a call is read, decided and answered on one thread); without a
 * server (tests, tools) the pipeline makes a plain single-thread executor per shard.
 *
 * <p>Thread contract: each loop runs its tasks on one thread for its whole life.
 */
public interface ShardLoops {
    /** The loop that owns {@code shard}: single-threaded, the same for every call. */
    ScheduledExecutorService loop(int shard);

    /** Whether the pipeline shuts these loops down when it closes (its own), or their maker does (the server's). */
    boolean ownedByPipeline();

    /**
     * Overload: stops ({@code on = false}) or resumes reading every connection that {@code shard}'s loop reads, so
     * that while the loop is behind, calls wait in the clients' flow control instead of being read, parsed and
     * refused by the loop. Called on that loop's thread only. Loops without connections (no server) ignore it.
     */
    default void reads(int shard, boolean on) {
    }

    /** The loops of {@code loops}, index = shard, whose reads nothing switches; the caller shuts them down. */
    static ShardLoops of(List<? extends ScheduledExecutorService> loops) {
        return of(loops, (shard, on) -> { });
    }

    /** The loops of {@code loops}, index = shard, their connections' reads switched by {@code reads}. */
    static ShardLoops of(List<? extends ScheduledExecutorService> loops, ReadSwitch reads) {
        return new Fixed(List.copyOf(loops), false, reads);
    }

    /** What stops and resumes reading a shard loop's connections (the server's, on that loop's thread). */
    @FunctionalInterface
    interface ReadSwitch {
        void reads(int shard, boolean on);
    }

    /** One daemon thread per shard, shut down by the pipeline (a pipeline without a server). */
    static ShardLoops threads(int shards) {
        List<ScheduledExecutorService> loops = new ArrayList<>();
        for (int k = 0; k < shards; k++) {
            String name = "formica-shard-loop-" + k;
            ScheduledThreadPoolExecutor loop = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
            loop.setRemoveOnCancelPolicy(true);
            loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            loops.add(loop);
        }
        return new Fixed(List.copyOf(loops), true, (shard, on) -> { });
    }

    /** A fixed list of loops, index = shard. */
    record Fixed(List<ScheduledExecutorService> loops, boolean ownedByPipeline, ReadSwitch readSwitch)
            implements ShardLoops {
        @Override
        public ScheduledExecutorService loop(int shard) {
            return loops.get(shard);
        }

        @Override
        public void reads(int shard, boolean on) {
            readSwitch.reads(shard, on);
        }
    }

    /** Shuts down and waits for loops the pipeline owns (at most {@code seconds} each). */
    default void shutdownOwn(int shards, long seconds) {
        if (!ownedByPipeline()) {
            return;
        }
        for (int k = 0; k < shards; k++) {
            loop(k).shutdown();
        }
        for (int k = 0; k < shards; k++) {
            try {
                loop(k).awaitTermination(seconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
