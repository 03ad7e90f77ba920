package dev.formica.engine.replication;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a group's snapshot file holds and how it is read and built, for {@link GroupSnapshots}, which knows only
 * Raft indexes, files and frames. The server's is the pipeline's, which writes the single-node server's shard
 * snapshot format (the shard's stores and its contributions to the engine-wide velocity and quota tables).
 *
 * <p>A group's snapshot also records where the group was placed ({@link Placement}) as of its Raft index, so that a
 * replica that installs it (a new member, a lost disk) knows a move made before it: the entry that recorded the move
 * may have been purged.
 *
 * <p>Thread contract: {@link #verify} from any thread; {@link #load} with the group's lock held and nothing
 * applied to the group's memory since the start; a {@link Scratch} from one builder thread.
 */
public interface SnapshotCodec extends AutoCloseable {

    /** The shard-log position a valid snapshot file of this group stands at, or -1 (checksum, format, group). */
    long verify(Path file);

    /**
     * Where the group was placed as of a file {@link #verify} accepted: the node and the Raft index of the placement
     * entry, or null when the file records none (the group was never moved, or a file written before placements).
     */
    Placed placement(Path file) throws IOException;

    /** A group's placement as a snapshot records it: node {@code node} by the placement entry at Raft {@code index}. */
    record Placed(int node, long index) {
    }

    /** Loads a file {@link #verify} accepted into the group's empty memory; answers its position. */
    long load(Path file) throws IOException;

    /**
     * A scratch copy of the group's state as {@code base} holds it (a file {@link #verify} accepted, at shard-log
     * position {@code basePosition}; null: the empty log), ready to take the frames after it: loaded from the file,
     * or the copy the last build wrote it from when that file is still the one it wrote.
     */
    Scratch scratch(Path base, long basePosition) throws IOException;

    /** Drops what the codec keeps between builds (a scratch copy); the group builds no more snapshots. */
    @Override
    default void close() throws IOException {
    }

    /** A copy of a group's state off the shard's path: frames applied to it, then written as a snapshot. */
    interface Scratch extends FrameApplier, AutoCloseable {
        /**
         * Writes the copy as a snapshot standing at shard-log {@code position}, durably (a whole file or none), with
         * the group's placement as of it ({@code placed}; null: none recorded yet).
         */
        void write(Path file, long position, Placed placed) throws IOException;

        /** Ends the build's use of the copy: a copy not written since its last frame is not used again. */
        @Override
        void close() throws IOException;
    }
}
