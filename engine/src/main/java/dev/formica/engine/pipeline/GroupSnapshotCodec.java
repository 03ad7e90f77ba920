package dev.formica.engine.pipeline;

import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.replication.SnapshotCodec;
import dev.formica.engine.risk.ConcentrationTable;
import dev.formica.engine.state.ShardSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.state.VelocityWindows;
import java.io.IOException;
import java.nio.file.Path;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochClock;

/**
 * A replicated group's snapshot is the single-node server's shard snapshot ({@link ShardSnapshot}, built the way
 * {@link SnapshotBuilder} builds it): the group's stores and its own contributions to the node's velocity windows
 * and quota usage, at a shard-log position, with a checksum. The header's shard number is the group's; a group
 * that was moved also has its placement in the header (snapshot format 4, {@link ShardSnapshot#write(Path, int,
 * long, long, int, long, ShardState, VelocityWindows, dev.formica.engine.funding.QuotaTally)}). Loading it also adds
 * its exposure records to the node's concentration table.
 *
 * <p>The scratch copy a build writes is kept for the next build ({@link LiveScratch}, {@code snapshotScratch: LIVE},
 * the default), which then applies only the entries after it; a build whose base is not the file the copy wrote
 * last (a snapshot installed from the leader, a restart, a build overtaken by an installation) loads the base into
 * a fresh copy, as every build does with {@code RELOAD}.
 *
 * <p>Thread contract: {@link #load} before the shard runs or with the group's lock held (the shard's stores have
 * one writer at a time); a scratch copy on the snapshot builder's thread, touching nothing of the shard's, lent to
 * one build at a time under this object's lock ({@link #close} from any thread).
 */
final class GroupSnapshotCodec implements SnapshotCodec {
    private final int group;
    private final ShardState state;
    private final VelocityWindows velocity;
    private final FundingQuotas quotas;
    private final ConcentrationTable concentration;
    private final StateConfig stateConfig;
    private final int scratchVelocityKeys;
    private final Path scratchDir;
    private final EpochClock clock;
    private final boolean keep;
    /** Guarded by this: the copy kept between builds (null: none yet, dropped, or lent to a build under way). */
    private LiveScratch live;
    /** Guarded by this. */
    private boolean closed;
    /** Guarded by this: scratch copies loaded (or started empty), for tests. */
    private int loads;

    /**
     * @param state    the group's shard state, which a loaded snapshot fills
     * @param velocity the node's velocity windows, which take the snapshot's contribution
     * @param quotas   the node's quota usage, likewise
     * @param concentration the node's concentration table, which takes the loaded exposure records
     * @param keep     keep the scratch copy between builds ({@code snapshotScratch: LIVE}): the next build replays
     *     only the entries since the last one, unless the newest snapshot is not the one the copy wrote
     */
    GroupSnapshotCodec(int group, ShardState state, VelocityWindows velocity, FundingQuotas quotas,
            ConcentrationTable concentration, StateConfig stateConfig, int scratchVelocityKeys, Path scratchDir,
            EpochClock clock, boolean keep) {
        this.group = group;
        this.state = state;
        this.velocity = velocity;
        this.quotas = quotas;
        this.concentration = concentration;
        this.stateConfig = stateConfig;
        this.scratchVelocityKeys = scratchVelocityKeys;
        this.scratchDir = scratchDir;
        this.clock = clock;
        this.keep = keep;
    }

    @Override
    public long verify(Path file) {
        ShardSnapshot.Header h = ShardSnapshot.verify(file);
        return h == null || h.shard() != group ? -1 : h.position();
    }

    @Override
    public Placed placement(Path file) throws IOException {
        ShardSnapshot.Header h = ShardSnapshot.header(file);
        if (h.shard() != group) {
            throw new IOException("snapshot " + file.getFileName() + " is not group " + group + "'s");
        }
        return h.placedOn() < 0 ? null : new Placed(h.placedOn(), h.placedAt());
    }

    @Override
    public long load(Path file) throws IOException {
        long position = verify(file);
        if (position < 0) {
            throw new IOException("snapshot " + file.getFileName() + " of group " + group + " fails its check");
        }
        ShardSnapshot.read(file, state, velocity).addTo(quotas, group); // and to the group's lease
        // the entries after the snapshot change the table record by record (ShardExposures.follower)
        ShardExposures.addAllToTable(state, concentration);
        return position;
    }

    @Override
    public Scratch scratch(Path base, long basePosition) throws IOException {
        LiveScratch copy;
        synchronized (this) {
            copy = LiveScratch.reuse(live, base, basePosition, "group " + group);
            live = null; // lent to this build; its close gives it back once written
        }
        return new Copy(copy != null ? copy : loadScratch(base));
    }

    /** A fresh scratch copy of {@code base} (null: the empty log). */
    private LiveScratch loadScratch(Path base) throws IOException {
        SnapshotBuilder.deleteTree(scratchDir); // left by a crash during a build
        LiveScratch s = LiveScratch.open(scratchDir, stateConfig, scratchVelocityKeys, clock.time());
        try {
            ShardSnapshot.Header h = base == null ? null : ShardSnapshot.verify(base);
            if (base != null && (h == null || h.shard() != group)) {
                throw new IOException("snapshot " + base.getFileName() + " of group " + group + " fails its check");
            }
            s.loadOrStartEmpty(base, h, keep);
        } catch (IOException | RuntimeException e) {
            LiveScratch.closeQuietly(s, e);
            throw e;
        }
        synchronized (this) {
            loads++;
        }
        return s;
    }

    /** How many scratch copies were loaded (or started empty) so far; a build on the live copy loads none. */
    synchronized int loads() {
        return loads;
    }

    /** Drops the live copy (a build under way drops the one it was lent when it ends). */
    @Override
    public void close() throws IOException {
        LiveScratch l;
        synchronized (this) {
            closed = true;
            l = live;
            live = null;
        }
        if (l != null) {
            l.close();
        }
    }

    /**
     * A build's use of a scratch copy: frames applied, then written. Once written, it is kept as the group's live
     * copy ({@code keep}); one not written (the build failed or stopped, perhaps half-applied) is dropped.
     */
    private final class Copy implements Scratch {
        private final LiveScratch copy;
        private long timeMs;
        private boolean written;

        Copy(LiveScratch copy) {
            this.copy = copy;
            this.timeMs = copy.timeMs();
        }

        @Override
        public void apply(long position, long frameTimeMs, DirectBuffer payload, int offset, int length) {
            written = false;
            copy.apply(payload, offset, length, frameTimeMs);
            timeMs = frameTimeMs;
        }

        @Override
        public void write(Path file, long position, Placed placed) throws IOException {
            written = false;
            ShardSnapshot.write(file, group, position, timeMs, placed == null ? -1 : placed.node(),
                    placed == null ? -1 : placed.index(), copy.state, copy.velocity, copy.tally());
            copy.advance(position, timeMs);
            copy.standsOn(file);
            written = true;
        }

        @Override
        public void close() throws IOException {
            synchronized (GroupSnapshotCodec.this) {
                if (keep && written && !closed && live == null) {
                    live = copy;
                    return;
                }
            }
            copy.close();
        }
    }
}
