package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.LogFrames;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupReplica} and {@link RatisShardLog} with batched entries, without Raft: the entries the log submits are
 * captured, and committed entries are fed to the replica as Ratis feeds them. A follower applies a batch's frames in
 * order, the leader counts its own, a deposed leader with a batched uncommitted tail fail-stops, an entry it cannot
 * read stops it, and a hand-over waits until every frame sent is committed.
 */
class GroupReplicaBatchTest {
    private final List<Long> applied = new ArrayList<>();
    private final AtomicInteger failStops = new AtomicInteger();
    private final GroupReplica replica = new GroupReplica(0, (position, timeMs, payload, offset, length) ->
            applied.add(position), (group, leader, term) -> { }, failStops::incrementAndGet);
    /** What the log submitted, and the replies it waits for, in order. */
    private final List<byte[]> submitted = new ArrayList<>();
    private final List<CompletableFuture<RaftClientReply>> replies = new ArrayList<>();
    private long index;

    private static final byte[] PAYLOAD = {1, 2, 3, 4, 5};
    private static final long FRAME = LogFrames.frameLength(PAYLOAD.length);

    private void feed(long term, byte[] entry) {
        LogEntryProto proto = LogEntryProto.newBuilder().setTerm(term).setIndex(++index)
                .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFrom(entry)))
                .build();
        replica.applyTransaction(TransactionContext.newBuilder().setStateMachine(replica).setLogEntry(proto).build());
    }

    /** A batch of {@code frames} frames from {@code position}, as another leader's log would send it. */
    private static byte[] batch(long position, int frames) {
        FrameBatch b = new FrameBatch();
        for (int i = 0; i < frames; i++) {
            b.add(position + i * FRAME, 1_000 + i, new UnsafeBuffer(PAYLOAD), 0, PAYLOAD.length);
        }
        return b.take();
    }

    private RatisShardLog lead(long term) {
        replica.lock();
        try {
            return replica.lead(term, this::capture);
        } finally {
            replica.unlock();
        }
    }

    /** Another leader's frame in term 1, then this replica leads in term 2. */
    private RatisShardLog leadAfterAForeignFrame() {
        feed(1, batch(0, 1));
        return lead(2);
    }

    private CompletableFuture<RaftClientReply> capture(Message m) {
        submitted.add(m.getContent().toByteArray());
        CompletableFuture<RaftClientReply> f = new CompletableFuture<>();
        replies.add(f);
        return f;
    }

    private static RaftClientReply success() {
        return RaftClientReply.newBuilder().setClientId(ClientId.randomId()).setServerId(RaftPeerId.valueOf("n0"))
                .setGroupId(RaftGroupId.randomId()).setCallId(1).setSuccess().build();
    }

    private static void append(RatisShardLog log, int frames) {
        for (int i = 0; i < frames; i++) {
            log.append(2_000, new UnsafeBuffer(PAYLOAD), 0, PAYLOAD.length);
        }
    }

    @Test
    void aFollowerAppliesTheFramesOfABatchInOrder() {
        feed(1, batch(0, 3));
        feed(1, batch(3 * FRAME, 2));
        assertEquals(List.of(0L, FRAME, 2 * FRAME, 3 * FRAME, 4 * FRAME), applied);
        assertEquals(5 * FRAME, replica.appliedEnd());
        assertEquals(0, failStops.get());
    }

    @Test
    void aFollowerAppliesOldOneFrameEntriesAndBatchesInOneLog() {
        feed(1, FrameStateMachine.entry(0, 1_000, new UnsafeBuffer(PAYLOAD), 0, PAYLOAD.length));
        feed(2, batch(FRAME, 2));
        assertEquals(List.of(0L, FRAME, 2 * FRAME), applied);
        assertEquals(3 * FRAME, replica.appliedEnd());
    }

    @Test
    void theLogSendsAPassAsOneEntryAndWhatComesDuringTheCommitAsTheNext() {
        RatisShardLog log = leadAfterAForeignFrame();
        append(log, 3);
        assertTrue(submitted.isEmpty(), "nothing goes before the pass ends");
        log.flush();
        assertEquals(1, submitted.size());
        append(log, 2);
        log.flush();
        List<Boolean> released = new ArrayList<>();
        log.whenDurable(log.appendedPosition(), released::add);
        assertEquals(1, submitted.size(), "one entry in flight: the next pass waits for its reply");
        replies.get(0).complete(success());
        assertEquals(FRAME + 3 * FRAME, log.durablePosition());
        assertEquals(2, submitted.size(), "the reply sends what was appended meanwhile");
        assertEquals(FRAME + 3 * FRAME + 2 * FRAME, FrameBatch.read(new UnsafeBuffer(submitted.get(1)), null));
        assertEquals(FRAME + 3 * FRAME, FrameBatch.start(new UnsafeBuffer(submitted.get(1))));
        assertTrue(released.isEmpty(), "released only once its own entry is committed");
        replies.get(1).complete(success());
        assertEquals(List.of(true), released);
        // the group commits the leader's entries: counted, not applied again
        feed(2, submitted.get(0));
        feed(2, submitted.get(1));
        assertEquals(List.of(0L), applied);
        assertEquals(log.appendedPosition(), replica.appliedEnd());
        feed(3, batch(replica.appliedEnd(), 1)); // deposed cleanly: it follows
        assertEquals(0, failStops.get());
        assertEquals(2, applied.size());
    }

    @Test
    void aDeposedLeaderWithABatchedUncommittedTailStops() {
        RatisShardLog log = leadAfterAForeignFrame();
        append(log, 3);
        log.flush();
        append(log, 2); // held: an entry is in flight
        log.flush();
        feed(2, submitted.get(0)); // the first batch is committed, the held one never is
        assertEquals(0, failStops.get());
        assertFalse(log.appendedPosition() == replica.appliedEnd());
        feed(3, batch(replica.appliedEnd(), 1)); // the new leader's frame
        assertEquals(1, failStops.get(), "its memory holds effects the group lost");
        assertFalse(replica.serving());
    }

    @Test
    void aFailedLogSendsNothingItHeldAndRefusesItsAnswers() {
        RatisShardLog log = leadAfterAForeignFrame();
        append(log, 1);
        log.flush();
        append(log, 1);
        List<Boolean> released = new ArrayList<>();
        log.whenDurable(log.appendedPosition(), released::add);
        replies.get(0).completeExceptionally(new IllegalStateException("not the leader"));
        assertEquals(List.of(false), released);
        assertEquals(1, submitted.size(), "the held batch is never sent");
        assertTrue(log.lostFrame());
        replica.notifyTermIndexUpdated(3, ++index);
        assertEquals(1, failStops.get());
    }

    @Test
    void anEntryThisBuildCannotReadStopsTheReplica() {
        byte[] unknown = new byte[32];
        new UnsafeBuffer(unknown).putLong(0, 0xF0B4_7C40_0000_0007L, ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalStateException.class, () -> feed(1, unknown));
        assertEquals(1, failStops.get());
        assertTrue(applied.isEmpty());
    }

    @Test
    void aTruncatedBatchIsNotAppliedInPart() {
        byte[] entry = batch(0, 3);
        byte[] cut = java.util.Arrays.copyOf(entry, entry.length - 1);
        assertThrows(IllegalStateException.class, () -> feed(1, cut));
        assertTrue(applied.isEmpty(), "none of its frames");
        assertEquals(0, replica.appliedEnd());
    }

    @Test
    void aHandOverStopsTheShardAndWaitsUntilItsFramesAreCommitted() throws Exception {
        RatisShardLog log = leadAfterAForeignFrame();
        append(log, 2);
        log.flush();
        CompletableFuture<Boolean> committed = replica.stopForHandOver();
        assertFalse(replica.serving(), "no more commands once the hand-over starts");
        assertFalse(committed.isDone(), "its frames are in flight");
        assertNull(replica.stopForHandOver(), "one hand-over at a time");
        replies.get(0).complete(success());
        assertTrue(committed.get());
        assertEquals(2, replica.handOverTerm());
        replica.resumeAfterHandOver();
        assertEquals(-1, replica.handOverTerm());
        assertEquals(0, failStops.get());
    }
}
