package dev.formica.engine.pipeline;

import dev.formica.engine.funding.QuotaTally;
import dev.formica.engine.state.ShardSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.state.StateOps;
import dev.formica.engine.state.VelocityWindows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's scratch copy of its state, kept between the snapshot builder's runs so that the next snapshot only
 * replays the frames since the last one: the stores, the shard's contributions to the velocity windows and funding
 * quotas, and the log position and frame time they stand at. Without it every snapshot first loaded the newest one
 * again, most of a snapshot's cost at the load scripts' size (docs/perf-notes/2026-12-07-find-max-decide-first.md).
 *
 * <p>It also remembers which file on disk it equals (the snapshot it loaded or wrote last: path, file key and
 * modification time), so that the builder notices a snapshot it did not write, or a missing one, and reloads.
 *
 * <p>A replicated group's snapshots ({@link GroupSnapshotCodec}) keep one the same way, per hosted group.
 *
 * <p>Thread contract: owned by the {@link SnapshotBuilder} and used under its lock only, or by a group's codec,
 * which lends it to one build at a time on the node's builder thread.
 */
final class LiveScratch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveScratch.class);
    private final Path dir;
    final ShardState state;
    final VelocityWindows velocity;
    private final StateOps.Replayer replayer = new StateOps.Replayer();
    private QuotaTally tally;
    private StateOps.Shared shared;
    private long position;
    private long timeMs;
    private Path standsOn;
    private Object standsOnKey;
    private long standsOnModified;

    private LiveScratch(Path dir, ShardState state, VelocityWindows velocity) {
        this.dir = dir;
        this.state = state;
        this.velocity = velocity;
    }

    /** Opens an empty scratch copy in a fresh temporary directory (in-memory stores: nothing is written there). */
    static LiveScratch open(StateConfig config, int velocityKeys, long nowMs)
            throws IOException {
        return open(Files.createTempDirectory("formica-snapshot-"), config, velocityKeys, nowMs);
    }

    /** Opens an empty scratch copy in {@code dir} (created if need be), which its {@link #close} deletes. */
    static LiveScratch open(Path dir, StateConfig config, int velocityKeys, long nowMs) throws IOException {
        ShardState state = null;
        try {
            state = ShardState.open(dir, config, nowMs);
            return new LiveScratch(dir, state, VelocityWindows.inMemory(velocityKeys));
        } catch (IOException | RuntimeException e) {
            if (state != null) {
                try {
                    state.close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            SnapshotBuilder.deleteTree(dir);
            throw e;
        }
    }

    /** The shard's contributions to the funding quotas, as of {@link #position}. */
    QuotaTally tally() {
        return tally;
    }

    /** What replay adds to besides the stores: this copy's velocity windows and quota tally. */
    StateOps.Shared shared() {
        return shared;
    }

    /** Sets what the copy starts from: an empty log (no snapshot yet) or the snapshot just loaded into it. */
    void startAt(QuotaTally loaded, long position, long timeMs) {
        this.tally = Objects.requireNonNull(loaded);
        this.shared = new StateOps.Shared(velocity, loaded);
        this.position = position;
        this.timeMs = timeMs;
    }

    /**
     * Loads {@code snapshot} (checked, its header {@code header}) into this empty copy and starts from it. With
     * {@code copying} the idempotency chunks are copied, not mapped from the file: for a copy kept after the file is
     * deleted, which a mapping would keep on disk.
     */
    void load(Path snapshot, ShardSnapshot.Header header, boolean copying) throws IOException {
        QuotaTally loaded = copying ? ShardSnapshot.readCopying(snapshot, state, velocity)
                : ShardSnapshot.read(snapshot, state, velocity);
        startAt(loaded, header.position(), header.timeMs());
    }

    /**
     * Starts this empty copy from {@code snapshot} (checked, its header {@code header}) as {@link #load} does, or
     * from the empty log when {@code snapshot} is null.
     */
    void loadOrStartEmpty(Path snapshot, ShardSnapshot.Header header, boolean copying) throws IOException {
        if (snapshot == null) {
            startAt(new QuotaTally(), 0, 0);
        } else {
            load(snapshot, header, copying);
        }
    }

    /** Applies one shard-log frame's operations to the copy (its stores, velocity and quota tallies). */
    void apply(DirectBuffer payload, int offset, int length, long frameTimeMs) {
        replayer.apply(state, shared(), false, payload, offset, length, frameTimeMs);
    }

    /**
     * {@code live} when it stands on {@code newest} (the newest valid snapshot on disk, at {@code at}; null: none),
     * else null after closing it: a snapshot it did not write (installed, restored, or none), so the copy may not be
     * what that file holds, and the caller loads it again. Null for a null {@code live}.
     */
    static LiveScratch reuse(LiveScratch live, Path newest, long at, String what) {
        if (live == null || newest != null && live.standsOn(newest, at)) {
            return live;
        }
        LOG.info(what + ": the newest snapshot is not the one the live scratch copy stands on; loading it again");
        closeQuietly(live, null);
        return null;
    }

    /** Closes {@code scratch} (null: nothing), its failure added to {@code failure}'s, or logged without one. */
    static void closeQuietly(LiveScratch scratch, Exception failure) {
        if (scratch == null) {
            return;
        }
        try {
            scratch.close();
        } catch (IOException | RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.warn("closing a snapshot scratch copy failed", e);
            }
        }
    }

    /** Records that the copy now stands at {@code position}, the frame time {@code timeMs}. */
    void advance(long position, long timeMs) {
        this.position = position;
        this.timeMs = timeMs;
    }

    long position() {
        return position;
    }

    long timeMs() {
        return timeMs;
    }

    /** Remembers {@code file} (the snapshot this copy equals now) by its file key and modification time. */
    void standsOn(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        standsOn = file;
        standsOnKey = a.fileKey();
        standsOnModified = a.lastModifiedTime().toMillis();
    }

    /**
     * Whether {@code file}, a valid snapshot at {@code at}, is the one this copy equals: same position, same path,
     * same file (key and modification time), so not one written or restored by anyone else since. Null (no snapshot
     * on disk) matches only a copy of the empty log that has not written one yet.
     */
    boolean standsOn(Path file, long at) {
        if (file == null) {
            return standsOn == null && position == 0;
        }
        if (standsOn == null || at != position || !file.equals(standsOn)) {
            return false;
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return Objects.equals(a.fileKey(), standsOnKey) && a.lastModifiedTime().toMillis() == standsOnModified;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            velocity.close();
            state.close();
        } finally {
            SnapshotBuilder.deleteTree(dir);
        }
    }
}
