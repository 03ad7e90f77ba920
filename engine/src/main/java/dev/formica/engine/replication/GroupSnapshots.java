package dev.formica.engine.replication;

import dev.formica.engine.log.LogFrames;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochClock;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshots of one node's replica of one group: where they are, which is the newest valid one, building the next
 * one off the shard's path, and how far Ratis may purge the group's log.
 *
 * <p><b>Files.</b> Ratis's single-file layout: {@code snapshot.<term>_<index>} in the group's state-machine
 * directory ({@code <dataDir>/raft/<group id>/sm}), each file a whole {@link SnapshotCodec} snapshot (the shard
 * snapshot format of the single-node server, with its checksum) of the group's state after Raft entry
 * {@code index}. A file that fails its check is renamed {@code .corrupt} and the next older one is used; the two
 * newest valid ones are kept.
 *
 * <p><b>Building.</b> When Ratis's threshold calls {@link #take} (every {@code entries} applied entries), or when
 * {@code intervalMs} has passed since the last build started and the group applied an entry since its newest snapshot
 * ({@link #due}, asked after each applied entry: a quiet group builds nothing), the next snapshot is built on
 * the builder thread, never on Ratis's applier or the shard: the newest snapshot is loaded into a scratch copy (or
 * the codec's copy that wrote it is taken as it is), the group's Raft entries after it up to the applied index are
 * read back from the Raft log and their frames applied to the copy, and the copy is written, with the group's
 * placement as of the index (the newest snapshot's, or the last placement entry after it): a replica that installs
 * the snapshot knows a move whose entry was purged. The shard's memory is not read or locked, so a leader whose
 * memory runs ahead of the committed index snapshots exactly the committed state.
 *
 * <p><b>Purge.</b> {@link #take} answers Ratis the index of the <em>older</em> of the two newest snapshots, and
 * Ratis purges the log up to it (whole closed segments), keeping at least the last {@code entries} entries: so the
 * log always holds every entry after the older snapshot, and a restart whose newest snapshot turns out damaged still
 * finds the older one and the entries after it. A replica too far behind for the leader's log gets the leader's
 * newest snapshot file installed by Ratis.
 *
 * <p>Thread contract: the storage methods and {@link #take} from Ratis's threads; {@link #loadNewest} with the
 * group's lock held and nothing applied since the start; builds on the builder executor, one at a time per group.
 */
public final class GroupSnapshots implements StateMachineStorage {
    private static final Logger LOG = LoggerFactory.getLogger(GroupSnapshots.class);
    /** Snapshots kept: the newest, and the older one the log is purged up to. */
    static final int KEEP = 2;
    static final String CORRUPT = ".corrupt";

    private final int group;
    private final SnapshotCodec codec;
    private final Executor builder;
    private final long entries;
    private final long intervalMs;
    private final EpochClock clock;
    /** When the time trigger next starts a build (the applier thread reads it; a build's start moves it). */
    private volatile long dueMs;
    private final AtomicBoolean building = new AtomicBoolean();
    /** Guarded by this: the valid snapshots, newest first. */
    private final List<Kept> kept = new ArrayList<>();
    /** Guarded by this: the index last answered to Ratis. */
    private long reported = -1;
    private volatile Path dir;
    private volatile boolean closed;

    /**
     * A valid snapshot: its file, Raft term and index, the shard-log position it stands at, and the group's placement
     * as of it (null: none recorded).
     */
    record Kept(Path file, TermIndex termIndex, long position, SnapshotCodec.Placed placed) {
        long index() {
            return termIndex.getIndex();
        }

        SingleFileSnapshotInfo info() {
            return new SingleFileSnapshotInfo(new FileInfo(file, null), termIndex);
        }
    }

    /**
     * A snapshot loaded into the group's memory: the Raft entry it stands after, the shard-log position, and where the
     * group was placed as of it (null: the snapshot records no placement).
     */
    public record Loaded(TermIndex termIndex, long position, SnapshotCodec.Placed placed) {
    }

    /**
     * @param builder where snapshots are built (one thread for the node's groups: one scratch copy at a time)
     * @param entries Raft entries applied between two snapshots (Ratis's auto-trigger threshold)
     */
    public GroupSnapshots(int group, SnapshotCodec codec, Executor builder, long entries) {
        this(group, codec, builder, entries, 0, System::currentTimeMillis);
    }

    /**
     * @param intervalMs also build one when this long has passed since the last build started and the group applied
     *     entries since its newest snapshot (the server's {@code snapshotInterval}); 0 = by {@code entries} only
     * @param clock the time of the interval (wall clock; tests inject theirs)
     */
    public GroupSnapshots(int group, SnapshotCodec codec, Executor builder, long entries, long intervalMs,
            EpochClock clock) {
        this.group = group;
        this.codec = codec;
        this.builder = builder;
        this.entries = entries;
        this.intervalMs = intervalMs;
        this.clock = clock;
        this.dueMs = intervalMs > 0 ? clock.time() + intervalMs : Long.MAX_VALUE;
    }

    /**
     * Ratis settings of a node whose groups take a snapshot every {@code entries} applied entries (0: never) with
     * log segments of {@code segmentBytes}: a segment is the unit a purge deletes.
     */
    public static void configure(RaftProperties p, long entries, long segmentBytes) {
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, entries > 0);
        if (entries > 0) {
            RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, entries);
        }
        // a build started while the server stops would race its close; the log covers what it would have
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, false);
        // a follower that is down does not hold the purge back: it catches up by installation
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        // but one that lags by less than a snapshot interval still finds its next entry in the log
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, Math.max(0, entries));
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(1024, entries)));
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, org.apache.ratis.util.SizeInBytes.valueOf(segmentBytes));
    }

    @Override
    public void init(RaftStorage storage) throws IOException {
        use(storage.getStorageDir().getStateMachineDir().toPath());
    }

    /** Keeps the snapshots in {@code d} (Ratis's state-machine directory of the group). */
    void use(Path d) throws IOException {
        Files.createDirectories(d);
        dir = d;
    }

    @Override
    public synchronized SingleFileSnapshotInfo getLatestSnapshot() {
        return kept.isEmpty() ? null : kept.get(0).info();
    }

    @Override
    public void format() {
        // nothing to format: the directory is created by init
    }

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) {
        // done by each build: the two newest valid snapshots are kept
    }

    @Override
    public File getSnapshotDir() {
        Path d = dir;
        return d == null ? null : d.toFile();
    }

    /**
     * Finds the valid snapshots in the directory (at start, or after Ratis installed the leader's) and loads the
     * newest into the group's empty memory; null when there is none (the whole log is then applied).
     */
    public Loaded loadNewest() throws IOException {
        List<Kept> valid = scan();
        synchronized (this) {
            kept.clear();
            kept.addAll(valid);
            reported = valid.isEmpty() ? -1 : valid.get(0).index();
        }
        if (valid.isEmpty()) {
            return null;
        }
        Kept newest = valid.get(0);
        long started = System.nanoTime();
        long position = codec.load(newest.file());
        LOG.info("group " + group + ": loaded the snapshot at Raft index " + newest.index() + " (log position "
                + position + (newest.placed() == null ? "" : ", placed on node " + newest.placed().node()) + ") in "
                + (System.nanoTime() - started) / 1_000_000 + " ms; the entries after it follow");
        return new Loaded(newest.termIndex(), position, newest.placed());
    }

    /** The valid snapshots, newest first; files that fail their check are renamed aside. */
    private List<Kept> scan() throws IOException {
        List<Kept> valid = new ArrayList<>();
        Path d = dir;
        if (d == null || !Files.isDirectory(d)) {
            return valid;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
            for (Path f : files) {
                Matcher m = SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long position = codec.verify(f);
                if (position < 0) {
                    LOG.warn("group " + group + ": snapshot file " + f.getFileName() + " fails its check (damaged,"
                            + " cut short or of another group); renamed " + CORRUPT + ", an older one is used");
                    Files.move(f, f.resolveSibling(f.getFileName() + CORRUPT), StandardCopyOption.REPLACE_EXISTING);
                    continue;
                }
                valid.add(new Kept(f, TermIndex.valueOf(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))),
                        position, codec.placement(f)));
            }
        }
        valid.sort(Comparator.comparingLong(Kept::index).reversed());
        return valid;
    }

    /**
     * Ratis's threshold was reached ({@code applied} entries applied): starts building the next snapshot off this
     * thread unless one is being built, and answers the index Ratis may purge the log up to (the older of the two
     * newest snapshots) when it moved since the last answer, else -1.
     */
    public long take(TermIndex applied, RaftLog log) {
        synchronized (this) {
            long newest = kept.isEmpty() ? -1 : kept.get(0).index();
            if (!closed && applied.getIndex() - newest >= entries && building.compareAndSet(false, true)) {
                try {
                    builder.execute(() -> build(applied, log));
                } catch (RejectedExecutionException stopping) {
                    building.set(false);
                }
            }
            long purgeTo = kept.size() < KEEP ? -1 : kept.get(KEEP - 1).index();
            if (purgeTo > reported) {
                reported = purgeTo;
                return purgeTo;
            }
            return -1;
        }
    }

    /**
     * The time trigger, asked by the applier after each applied entry ({@code applied}): when the interval has
     * passed since the last build started, starts a build unless one is under way or the newest snapshot already
     * stands at {@code applied}. One clock read per entry while the interval runs; the purge follows at Ratis's
     * next {@link #take}.
     */
    public void due(TermIndex applied, RaftLog log) {
        if (clock.time() < dueMs || building.get() || closed || log == null) {
            return;
        }
        synchronized (this) {
            long newest = kept.isEmpty() ? -1 : kept.get(0).index();
            if (applied.getIndex() > newest && building.compareAndSet(false, true)) {
                try {
                    builder.execute(() -> build(applied, log));
                } catch (RejectedExecutionException stopping) {
                    building.set(false);
                }
            }
        }
    }

    /** Builds the snapshot as of {@code target} from the newest one and the Raft entries after it. */
    void build(TermIndex target, RaftLog log) {
        long started = System.nanoTime();
        if (intervalMs > 0) {
            dueMs = clock.time() + intervalMs; // whichever trigger started it, the interval counts from here
        }
        try {
            Kept base;
            synchronized (this) {
                base = kept.isEmpty() ? null : kept.get(0);
            }
            if (base != null && base.index() >= target.getIndex()) {
                return;
            }
            Frames frames;
            SnapshotCodec.Placed placed = base == null ? null : base.placed();
            Path file = dir.resolve(SimpleStateMachineStorage.getSnapshotFileName(target.getTerm(),
                    target.getIndex()));
            try (SnapshotCodec.Scratch scratch = codec.scratch(base == null ? null : base.file(),
                    base == null ? 0 : base.position())) {
                frames = new Frames(scratch, base == null ? 0 : base.position());
                for (long i = base == null ? 0 : base.index() + 1; i <= target.getIndex(); i++) {
                    if (closed) {
                        return;
                    }
                    LogEntryProto entry = log.get(i);
                    if (entry == null) {
                        throw new IOException("Raft entry " + i + " is not in the group's log any more");
                    }
                    int placedOn = FrameStateMachine.forEachFrame(entry, frames);
                    if (placedOn >= 0) {
                        placed = new SnapshotCodec.Placed(placedOn, i); // a move (or its undoing) in the log
                    }
                }
                scratch.write(file, frames.end, placed);
            }
            List<Kept> dropped = new ArrayList<>();
            synchronized (this) {
                Kept made = new Kept(file, target, frames.end, placed);
                if (!kept.isEmpty() && kept.get(0).index() >= target.getIndex()) {
                    if (!kept.get(0).file().equals(file)) {
                        dropped.add(made); // overtaken by an installed snapshot while it was built
                    }
                } else {
                    kept.add(0, made);
                }
                while (kept.size() > KEEP) {
                    dropped.add(kept.remove(kept.size() - 1));
                }
            }
            for (Kept k : dropped) {
                Files.deleteIfExists(k.file());
                Files.deleteIfExists(k.file().resolveSibling(k.file().getFileName() + ".md5"));
            }
            LOG.info("group " + group + ": snapshot at Raft index " + target.getIndex() + " (log position "
                    + frames.end + ", " + frames.count + " frames since the one before) built in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms off the shard");
        } catch (IOException | RuntimeException e) {
            LOG.warn("group " + group + ": the snapshot at Raft index " + target.getIndex() + " failed; the log is"
                    + " kept and the next threshold tries again", e);
        } finally {
            building.set(false);
        }
    }

    /** Whether a snapshot is being built now (tests). */
    boolean building() {
        return building.get();
    }

    /** The indexes of the valid snapshots, newest first (tests and tools). */
    public synchronized List<Long> indexes() {
        return kept.stream().map(Kept::index).toList();
    }

    /** Stops taking new builds; a build under way stops at its next entry. The codec drops its scratch copy. */
    public void close() {
        closed = true;
        try {
            codec.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("group " + group + ": closing its snapshot scratch copy failed", e);
        }
    }

    /** Hands frames to the scratch copy, checking that each starts where the one before ended. */
    private final class Frames implements FrameApplier {
        private final SnapshotCodec.Scratch scratch;
        long end;
        long count;

        Frames(SnapshotCodec.Scratch scratch, long start) {
            this.scratch = scratch;
            this.end = start;
        }

        @Override
        public void apply(long position, long timeMs, DirectBuffer payload, int offset, int length) {
            if (position != end) {
                throw new IllegalStateException("group " + group + ": a frame at log position " + position
                        + " where " + end + " was expected");
            }
            scratch.apply(position, timeMs, payload, offset, length);
            end = position + LogFrames.frameLength(length);
            count++;
        }
    }
}
