package dev.formica.engine.pipeline;

import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.log.LogSegments;
import dev.formica.engine.log.ShardLog;
import dev.formica.engine.state.ShardSnapshot;
import dev.formica.engine.state.StateConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds each shard's snapshots off the decision path: it replays the shard's durable log into a scratch copy of the
 * state (in memory) and writes the result as the next snapshot. The shards never wait for it and nothing of theirs
 * is locked: the builder only reads the log files. Then it keeps the two newest snapshots and deletes the log
 * segments that end before the older of them and are older than the retention (the audit period).
 *
 * <p>With {@code keepScratch} (setting {@code snapshotScratch: live}, the default) each shard's scratch copy stays
 * alive between builds ({@link LiveScratch}), so a build replays only the frames since the last one and writes: the
 * first build after start loads the newest snapshot into a fresh copy, as does a build that finds on disk a snapshot
 * other than the one its copy stands on, and a build that fails drops its copy (it may be half-applied) so that the
 * next one loads again. Without it every build loads the newest snapshot into a fresh copy and throws it away after.
 * Either way the snapshot holds the same state: the one the log leaves at that position.
 *
 * <p>The price is a second copy of each shard's state for good (or, without {@code keepScratch}, while a snapshot
 * is built, plus the CPU of loading the last one each time), and the CPU of replaying the log since the last
 * snapshot (measured in BENCHMARKS.md, "Footprint and restart").
 *
 * <p>Thread contract: one builder thread; {@link #build} may also be called by tests and tools, one at a time.
 */
final class SnapshotBuilder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotBuilder.class);
    static final int KEEP = 2;

    private final Path dataDir;
    private final ShardLog[] logs;
    private final StateConfig stateConfig;
    private final int velocityKeys;
    private final long intervalMs;
    private final long retentionMs;
    private final EpochClock clock;
    private final boolean keepScratch;
    /** Each shard's scratch copy kept between builds (null until the first build, or after a failed one). */
    private final LiveScratch[] live;
    /** How many scratch copies the builder has loaded (or started empty), for tests: a live copy adds none. */
    private int loads;
    /** Test hook: runs after the replay and before the write (a test throws from it to fail a build there). */
    volatile Runnable beforeWrite = () -> { };
    private volatile boolean running = true;
    private Thread thread;

    SnapshotBuilder(Path dataDir, ShardLog[] logs, StateConfig stateConfig, int velocityKeys, long intervalMs,
            long retentionMs, EpochClock clock, boolean keepScratch) {
        this.dataDir = dataDir;
        this.logs = logs;
        this.stateConfig = stateConfig;
        this.velocityKeys = Math.max(1024, velocityKeys / Math.max(1, logs.length));
        this.intervalMs = intervalMs;
        this.retentionMs = retentionMs;
        this.clock = clock;
        this.keepScratch = keepScratch;
        this.live = new LiveScratch[logs.length];
    }

    static Path directory(Path dataDir, int shard) {
        return dataDir.resolve("shard-" + shard).resolve("snapshots");
    }

    /** Starts the periodic builder (nothing when the interval is 0). */
    void start() {
        if (intervalMs <= 0) {
            return;
        }
        thread = new Thread(this::run, "formica-snapshots");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    private void run() {
        while (running) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(intervalMs));
            for (int k = 0; k < logs.length && running; k++) {
                try {
                    build(k);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("snapshot of shard " + k + " failed; the log is kept and the next try"
                            + " is in " + intervalMs / 1000 + " s", e);
                }
            }
        }
    }

    /**
     * Builds the next snapshot of {@code shard} up to its durable log position.
     *
     * @return the snapshot's header (the newest one when the log has not moved since)
     */
    synchronized ShardSnapshot.Header build(int shard) throws IOException {
        long limit = logs[shard].durablePosition();
        Path dir = directory(dataDir, shard);
        OwnerOnly.directory(dir);
        List<Valid> valid = validSnapshots(dir, shard);
        Valid newest = valid.isEmpty() ? null : valid.get(0);
        if (newest != null && newest.header().position() >= limit) {
            return newest.header();
        }
        long started = System.nanoTime();
        LiveScratch scratch = LiveScratch.reuse(live[shard], newest == null ? null : newest.file(),
                newest == null ? 0 : newest.header().position(), "shard " + shard);
        live[shard] = null;
        long loadMs = -1;
        long from;
        long end;
        long frames = 0;
        try {
            if (scratch == null) {
                scratch = LiveScratch.open(stateConfig, velocityKeys, clock.time());
                scratch.loadOrStartEmpty(newest == null ? null : newest.file(),
                        newest == null ? null : newest.header(), keepScratch);
                loadMs = (System.nanoTime() - started) / 1_000_000;
                loads++;
            }
            from = scratch.position();
            end = from;
            long timeMs = scratch.timeMs();
            LogSegments segments = LogSegments.existing(LogRecovery.logDir(dataDir, shard));
            try (LogSegments.Cursor c = segments.cursor(from)) {
                while (c.next() && c.framePosition() < limit) {
                    scratch.apply(c.buffer(), c.payloadOffset(), c.payloadLength(), c.frameTime());
                    end = c.position();
                    timeMs = c.frameTime();
                    frames++;
                }
            }
            scratch.advance(end, timeMs);
            beforeWrite.run();
            // the snapshot stands on these frames: they must survive a power cut in every durability mode
            segments.syncBefore(from, end);
            Path file = dir.resolve(ShardSnapshot.name(end));
            ShardSnapshot.write(file, shard, end, timeMs, scratch.state, scratch.velocity, scratch.tally());
            scratch.standsOn(file);
        } catch (IOException | RuntimeException e) {
            // half-applied or not written: dropped, and the next build loads the newest snapshot again
            LiveScratch.closeQuietly(scratch, e);
            throw e;
        }
        long timeMs = scratch.timeMs();
        if (keepScratch) {
            live[shard] = scratch;
        } else {
            scratch.close();
        }
        // the new one and the ones checked above, newest first (not read again: a snapshot can be large)
        List<Valid> kept = new ArrayList<>();
        kept.add(new Valid(dir.resolve(ShardSnapshot.name(end)), new ShardSnapshot.Header(shard, end, timeMs)));
        for (Valid v : valid) {
            if (v.header().position() < end) {
                kept.add(v);
            }
        }
        for (int i = KEEP; i < kept.size(); i++) {
            Files.deleteIfExists(kept.get(i).file());
        }
        long oldestKept = kept.get(Math.min(KEEP, kept.size()) - 1).header().position();
        int deleted = LogSegments.existing(LogRecovery.logDir(dataDir, shard))
                .deleteBefore(oldestKept, clock.time() - retentionMs);
        long ms = (System.nanoTime() - started) / 1_000_000;
        long replayed = frames;
        long position = end;
        LOG.info("shard " + shard + ": snapshot at log position " + position + " (" + replayed
                + " frames replayed since the last one) in " + ms + " ms ("
                + (loadMs < 0 ? "on the live scratch copy" : loadMs + " ms of it loading the scratch copy") + "); "
                + deleted + " log segments past retention deleted");
        return kept.get(0).header();
    }

    /** How many scratch copies were loaded (or started empty) so far; a build on a live copy loads none. */
    synchronized int loads() {
        return loads;
    }

    /** A snapshot file whose checksum held, and its header. */
    record Valid(Path file, ShardSnapshot.Header header) {
    }

    /** The shard's snapshots whose checksum holds (each file read once), newest first. */
    static List<Valid> validSnapshots(Path dir, int shard) throws IOException {
        List<Valid> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + ShardSnapshot.SUFFIX)) {
            for (Path f : files) {
                ShardSnapshot.Header h = ShardSnapshot.verify(f);
                if (h != null && h.shard() == shard) {
                    out.add(new Valid(f, h));
                }
            }
        }
        out.sort(Comparator.comparingLong((Valid v) -> v.header().position()).reversed());
        return out;
    }

    /**
     * The shard's snapshot files in the order a start-up tries them, newest first (by the position their names
     * carry; by the position their headers carry when a name is not a position, a file whose header cannot be read
     * left out), unchecked: {@link ShardSnapshot#readIfValid} checks each as it loads it, and the start-up takes the
     * first that holds.
     */
    static List<Path> newestFirst(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        boolean named = true;
        try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, "*" + ShardSnapshot.SUFFIX)) {
            for (Path f : found) {
                named &= f.getFileName().toString().matches("[0-9]{20}" + java.util.regex.Pattern.quote(
                        ShardSnapshot.SUFFIX));
                files.add(f);
            }
        }
        if (named) {
            files.sort(Comparator.comparing((Path f) -> f.getFileName().toString()).reversed());
            return files;
        }
        List<Valid> headed = new ArrayList<>();
        for (Path f : files) {
            try {
                headed.add(new Valid(f, ShardSnapshot.header(f)));
            } catch (IOException | RuntimeException e) {
                // not a snapshot's header: skipped, as a damaged file is
            }
        }
        headed.sort(Comparator.comparingLong((Valid v) -> v.header().position()).reversed());
        List<Path> out = new ArrayList<>();
        headed.forEach(v -> out.add(v.file()));
        return out;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            LockSupport.unpark(thread);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            for (int k = 0; k < live.length; k++) {
                LiveScratch.closeQuietly(live[k], null);
                live[k] = null;
            }
        }
    }
}
