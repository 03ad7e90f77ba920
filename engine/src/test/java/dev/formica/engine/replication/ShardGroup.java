package dev.formica.engine.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;

/**
 * One shard's Raft group on its own, for tests of the replicated log (the server's groups are
 * {@link GroupLayout}'s): its peers ({@code r0, r1, ...} at the given addresses), a replica of it in this process
 * and a client of it. The settings are those cluster-bench measured: gRPC, an election timeout of 0.5-1 s, the Ratis
 * log synced before an entry counts as written (Ratis's default).
 */
public final class ShardGroup {
    private final RaftGroup group;

    /**
     * @param id        the group's id (e.g. derived from the shard's partition group)
     * @param addresses {@code host:port} of every replica, the same list in the same order on every node
     */
    public ShardGroup(UUID id, List<String> addresses) {
        List<RaftPeer> peers = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            peers.add(RaftPeer.newBuilder().setId(peerId(i)).setAddress(addresses.get(i)).build());
        }
        this.group = RaftGroup.valueOf(RaftGroupId.valueOf(id), peers);
    }

    public RaftGroup group() {
        return group;
    }

    static RaftPeerId peerId(int index) {
        return RaftPeerId.valueOf("r" + index);
    }

    static RaftProperties properties() {
        return ReplicaNode.properties();
    }

    /**
     * Starts replica {@code index} with its Ratis log under {@code dir}; committed frames go to {@code applier}.
     * {@code recover}: the directory holds this replica's log from an earlier start (else it is formatted).
     */
    public RaftServer startReplica(int index, Path dir, FrameApplier applier, boolean recover) throws IOException {
        return startReplica(index, dir, applier, recover, p -> { });
    }

    /** As above, with {@code tune} changing the replica's Ratis settings (e.g. a small log segment). */
    public RaftServer startReplica(int index, Path dir, FrameApplier applier, boolean recover,
            Consumer<RaftProperties> tune) throws IOException {
        RaftProperties p = properties();
        tune.accept(p);
        String address = group.getPeer(peerId(index)).getAddress();
        GrpcConfigKeys.Server.setPort(p, Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        RaftServerConfigKeys.setStorageDir(p, List.of(dir.toFile()));
        RaftServer server = RaftServer.newBuilder().setServerId(peerId(index)).setGroup(group).setProperties(p)
                .setStateMachine(new FrameStateMachine(applier))
                .setOption(recover ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .build();
        server.start();
        return server;
    }

    /** A client of the group that retries (every 20 ms) until the group has a leader that commits. */
    /** A log that sends through a new client of the group (its own; the log closes it). */
    public RatisShardLog log(long startPosition) {
        RaftClient client = client();
        return new RatisShardLog(m -> client.async().send(m), startPosition, client);
    }

    public RaftClient client() {
        return RaftClient.newBuilder().setProperties(properties()).setRaftGroup(group)
            .setRetryPolicy(RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(20, TimeUnit.MILLISECONDS)))
            .build();
    }
}
