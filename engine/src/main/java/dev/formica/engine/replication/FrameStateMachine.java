package dev.formica.engine.replication;

import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;

/**
 * The plainest state machine of a shard's group: the frames of every committed entry (a batch, {@link FrameBatch},
 * or one frame in the format before batches) are handed in log order to the replica's {@link FrameApplier}; the
 * server's is {@link GroupReplica}, which also knows the frames its own shard wrote. This one takes no snapshots
 * (a replica that restarts replays the group's whole Ratis log); the server's does ({@link GroupSnapshots}).
 */
public final class FrameStateMachine extends BaseStateMachine {
    /** A format-1 entry (one frame, before batches): the frame's start position, its time, then the payload. */
    static final int ENTRY_HEADER = FrameBatch.LEGACY_HEADER;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final FrameApplier applier;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);

    public FrameStateMachine(FrameApplier applier) {
        this.applier = applier;
    }

    /** The format-1 Ratis entry of a frame at {@code position} (what builds before batches wrote; tests). */
    static byte[] entry(long position, long timeMs, DirectBuffer payload, int offset, int length) {
        byte[] entry = new byte[ENTRY_HEADER + length];
        UnsafeBuffer out = new UnsafeBuffer(entry);
        out.putLong(0, position, ORDER);
        out.putLong(Long.BYTES, timeMs, ORDER);
        payload.getBytes(offset, entry, ENTRY_HEADER, length);
        return entry;
    }

    /** Wraps {@code view} around the entry's bytes (one copy: Ratis hands a read-only buffer Agrona cannot wrap). */
    static void wrap(UnsafeBuffer view, LogEntryProto entry) {
        view.wrap(entry.getStateMachineLogEntry().getLogData().toByteArray());
    }

    /**
     * Hands every frame of a committed entry to {@code to}, in order, after checking the whole entry; an entry
     * without state-machine data (a configuration or a leader's start entry) has none. The snapshot builder's view
     * of an entry: {@link FrameBatch#read} is what the replicas apply.
     *
     * @return the node a placement entry names ({@link Placement}: no frames), else -1
     */
    static int forEachFrame(LogEntryProto entry, FrameApplier to) {
        if (!entry.hasStateMachineLogEntry()) {
            return -1;
        }
        UnsafeBuffer v = new UnsafeBuffer(new byte[0]);
        wrap(v, entry);
        int placedOn = Placement.nodeOf(v);
        if (placedOn >= 0) {
            return placedOn; // where the group is placed: no frame
        }
        FrameBatch.read(v, null);
        FrameBatch.read(v, to::apply);
        return -1;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        wrap(view, entry);
        if (Placement.nodeOf(view) < 0) {
            FrameBatch.read(view, null);
            FrameBatch.read(view, applier::apply);
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(Message.EMPTY);
    }
}
