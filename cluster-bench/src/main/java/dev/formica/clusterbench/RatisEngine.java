package dev.formica.clusterbench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * Apache Ratis over gRPC: three peers of one Raft group, each a {@link RaftServer} with a state machine that counts
 * the entry. A client's {@code send} returns once the entry is committed and applied on the leader. Defaults
 * throughout (the log is flushed to disk before an entry counts as written) but for an election timeout of
 * 0.5-1 s (0.15-0.3 s by default) so that failure detection is close to the other engines' settings. The
 * {@code ratis-nosync} variant enables Ratis's unsafe flush: an entry counts once written, not once synced.
 */
final class RatisEngine implements Engine {

    static final RaftGroup GROUP = group();
    private final boolean sync;

    /** {@code sync}: Ratis's default, the log is flushed to disk before an entry counts; else unsafe flush. */
    RatisEngine(boolean sync) {
        this.sync = sync;
    }

    static RaftGroup group() {
        List<RaftPeer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            peers.add(RaftPeer.newBuilder().setId("n" + i).setAddress(Ports.HOST + ":" + Ports.ratis(i)).build());
        }
        return RaftGroup.valueOf(RaftGroupId.valueOf(UUID.fromString("f0f0f0f0-0000-4000-8000-000000000022")), peers);
    }

    static RaftProperties properties() {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(500, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        return p;
    }

    @Override
    public void runNode(int id, Path dir) throws Exception {
        RaftProperties p = properties();
        GrpcConfigKeys.Server.setPort(p, Ports.ratis(id));
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, !sync);
        RaftServerConfigKeys.setStorageDir(p, List.of(dir.resolve("ratis-node-" + id).toFile()));
        RaftServer server = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf("n" + id))
                .setStateMachine(new CountingStateMachine()).setProperties(p).setGroup(GROUP).build();
        server.start();
        System.out.println("ratis node " + id + " started");
        new CountDownLatch(1).await();
    }

    @Override
    public Writer connect(Path dir) {
        RaftClient client = RaftClient.newBuilder().setProperties(properties()).setRaftGroup(GROUP)
                .setRetryPolicy(RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(20, TimeUnit.MILLISECONDS)))
                .build();
        return new Writer() {
            private int leader = -1;

            @Override
            public void commit(byte[] entry) throws Exception {
                RaftClientReply reply = client.io().send(Message.valueOf(ByteString.copyFrom(entry)));
                if (!reply.isSuccess()) {
                    throw new IllegalStateException("not committed: " + reply.getException());
                }
                leader = Integer.parseInt(reply.getServerId().toString().substring(1));
            }

            @Override
            public int leader() {
                return leader;
            }

            @Override
            public void close() {
                try {
                    client.close();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /** The state machine: takes each committed entry in order and counts it. */
    static final class CountingStateMachine extends BaseStateMachine {
        private long entries;

        @Override
        public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
            LogEntryProto entry = trx.getLogEntry();
            entries++;
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.EMPTY);
        }
    }
}
