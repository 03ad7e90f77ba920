package dev.formica.engine.replication;

import dev.formica.engine.log.LogFrames;
import dev.formica.engine.log.ShardLog;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.agrona.DirectBuffer;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * A shard log replicated by Apache Ratis: each frame is one entry of the shard's Raft group, and a frame counts as
 * durable once Ratis has committed it (a majority of the group holds it in its Ratis log, synced to disk with Ratis's
 * defaults) and the leader's state machine has taken it. Positions are those the local shard log would give the same
 * frames ({@link LogFrames#frameLength}), so the shard's code sees no difference.
 *
 * <p>In the server the entries go to the node's own Raft division ({@link GroupReplica#servingLog}), never through a
 * client that would follow the group's leader elsewhere: a division that is not the leader refuses, the log fails, and
 * every answer waiting on it is refused ({@code false}), never released. A failed log accepts no more frames.
 *
 * <p>Thread contract: {@link #append} and {@link #whenDurable} from the shard's single writer; {@link #durablePosition}
 * from any thread; releases run on a Ratis thread (as {@code LogWriter}'s run on the writer thread).
 */
public final class RatisShardLog implements ShardLog, AutoCloseable {
    private final Function<Message, CompletableFuture<RaftClientReply>> submit;
    private final AutoCloseable resource;
    private final Object lock = new Object();
    /** Guarded by lock: the end positions of the frames sent and not yet durable, in append order. */
    private final ArrayDeque<Long> inFlight = new ArrayDeque<>();
    /** Guarded by lock: end positions committed ahead of an earlier frame's reply. */
    private final Set<Long> committedAhead = new HashSet<>();
    /** Guarded by lock: waiting releases, by position. */
    private final PriorityQueue<Waiting> waiting = new PriorityQueue<>((a, b) -> Long.compare(a.position, b.position));
    /** Shard thread only (or under the group's lock). */
    private long appended;
    private volatile long durable;
    private volatile boolean failed;
    /** A frame was refused because the log had failed: the shard's memory holds effects no log has. */
    private volatile boolean lostFrame;

    private record Waiting(long position, Release release) {
    }

    /**
     * @param submit        sends one entry to the group and completes with Ratis's reply once it is committed and
     *                      applied (or refused)
     * @param startPosition the position of the first frame: the end of what the group already holds
     * @param resource      closed with this log (a client), or null
     */
    public RatisShardLog(Function<Message, CompletableFuture<RaftClientReply>> submit, long startPosition,
            AutoCloseable resource) {
        this.submit = submit;
        this.resource = resource;
        this.appended = startPosition;
        this.durable = startPosition;
    }

    @Override
    public long append(long timeMs, DirectBuffer payload, int offset, int length) {
        if (failed) {
            lostFrame = true;
            throw new IllegalStateException("the replicated shard log failed; see the log");
        }
        int frame = LogFrames.frameLength(length);
        if (frame > LogFrames.MAX_FRAME) {
            lostFrame = true;
            throw new IllegalArgumentException("frame of " + frame + " bytes exceeds " + LogFrames.MAX_FRAME);
        }
        byte[] entry = FrameStateMachine.entry(appended, timeMs, payload, offset, length);
        long end = appended + frame;
        synchronized (lock) {
            inFlight.addLast(end);
        }
        appended = end;
        // entries are sent in append order from one thread; the group's log keeps that order
        submit.apply(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)))
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

    /** Whether an entry was refused or lost (not the leader any more, the group closed): nothing more is taken. */
    public boolean failed() {
        return failed;
    }

    /** Whether a frame was refused after the failure, so the shard's memory holds effects that no log holds. */
    public boolean lostFrame() {
        return lostFrame;
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
            if (position <= durable) {
                now = true;
            } else if (failed) {
                now = false;
            } else {
                waiting.add(new Waiting(position, release));
                return;
            }
        }
        release.release(now);
    }

    @Override
    public void close() {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the replicated log's client failed: " + e.getMessage(), e);
        }
    }
}
