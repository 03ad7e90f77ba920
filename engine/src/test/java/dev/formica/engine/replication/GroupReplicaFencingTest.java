package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.LogFrames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupReplica} without Raft: committed entries are fed as Ratis would feed them, and the shard's appends go
 * to a submit that never answers (the leader was cut off). Another leader's frames are applied, the replica's own are
 * not, and a replica whose memory holds effects the group did not commit stops instead of following on it.
 */
class GroupReplicaFencingTest {
    private final List<Long> applied = new ArrayList<>();
    private final AtomicInteger failStops = new AtomicInteger();
    private final GroupReplica replica = new GroupReplica(0, (position, timeMs, payload, offset, length) ->
            applied.add(position), (group, leader, term) -> { }, failStops::incrementAndGet);
    private final List<CompletableFuture<RaftClientReply>> pending = new ArrayList<>();
    private long index;

    private static final byte[] PAYLOAD = {1, 2, 3, 4, 5};

    /** Commits a frame at {@code position} of {@code term}; returns the position after it. */
    private long commit(long term, long position) {
        byte[] entry = FrameStateMachine.entry(position, 1_000, new UnsafeBuffer(PAYLOAD), 0, PAYLOAD.length);
        LogEntryProto proto = LogEntryProto.newBuilder().setTerm(term).setIndex(++index)
                .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFrom(entry)))
                .build();
        replica.applyTransaction(TransactionContext.newBuilder().setStateMachine(replica).setLogEntry(proto).build());
        return position + LogFrames.frameLength(PAYLOAD.length);
    }

    private RatisShardLog lead(long term) {
        replica.lock();
        try {
            return replica.lead(term, this::neverAnswered);
        } finally {
            replica.unlock();
        }
    }

    private CompletableFuture<RaftClientReply> neverAnswered(Message m) {
        CompletableFuture<RaftClientReply> f = new CompletableFuture<>();
        pending.add(f);
        return f;
    }

    private static void append(RatisShardLog log) {
        log.append(2_000, new UnsafeBuffer(PAYLOAD), 0, PAYLOAD.length);
        log.flush(); // the end of the shard's pass: one frame per pass here
    }

    @Test
    void shouldApplyAnotherLeadersFramesInOrder() {
        long next = commit(1, 0);
        next = commit(1, next);
        assertEquals(List.of(0L, (long) LogFrames.frameLength(PAYLOAD.length)), applied);
        assertEquals(next, replica.appliedEnd());
        assertEquals(2, replica.getLastAppliedTermIndex().getIndex());
        assertThrows(IllegalStateException.class, () -> commit(1, 999));
        assertEquals(1, failStops.get(), "a gap in the frames stops the replica");
    }

    @Test
    void shouldNotApplyItsOwnFramesAgain() {
        long next = commit(1, 0);
        RatisShardLog log = lead(2);
        append(log);
        append(log);
        next = commit(2, next);
        next = commit(2, next);
        assertEquals(List.of(0L), applied, "its own frames are in its memory already");
        assertEquals(next, replica.appliedEnd());
        // deposed with nothing uncommitted: it follows the next leader on the same memory
        long foreign = commit(3, next);
        assertEquals(List.of(0L, next), applied);
        assertEquals(foreign, replica.appliedEnd());
        assertEquals(0, failStops.get());
    }

    @Test
    void shouldStopWhenDeposedWithEffectsTheGroupDidNotCommit() {
        long next = commit(1, 0);
        RatisShardLog log = lead(2);
        append(log); // committed below
        append(log); // never committed: the new leader's log does not have it
        next = commit(2, next);
        assertEquals(0, failStops.get());
        commit(3, next); // the new leader's first frame
        assertEquals(1, failStops.get(), "its memory holds an effect the group lost");
        assertFalse(replica.serving());
    }

    @Test
    void shouldStopWhenAFrameWasRefusedByTheFailedLog() {
        commit(1, 0);
        RatisShardLog log = lead(2);
        append(log);
        pending.get(0).completeExceptionally(new IllegalStateException("not the leader"));
        assertTrue(log.failed());
        assertThrows(IllegalStateException.class, () -> append(log));
        assertTrue(log.lostFrame(), "the refused frame's effects are in memory only");
        replica.notifyTermIndexUpdated(3, ++index); // the new leader's start entry
        assertEquals(1, failStops.get());
    }

    @Test
    void shouldRefuseAnswersWaitingOnAFailedLog() {
        commit(1, 0);
        RatisShardLog log = lead(2);
        append(log);
        List<Boolean> released = new ArrayList<>();
        log.whenDurable(log.appendedPosition(), released::add);
        pending.get(0).completeExceptionally(new IllegalStateException("not the leader"));
        assertEquals(List.of(false), released, "an answer is never released on a log that lost its entry");
    }
}
