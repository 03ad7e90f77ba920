package dev.formica.engine.replication;

import dev.formica.engine.log.LogFrames;
import org.agrona.DirectBuffer;

/**
 * Checks that committed frames arrive in order and without a gap (each at the position the previous one ended),
 * counts them and hands them to a delegate: for tests of a {@link ShardGroup}. The server's replicas check
 * positions themselves ({@link GroupReplica}) and apply frames with the engine's replay code.
 */
public final class InOrderApplier implements FrameApplier {
    private final FrameApplier delegate;
    private long next;
    private long frames;

    /** Expects the first frame at {@code startPosition}. */
    public InOrderApplier(long startPosition, FrameApplier delegate) {
        this.next = startPosition;
        this.delegate = delegate;
    }

    @Override
    public void apply(long position, long timeMs, DirectBuffer payload, int offset, int length) {
        if (position != next) {
            throw new IllegalStateException("frame at " + position + ", expected " + next);
        }
        delegate.apply(position, timeMs, payload, offset, length);
        next = position + LogFrames.frameLength(length);
        frames++;
    }

    /** The position after the last frame applied. */
    public long appliedPosition() {
        return next;
    }

    public long frames() {
        return frames;
    }
}
