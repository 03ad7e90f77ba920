package dev.formica.engine.log;

import org.agrona.DirectBuffer;

/**
 * One shard's log as its writer sees it: the source of truth for the shard's state. A mutation's operations are
 * appended as one frame; its answer is released only once the frame is durable (see {@link Durability}).
 *
 * <p>This is the seam for replication: an implementation may replicate a frame to followers before it counts as
 * durable; the shard's code does not change.
 *
 * <p>Thread contract: {@link #append} and {@link #whenDurable} from the shard's single writer only;
 * {@link #durablePosition} from any thread.
 */
public interface ShardLog {

    /**
     * Appends one frame; never blocks on the disk (it may wait for room when the writer is far behind).
     *
     * @return the log position after the frame: the frame is durable when {@link #durablePosition} reaches it
     */
    long append(long timeMs, DirectBuffer payload, int offset, int length);

    /** The position after the last frame appended. */
    long appendedPosition();

    /** Everything before this position is durable; increases monotonically. */
    long durablePosition();

    /**
     * Runs {@code release} with true once {@link #durablePosition} reaches {@code position} (at once, on this
     * thread, when it already has), or with false when the log failed and never will.
     */
    void whenDurable(long position, Release release);

    /** What waits for durability: usually a batch of answers. */
    @FunctionalInterface
    interface Release {
        void release(boolean durable);
    }
}
