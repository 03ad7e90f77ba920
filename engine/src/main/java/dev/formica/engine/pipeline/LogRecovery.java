package dev.formica.engine.pipeline;

import dev.formica.engine.funding.QuotaTally;
import dev.formica.engine.log.LogSegments;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ShardSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateOps;
import dev.formica.engine.state.VelocityWindows;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: rebuilds every shard's in-memory state from its newest valid snapshot and the log after it, and the
 * engine-wide velocity and quota tables from the snapshots' per-shard contributions and the logs after them, merged
 * by frame time (a velocity bucket only takes adds for its own period, and a quota release only counts on the day
 * it names, so the shards' operations must arrive in time order, as they did live).
 *
 * <p>In parallel: each shard loads its snapshot and replays its own stores from its own log on a thread of its
 * own (a shard's stores depend on its own frames only), while the calling thread replays the engine-wide
 * operations (velocity, quotas) of all shards in one time-ordered pass over the same logs. The engine-wide tables
 * see exactly the operations, in exactly the order, of a replay on one thread: the snapshots' velocity sections
 * are merged shard after shard, then the logs' engine-wide operations by frame time, ties to the lower shard.
 *
 * <p>A frame that fails its checksum at the end of a shard's last segment is a torn write from a crash: the log is
 * cut there (made durable) and the shard starts after the last whole frame. A bad frame anywhere else is
 * corruption of acknowledged data and stops the start-up.
 *
 * <p>Thread contract: runs once, from the thread that opens the pipeline, before any shard runs; the shard threads
 * it starts are joined before it returns (their writes are visible to the caller then).
 */
final class LogRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

    /** What recovery found. */
    record Result(long[] endPositions, long[] snapshotPositions, long frames, long tornBytes, long millis) {
    }

    /** A shard's snapshot loaded: the log position it stands at and its quota contributions. */
    private record Loaded(long position, QuotaTally tally) {
    }

    /** Where one shard's own replay stopped, and how many frames it applied. */
    private record ShardEnd(long position, long tornAt, boolean tornInLastSegment, long frames) {
    }

    private LogRecovery() {
    }

    static Path logDir(Path dataDir, int shard) {
        return dataDir.resolve("shard-" + shard).resolve("log");
    }

    static Result replay(Path dataDir, List<ShardState> states, RiskContext risk) throws IOException {
        long start = System.nanoTime();
        int n = states.size();
        risk.quotas().resetUsage();
        List<CompletableFuture<Loaded>> loaded = new ArrayList<>();
        List<Future<ShardEnd>> replays = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, n), new ReplayThreads());
        try {
            for (int k = 0; k < n; k++) {
                CompletableFuture<Loaded> snapshot = new CompletableFuture<>();
                CompletableFuture<Loaded> previous = k == 0 ? null : loaded.get(k - 1);
                loaded.add(snapshot);
                int shard = k;
                replays.add(pool.submit(() -> replayShard(dataDir, shard, states.get(shard), risk.velocity(),
                        previous, snapshot)));
            }
            long[] from = new long[n];
            for (int k = 0; k < n; k++) {
                Loaded l = await(loaded.get(k));
                from[k] = l.position();
                l.tally().addTo(risk.quotas());
            }
            long[] sharedEnds = new long[n];
            long frames = replayShared(dataDir, from, new StateOps.Shared(risk.velocity(), risk.quotas()),
                    sharedEnds);
            ShardEnd[] ends = new ShardEnd[n];
            long shardFrames = 0;
            for (int k = 0; k < n; k++) {
                ends[k] = await(replays.get(k));
                shardFrames += ends[k].frames();
                if (ends[k].position() != sharedEnds[k]) {
                    throw new IOException("shard " + k + "'s log ended at " + ends[k].position() + " for its own"
                            + " replay and at " + sharedEnds[k] + " for the engine-wide one: changed during start-up");
                }
            }
            if (shardFrames != frames) {
                throw new IOException("the shards replayed " + shardFrames + " frames, the engine-wide pass "
                        + frames + ": a log changed during start-up");
            }
            long torn = cutTornTails(dataDir, ends);
            long[] positions = new long[n];
            for (int k = 0; k < n; k++) {
                positions[k] = ends[k].position();
            }
            return new Result(positions, from, frames, torn, (System.nanoTime() - start) / 1_000_000);
        } finally {
            stop(pool);
        }
    }

    /**
     * Waits for the replay threads to end, interrupting them (a failure elsewhere): the caller closes the stores
     * when the start-up fails, and no thread may still be writing into them then.
     */
    private static void stop(ExecutorService pool) {
        pool.shutdownNow();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.SECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One shard, on its own thread: loads its newest valid snapshot (merging its velocity section only after the
     * previous shard merged its own, so the table sees the merges in shard order), then applies the shard's own
     * operations of every frame after it. The engine-wide operations are left to {@link #replayShared}.
     */
    private static ShardEnd replayShard(Path dataDir, int shard, ShardState state, VelocityWindows velocity,
            CompletableFuture<Loaded> previous, CompletableFuture<Loaded> loaded) throws IOException {
        long from = 0;
        try {
            state.ops().recording(false);
            // the newest snapshot whose checksum holds (an older one when the newest is damaged)
            List<SnapshotBuilder.Valid> snapshots = SnapshotBuilder.validSnapshots(
                    SnapshotBuilder.directory(dataDir, shard), shard);
            QuotaTally tally = new QuotaTally();
            if (!snapshots.isEmpty()) {
                SnapshotBuilder.Valid newest = snapshots.get(0);
                tally = ShardSnapshot.read(newest.file(), state, () -> {
                    if (previous != null) {
                        previous.join();
                    }
                    return velocity;
                });
                from = newest.header().position();
            } else if (previous != null) {
                previous.join(); // keeps the completions in shard order: a failure ahead stops the ones behind
            }
            loaded.complete(new Loaded(from, tally));
        } catch (IOException | RuntimeException | Error e) {
            loaded.completeExceptionally(e);
            throw e;
        }
        StateOps.Replayer replayer = new StateOps.Replayer();
        long frames = 0;
        try (LogSegments.Cursor c = LogRecovery.segments(dataDir, shard).cursor(from)) {
            while (c.next()) {
                replayer.apply(state, null, false, c.buffer(), c.payloadOffset(), c.payloadLength(), c.frameTime());
                frames++;
            }
            return new ShardEnd(c.position(), c.tornAt(), c.tornInLastSegment(), frames);
        }
    }

    /**
     * The engine-wide operations (velocity adds, quota reservations and releases) of every shard's log after its
     * snapshot, in frame-time order across the shards (ties to the lower shard), as a replay on one thread applies
     * them. Records where each shard's log ended in {@code ends}.
     *
     * @return the frames read
     */
    private static long replayShared(Path dataDir, long[] from, StateOps.Shared shared, long[] ends)
            throws IOException {
        int n = from.length;
        LogSegments.Cursor[] cursors = new LogSegments.Cursor[n];
        boolean[] more = new boolean[n];
        StateOps.Replayer replayer = new StateOps.Replayer();
        long frames = 0;
        try {
            for (int k = 0; k < n; k++) {
                cursors[k] = segments(dataDir, k).cursor(from[k]);
                more[k] = cursors[k].next();
            }
            while (true) {
                int next = -1;
                for (int k = 0; k < n; k++) {
                    if (more[k] && (next < 0 || cursors[k].frameTime() < cursors[next].frameTime())) {
                        next = k;
                    }
                }
                if (next < 0) {
                    break;
                }
                LogSegments.Cursor c = cursors[next];
                replayer.apply(null, shared, true, c.buffer(), c.payloadOffset(), c.payloadLength(), c.frameTime());
                frames++;
                more[next] = c.next();
            }
            for (int k = 0; k < n; k++) {
                ends[k] = cursors[k].position();
            }
            return frames;
        } finally {
            for (LogSegments.Cursor c : cursors) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /** Cuts each torn tail in a shard's last segment; a bad frame before the last segment stops the start-up. */
    private static long cutTornTails(Path dataDir, ShardEnd[] ends) throws IOException {
        long torn = 0;
        for (int k = 0; k < ends.length; k++) {
            ShardEnd e = ends[k];
            if (e.tornAt() < 0) {
                continue;
            }
            if (!e.tornInLastSegment()) {
                throw new IOException("shard " + k + "'s log has a corrupt frame at position " + e.tornAt()
                        + " before its last segment: acknowledged data is damaged; restore the data"
                        + " directory from a backup or a replica");
            }
            LogSegments segments = segments(dataDir, k);
            long end = segments.list().isEmpty() ? 0 : lastSegmentEnd(segments);
            torn += Math.max(0, end - e.tornAt());
            int shard = k;
            long at = e.tornAt();
            long cut = end - at;
            LOG.warn("shard " + shard + ": cut a torn log tail of " + cut + " bytes at position " + at
                    + " (a write interrupted by a crash; never acknowledged)");
            segments.truncateTo(at);
        }
        return torn;
    }

    /** One shard's start-up step. */
    @FunctionalInterface
    interface ShardTask<T> {
        T run(int shard) throws IOException;
    }

    /**
     * Runs {@code task} for every shard at once, each on a thread of its own, and answers the results in shard
     * order once all have ended (a failure is rethrown as it was thrown, after every thread ended).
     */
    static <T> List<T> perShard(int shards, ShardTask<T> task) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, shards), new ReplayThreads());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int k = 0; k < shards; k++) {
                int shard = k;
                futures.add(pool.submit(() -> task.run(shard)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                out.add(await(f));
            }
            return out;
        } finally {
            stop(pool);
        }
    }

    /** The value of a replay thread's future, with its failure rethrown as it was thrown. */
    private static <T> T await(Future<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the shards replayed their logs", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Named daemon threads, one per shard, for the length of a start-up. */
    private static final class ReplayThreads implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "formica-replay-" + next.getAndIncrement());
            t.setDaemon(true);
            return t;
        }
    }

    private static long lastSegmentEnd(LogSegments segments) throws IOException {
        List<Long> starts = segments.list();
        long last = starts.get(starts.size() - 1);
        return last + java.nio.file.Files.size(segments.directory().resolve(String.format("%020d.log", last)));
    }

    static LogSegments segments(Path dataDir, int shard) throws IOException {
        return LogSegments.open(logDir(dataDir, shard));
    }
}
