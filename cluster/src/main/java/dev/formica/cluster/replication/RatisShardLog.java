package dev.formica.cluster.replication;

import dev.formica.engine.log.LogFrames;
import dev.formica.engine.log.ShardLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * A shard log replicated by Apache Ratis: each frame is one entry of the shard's Raft group, and a frame counts as
 * durable once Ratis has committed it (a majority of the group holds it in its Ratis log, synced to disk with Ratis's
 * defaults) and the leader's state machine has taken it. Positions are those the local shard log would give the same
 * frames ({@link LogFrames#frameLength}), so the shard's code sees no difference.
 *
 * <p>Built so far: append, the durable position, the releases, in-order delivery to every replica's
 * {@link FrameApplier}. Not built: this log is not the node's local shard log too (a leader keeps no segment of its
 * own), reading from a position, snapshots, binding the shard's writer to the group's leadership (a writer on a
 * non-leader is redirected by the Ratis client to the leader, which must never happen in the engine) and the server's
 * wiring. See docs/cluster.md.
 *
 * <p>Thread contract: {@link #append} and {@link #whenDurable} from the shard's single writer; {@link #durablePosition}
 * from any thread; releases run on a Ratis client thread (as {@code LogWriter}'s run on the writer thread).
 */
public final class RatisShardLog implements ShardLog, AutoCloseable {
    private final RaftClient client;
    private final Object lock = new Object();
    /** Guarded by lock: the end positions of the frames sent and not yet durable, in append order. */
    private final ArrayDeque<Long> inFlight = new ArrayDeque<>();
    /** Guarded by lock: end positions committed ahead of an earlier frame's reply. */
    private final Set<Long> committedAhead = new HashSet<>();
    /** Guarded by lock: waiting releases, by position. */
    private final PriorityQueue<Waiting> waiting = new PriorityQueue<>((a, b) -> Long.compare(a.position, b.position));
    /** Shard thread only. */
    private long appended;
    private volatile long durable;
    private volatile boolean failed;

    private record Waiting(long position, Release release) {
    }

    /**
     * @param client        a client of the shard's group (its own; this log closes it)
     * @param startPosition the position of the first frame: the end of what the group already holds
     */
    public RatisShardLog(RaftClient client, long startPosition) {
        this.client = client;
        this.appended = startPosition;
        this.durable = startPosition;
    }

    @Override
    public long append(long timeMs, DirectBuffer payload, int offset, int length) {
        if (failed) {
            throw new IllegalStateException("the replicated shard log failed; see the log");
        }
        int frame = LogFrames.frameLength(length);
        if (frame > LogFrames.MAX_FRAME) {
            throw new IllegalArgumentException("frame of " + frame + " bytes exceeds " + LogFrames.MAX_FRAME);
        }
        byte[] entry = new byte[FrameStateMachine.ENTRY_HEADER + length];
        UnsafeBuffer out = new UnsafeBuffer(entry);
        out.putLong(0, appended, FrameStateMachine.ORDER);
        out.putLong(Long.BYTES, timeMs, FrameStateMachine.ORDER);
        payload.getBytes(offset, entry, FrameStateMachine.ENTRY_HEADER, length);
        long end = appended + frame;
        synchronized (lock) {
            inFlight.addLast(end);
        }
        appended = end;
        // the async client keeps the order of its requests (a sliding window): entries are committed in append order
        client.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)))
            .whenComplete((reply, error) -> onReply(end, reply, error));
        return end;
    }

    private void onReply(long end, RaftClientReply reply, Throwable error) {
        if (error != null || !reply.isSuccess()) {
            fail();
            return;
        }
        List<Release> ready = new ArrayList<>();
        synchronized (lock) {
            committedAhead.add(end);
            long newDurable = durable;
            while (!inFlight.isEmpty() && committedAhead.remove(inFlight.peekFirst())) {
                newDurable = inFlight.pollFirst();
            }
            durable = newDurable;
            while (!waiting.isEmpty() && waiting.peek().position <= newDurable) {
                ready.add(waiting.poll().release);
            }
        }
        for (Release r : ready) {
            r.release(true);
        }
    }

    private void fail() {
        List<Release> refused = new ArrayList<>();
        synchronized (lock) {
            failed = true;
            while (!waiting.isEmpty()) {
                refused.add(waiting.poll().release);
            }
        }
        for (Release r : refused) {
            r.release(false);
        }
    }

    @Override
    public long appendedPosition() {
        return appended;
    }

    /** Everything before it is committed by the group. */
    @Override
    public long durablePosition() {
        return durable;
    }

    @Override
    public void whenDurable(long position, Release release) {
        boolean now;
        synchronized (lock) {
            if (failed) {
                now = false;
            } else if (position <= durable) {
                now = true;
            } else {
                waiting.add(new Waiting(position, release));
                return;
            }
        }
        release.release(now);
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
