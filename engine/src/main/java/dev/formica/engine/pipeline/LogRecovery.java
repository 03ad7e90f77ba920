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
 * <p>In parallel: each shard loads its snapshot and replays its own log on a thread of its own: its own stores
 * (which depend on its own frames only) and its adds to the engine-wide velocity table (lock-free; a counter word
 * takes the newest period's sum whatever the order of the adds, so every key's counters come out as the live run
 * left them; only the slot a key lands in may differ from start to start, which no read can see). The snapshots'
 * velocity sections are merged shard after shard before any log is replayed. The quota operations do depend on
 * order (a release counts only on its own day): each shard keeps its own with their frame times and they are
 * applied after the replay, merged by frame time, ties to the lower shard, as a replay on one thread applies them.
 * Each log is read once.
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
        QuotaOperations[] quotaOps = new QuotaOperations[n];
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, n), new ReplayThreads());
        try {
            for (int k = 0; k < n; k++) {
                loaded.add(new CompletableFuture<>());
                quotaOps[k] = new QuotaOperations();
            }
            CompletableFuture<Void> allLoaded = CompletableFuture.allOf(loaded.toArray(new CompletableFuture<?>[0]));
            for (int k = 0; k < n; k++) {
                int shard = k;
                CompletableFuture<Loaded> previous = k == 0 ? null : loaded.get(k - 1);
                replays.add(pool.submit(() -> replayShard(dataDir, shard, states.get(shard), risk.velocity(),
                        previous, loaded.get(shard), allLoaded, quotaOps[shard])));
            }
            long[] from = new long[n];
            for (int k = 0; k < n; k++) {
                Loaded l = await(loaded.get(k));
                from[k] = l.position();
                l.tally().addTo(risk.quotas());
            }
            ShardEnd[] ends = new ShardEnd[n];
            long frames = 0;
            for (int k = 0; k < n; k++) {
                ends[k] = await(replays.get(k));
                frames += ends[k].frames();
            }
            QuotaOperations.replayInTimeOrder(quotaOps, risk.quotas());
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
     * previous shard merged its own, so the table sees the merges in shard order), then, once every shard's snapshot
     * is in, applies every frame after it: the shard's own stores and its velocity adds here (the table is lock-free
     * and a counter word ends up the same whatever the order of the adds), its quota operations into {@code quotas}
     * (they depend on order: merged by frame time after every shard ended).
     */
    private static ShardEnd replayShard(Path dataDir, int shard, ShardState state, VelocityWindows velocity,
            CompletableFuture<Loaded> previous, CompletableFuture<Loaded> loaded, CompletableFuture<Void> allLoaded,
            QuotaOperations quotas) throws IOException {
        long from = 0;
        try {
            state.ops().recording(false);
            // the newest snapshot whose checksum holds (an older one when the newest is damaged), checked over the
            // same mapping it is loaded from: the file is read once
            QuotaTally tally = null;
            for (Path file : SnapshotBuilder.newestFirst(SnapshotBuilder.directory(dataDir, shard))) {
                ShardSnapshot.Loaded newest = ShardSnapshot.readIfValid(file, shard, state, () -> {
                    if (previous != null) {
                        previous.join();
                    }
                    return velocity;
                });
                if (newest != null) {
                    tally = newest.quotas();
                    from = newest.header().position();
                    break;
                }
                LOG.warn("shard " + shard + ": snapshot " + file.getFileName() + " is damaged (its checksum or"
                        + " header does not hold); trying an older one");
            }
            if (tally == null) {
                tally = new QuotaTally();
                if (previous != null) {
                    previous.join(); // keeps the completions in shard order: a failure ahead stops the ones behind
                }
            }
            loaded.complete(new Loaded(from, tally));
        } catch (IOException | RuntimeException | Error e) {
            loaded.completeExceptionally(e);
            throw e;
        }
        allLoaded.join(); // every snapshot's velocity section merged before any shard's log adds to the table
        StateOps.Replayer replayer = new StateOps.Replayer();
        StateOps.Shared shared = new StateOps.Shared(velocity, quotas);
        long frames = 0;
        try (LogSegments.Cursor c = LogRecovery.segments(dataDir, shard).cursor(from)) {
            while (c.next()) {
                quotas.at(c.frameTime());
                replayer.apply(state, shared, false, c.buffer(), c.payloadOffset(), c.payloadLength(),
                        c.frameTime());
                frames++;
            }
            return new ShardEnd(c.position(), c.tornAt(), c.tornInLastSegment(), frames);
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
