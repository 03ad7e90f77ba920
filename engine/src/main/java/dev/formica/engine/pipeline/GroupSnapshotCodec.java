package dev.formica.engine.pipeline;

import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.funding.QuotaTally;
import dev.formica.engine.replication.SnapshotCodec;
import dev.formica.engine.risk.ConcentrationTable;
import dev.formica.engine.state.ShardSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.state.StateOps;
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
 * <p>Thread contract: {@link #load} before the shard runs or with the group's lock held (the shard's stores have
 * one writer at a time); a scratch copy on the snapshot builder's thread, touching nothing of the shard's.
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

    /**
     * @param state    the group's shard state, which a loaded snapshot fills
     * @param velocity the node's velocity windows, which take the snapshot's contribution
     * @param quotas   the node's quota usage, likewise
     * @param concentration the node's concentration table, which takes the loaded exposure records
     */
    GroupSnapshotCodec(int group, ShardState state, VelocityWindows velocity, FundingQuotas quotas,
            ConcentrationTable concentration, StateConfig stateConfig, int scratchVelocityKeys, Path scratchDir,
            EpochClock clock) {
        this.group = group;
        this.state = state;
        this.velocity = velocity;
        this.quotas = quotas;
        this.concentration = concentration;
        this.stateConfig = stateConfig;
        this.scratchVelocityKeys = scratchVelocityKeys;
        this.scratchDir = scratchDir;
        this.clock = clock;
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
    public Scratch scratch(Path base) throws IOException {
        return new Copy(base);
    }

    /** The group's state in a scratch store of its own (in memory), with its own velocity and quota tallies. */
    private final class Copy implements Scratch {
        private final ShardState copy;
        private final VelocityWindows copyVelocity;
        private final QuotaTally tally;
        private final StateOps.Shared shared;
        private final StateOps.Replayer replayer = new StateOps.Replayer();
        private long timeMs;

        Copy(Path base) throws IOException {
            SnapshotBuilder.deleteTree(scratchDir); // left by a crash during a build
            ShardState s = ShardState.open(scratchDir, stateConfig, clock.time());
            VelocityWindows v = null;
            try {
                v = VelocityWindows.inMemory(scratchVelocityKeys);
                if (base != null) {
                    ShardSnapshot.Header h = ShardSnapshot.verify(base);
                    if (h == null || h.shard() != group) {
                        throw new IOException("snapshot " + base.getFileName() + " of group " + group
                                + " fails its check");
                    }
                    timeMs = h.timeMs();
                    tally = ShardSnapshot.read(base, s, v);
                } else {
                    tally = new QuotaTally();
                }
            } catch (IOException | RuntimeException e) {
                s.close();
                if (v != null) {
                    v.close();
                }
                SnapshotBuilder.deleteTree(scratchDir);
                throw e;
            }
            copy = s;
            copyVelocity = v;
            shared = new StateOps.Shared(v, tally);
        }

        @Override
        public void apply(long position, long frameTimeMs, DirectBuffer payload, int offset, int length) {
            replayer.apply(copy, shared, false, payload, offset, length, frameTimeMs);
            timeMs = frameTimeMs;
        }

        @Override
        public void write(Path file, long position, Placed placed) throws IOException {
            ShardSnapshot.write(file, group, position, timeMs, placed == null ? -1 : placed.node(),
                    placed == null ? -1 : placed.index(), copy, copyVelocity, tally);
        }

        @Override
        public void close() throws IOException {
            try {
                copy.close();
                copyVelocity.close();
            } finally {
                SnapshotBuilder.deleteTree(scratchDir);
            }
        }
    }
}
