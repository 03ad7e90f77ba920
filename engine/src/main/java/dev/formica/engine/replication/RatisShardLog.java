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
 * A shard log replicated by Apache Ratis: the frames a shard appends go to the shard's Raft group in batches, one
 * Ratis entry per batch ({@link FrameBatch}), and a frame counts as durable once Ratis has committed its entry (a
 * majority of the group holds it in its Ratis log, synced to disk with Ratis's defaults) and the leader's state
 * machine has taken it. Positions are those the local shard log would give the same frames
 * ({@link LogFrames#frameLength}), so the shard's code sees no difference.
 *
 * <p><b>Batches (group commit).</b> {@link #append} only adds the frame to the open batch. The batch goes out as one
 * entry when the shard's pass ends ({@link #flush}, called by the gate of a replicated shard) or an answer starts
 * waiting for it ({@link #whenDurable}), but only while fewer than {@link #MAX_IN_FLIGHT} entries of this log are in
 * flight; otherwise it keeps growing, and the reply of the entry in flight sends it. So a quiet shard sends each pass
 * at once, and a busy one sends one entry per commit round trip with everything appended meanwhile: Ratis's
 * per-entry cost (appendEntries, log worker, sync, state-machine updater) is paid per batch, and the entries a group
 * must commit per second stop growing with the load. A batch is closed at {@link #MAX_BATCH_BYTES}. Frames not sent
 * yet are uncommitted effects like frames in flight: the fencing rules of {@link GroupReplica} count them
 * ({@link #appendedPosition}).
 *
 * <p>In the server the entries go to the node's own Raft division ({@link GroupReplica#servingLog}), never through a
 * client that would follow the group's leader elsewhere: a division that is not the leader refuses, the log fails, and
 * every answer waiting on it is refused ({@code false}), never released. A failed log accepts no more frames and sends
 * none of those it holds.
 *
 * <p>Thread contract: {@link #append}, {@link #flush} and {@link #whenDurable} from the shard's single writer;
 * {@link #durablePosition} from any thread; replies, releases and the sending of held batches run on Ratis threads
 * (as {@code LogWriter}'s run on the writer thread). Entries are submitted one at a time, in position order, never
 * under this log's lock (Ratis may complete a reply while it holds its own).
 */
public final class RatisShardLog implements ShardLog, AutoCloseable {
    /** A batch is closed before it grows past this (a frame alone may be up to {@link LogFrames#MAX_FRAME}). */
    static final int MAX_BATCH_BYTES = 256 * 1024;
    /** Entries of one log in flight at most: what is appended meanwhile waits for a reply and goes as one entry. */
    static final int MAX_IN_FLIGHT = 1;

    private final Function<Message, CompletableFuture<RaftClientReply>> submit;
    private final AutoCloseable resource;
    private final Object lock = new Object();
    /** Guarded by lock: the frames appended and not closed into an entry yet. */
    private final FrameBatch batch = new FrameBatch();
    /** Guarded by lock: closed batches waiting for room in flight, in position order. */
    private final ArrayDeque<Sealed> closed = new ArrayDeque<>();
    /** Guarded by lock: the end positions of the entries sent and not yet durable, in send order. */
    private final ArrayDeque<Long> inFlight = new ArrayDeque<>();
    /** Guarded by lock: end positions committed ahead of an earlier entry's reply. */
    private final Set<Long> committedAhead = new HashSet<>();
    /** Guarded by lock: waiting releases, by position. */
    private final PriorityQueue<Waiting> waiting = new PriorityQueue<>((a, b) -> Long.compare(a.position, b.position));
    /** Guarded by lock: a thread is submitting an entry (submits happen one at a time, outside the lock). */
    private boolean sending;
    /** Guarded by lock: the position after the open batch's last frame. */
    private long batchEnd;
    /** Shard thread only (or under the group's lock). */
    private long appended;
    private volatile long durable;
    private volatile boolean failed;
    /** A frame was refused, or never sent, because the log had failed: the shard's memory holds effects no log has. */
    private volatile boolean lostFrame;

    private record Waiting(long position, Release release) {
    }

    /** An entry ready to send: its bytes and the position after its last frame. */
    private record Sealed(byte[] entry, long end) {
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
        this.batchEnd = startPosition;
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
        synchronized (lock) {
            if (!batch.isEmpty() && batch.size() + FrameBatch.FRAME_HEADER + length > MAX_BATCH_BYTES) {
                closed.addLast(new Sealed(batch.take(), batchEnd));
            }
            batch.add(appended, timeMs, payload, offset, length);
            batchEnd = appended + frame;
        }
        appended += frame;
        return appended;
    }

    /**
     * Sends what was appended as one entry if fewer than {@link #MAX_IN_FLIGHT} are in flight (else the reply of the
     * one in flight sends it): the end-of-pass hook of a replicated shard.
     */
    public void flush() {
        pump();
    }

    /** Submits closed and open batches while there is room in flight, one thread at a time, never under the lock. */
    private void pump() {
        while (true) {
            Sealed next;
            synchronized (lock) {
                if (sending || failed || inFlight.size() >= MAX_IN_FLIGHT) {
                    return;
                }
                next = closed.pollFirst();
                if (next == null) {
                    if (batch.isEmpty()) {
                        return;
                    }
                    next = new Sealed(batch.take(), batchEnd);
                }
                inFlight.addLast(next.end);
                sending = true;
            }
            CompletableFuture<RaftClientReply> reply;
            try {
                reply = submit.apply(Message.valueOf(UnsafeByteOperations.unsafeWrap(next.entry)));
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            } finally {
                synchronized (lock) {
                    sending = false;
                }
            }
            long end = next.end;
            reply.whenComplete((r, error) -> onReply(end, r, error));
        }
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
        pump(); // what was appended while this entry was in flight
    }

    private void fail() {
        List<Release> refused = new ArrayList<>();
        synchronized (lock) {
            failed = true;
            if (!batch.isEmpty() || !closed.isEmpty()) {
                lostFrame = true; // appended, never sent: in memory only
                batch.clear();
                closed.clear();
            }
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

    /** Whether a frame was refused or never sent after the failure: the shard's memory holds effects no log holds. */
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

    /** Also sends the open batch (room in flight permitting): an answer waits for it. */
    @Override
    public void whenDurable(long position, Release release) {
        boolean now = false;
        boolean queued = false;
        synchronized (lock) {
            if (position <= durable) {
                now = true;
            } else if (!failed) {
                waiting.add(new Waiting(position, release));
                queued = true;
            }
        }
        if (queued) {
            pump();
        } else {
            release.release(now);
        }
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
