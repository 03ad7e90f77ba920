package dev.formica.engine.replication;

import org.agrona.DirectBuffer;

/**
 * What a replica does with a committed frame of a shard's replicated log: on a follower, apply it to its own
 * in-memory state. Called on the replica's state-machine thread, in log order, once per committed frame.
 */
@FunctionalInterface
public interface FrameApplier {

    /**
     * @param position the frame's position in the shard log (where it starts)
     * @param timeMs   the frame's time, as the leader logged it
     */
    void apply(long position, long timeMs, DirectBuffer payload, int offset, int length);
}
