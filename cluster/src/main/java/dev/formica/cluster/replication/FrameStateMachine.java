package dev.formica.cluster.replication;

import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;

/**
 * The Ratis state machine of one shard's group: every committed entry is one frame (see {@link RatisShardLog}),
 * handed in log order to the replica's {@link FrameApplier}. Snapshots are not built: a replica that restarts replays
 * the group's whole Ratis log.
 */
public final class FrameStateMachine extends BaseStateMachine {
    /** An entry: the frame's start position, its time, then the payload. */
    static final int ENTRY_HEADER = 16;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final FrameApplier applier;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);

    public FrameStateMachine(FrameApplier applier) {
        this.applier = applier;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        // one copy per frame: Ratis hands a read-only buffer, which Agrona cannot wrap
        view.wrap(entry.getStateMachineLogEntry().getLogData().toByteArray());
        long position = view.getLong(0, ORDER);
        long timeMs = view.getLong(Long.BYTES, ORDER);
        applier.apply(position, timeMs, view, ENTRY_HEADER, view.capacity() - ENTRY_HEADER);
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(Message.EMPTY);
    }
}
