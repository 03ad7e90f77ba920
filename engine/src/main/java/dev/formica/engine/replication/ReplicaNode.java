package dev.formica.engine.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;

/**
 * A node's Raft server: one port and one storage directory for every group the node hosts ({@link GroupLayout}),
 * each group's state machine the node's {@link GroupReplica} of it. A restart recovers every group from its
 * newest snapshot and the Ratis log after it in the storage directory ({@link GroupSnapshots}). While it runs, it
 * hands each group it leads back to the group's own node when that node follows ({@link LeaderHandOver}).
 *
 * <p>Thread contract: {@link #start} and {@link #close} from the controlling thread.
 */
public final class ReplicaNode implements AutoCloseable {
    /** Raft's election timeout: a leader silent for 0.5-1 s is replaced (cluster-bench's setting). */
    static final long ELECTION_MIN_MS = 500;
    static final long ELECTION_MAX_MS = 1000;
    /**
     * How long a leader that stepped down for want of a majority's heartbeat replies stays out of elections (Ratis's
     * default is 10 s): one election timeout, so the other replica gets the first chance, and then the only replica
     * that can win (with one of three down, the one whose log is longest) stands again instead of leaving its group
     * without a leader for 10 s. Ratis also steps every leader down on a JVM pause longer than this.
     */
    static final long STEP_DOWN_WAIT_MS = ELECTION_MAX_MS;
    /** Entries a leader keeps in flight before it refuses more (Ratis's default is 4096). */
    static final int PENDING_WRITES = 65_536;

    private final RaftServer server;
    /** Hands each group back to its own node when it leads another's (null until the groups are added). */
    private LeaderHandOver handOver;
    /** Moves on the operator's word, on the hand-over's thread (null until the groups are added). */
    private GroupMoves moves;
    /** Membership changes on the operator's word, on the hand-over's thread (null until the groups are added). */
    private GroupMembers members;

    private ReplicaNode(RaftServer server) {
        this.server = server;
    }

    /** Raft settings of every replica (and of cluster-bench's). */
    static RaftProperties properties() {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(ELECTION_MIN_MS, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(ELECTION_MAX_MS, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, TimeDuration.valueOf(STEP_DOWN_WAIT_MS,
                TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Write.setElementLimit(p, PENDING_WRITES);
        // no commit-index entries in the log: with them on (Ratis's default) a leader appends, replicates and syncs a
        // metadata entry after each commit, as many entries again as the shards write (docs/cluster.md, "Where the
        // CPU goes"). Raft needs no stored commit index: a restarted replica learns it from the leader.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        // no pacing floor between two appendEntries to a follower (Ratis's default is 1 ms: an appender sleeps the
        // rest of it after its last send, the commit-index-only append that follows each commit included, so the next
        // entry could wait up to 1 ms on the commit path). Pacing only: a follower still acknowledges after its sync,
        // and an appender with nothing to send still waits for a signal or its heartbeat time, never spins.
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, TimeDuration.ZERO);
        // a follower appends each appendEntries request in its gRPC thread, in the order the leader's stream sent
        // them, not through Ratis's composed appends (on by default). Those key an in-flight append by its first
        // index: a request that the leader sends again from the same index with more entries after resetting its
        // nextIndex is answered SUCCESS up to its last entry once the earlier, shorter append is done, but only the
        // shorter one's entries are appended. The leader then holds a match index past the follower's log and never
        // goes below it, and the follower answers INCONSISTENCY forever (the failover test caught a restarted node
        // stuck so: docs/cluster.md, "A follower that never caught up"; RatisComposedAppendTest shows the cause).
        RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
        // a node being added (GroupMembers) that does not answer for this long fails the change
        RaftServerConfigKeys.setStagingTimeout(p, TimeDuration.valueOf(GroupMembers.STAGING_TIMEOUT_MS,
                TimeUnit.MILLISECONDS));
        overrides(p, System.getProperties());
        return p;
    }

    /**
     * Ratis settings given as JVM system properties ({@code -Draft.server.log.appender.wait-time.min=5ms}): every
     * property whose name starts with {@code raft.} replaces the setting of that name, for measuring a Ratis setting
     * without a build (docs/cluster.md, "Where the CPU goes"). Ratis checks the values when it reads them.
     */
    static void overrides(RaftProperties p, java.util.Properties system) {
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith("raft.")) {
                p.set(name, system.getProperty(name));
            }
        }
    }

    /**
     * Starts node {@code self}'s Raft server on the port of its address in {@code raftAddresses}, with its groups'
     * logs under {@code storage}, and joins it to every group in {@code replicas} (by group number).
     */
    public static ReplicaNode start(GroupLayout layout, List<String> raftAddresses, int self, Path storage,
            Map<Integer, GroupReplica> replicas) throws IOException {
        return start(layout, raftAddresses, self, storage, replicas, p -> { });
    }

    /** As above, with {@code tuning} applied to the Raft settings (snapshots: {@link GroupSnapshots#configure}). */
    public static ReplicaNode start(GroupLayout layout, List<String> raftAddresses, int self, Path storage,
            Map<Integer, GroupReplica> replicas, Consumer<RaftProperties> tuning) throws IOException {
        RaftProperties p = properties();
        tuning.accept(p);
        String address = raftAddresses.get(self);
        GrpcConfigKeys.Server.setPort(p, Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        Files.createDirectories(storage);
        RaftServerConfigKeys.setStorageDir(p, List.of(storage.toFile()));
        Map<RaftGroupId, GroupReplica> byId = new HashMap<>();
        for (Map.Entry<Integer, GroupReplica> e : replicas.entrySet()) {
            byId.put(GroupLayout.groupId(e.getKey()), e.getValue());
        }
        RaftServer server = RaftServer.newBuilder().setServerId(GroupLayout.peerId(self)).setProperties(p)
                .setStateMachineRegistry(byId::get).setOption(RaftStorage.StartupOption.RECOVER).build();
        server.start();
        ReplicaNode node = new ReplicaNode(server);
        try {
            Set<RaftGroupId> existing = new HashSet<>();
            server.getGroupIds().forEach(existing::add);
            long callId = 0;
            for (int group : replicas.keySet()) {
                if (existing.contains(GroupLayout.groupId(group))) {
                    continue; // recovered from storage
                }
                // a group this node joins (clusterJoin) starts with no members: the leader's configuration change
                // (GroupMembers) makes it one, and Ratis sends it the snapshot and the log
                boolean first = java.util.Arrays.stream(layout.replicasOf(group)).anyMatch(n -> n == self)
                        && self < layout.groups();
                RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(),
                        server.getId(), ++callId, first ? layout.raftGroup(group, raftAddresses)
                                : org.apache.ratis.protocol.RaftGroup.valueOf(GroupLayout.groupId(group))));
                if (!reply.isSuccess()) {
                    throw new IOException("cannot add group " + group + " to this node's Raft server: "
                            + reply.getException());
                }
            }
            node.handOver = LeaderHandOver.start(self, replicas.values());
            node.moves = new GroupMoves(self, node.handOver);
            node.members = new GroupMembers(self, node.handOver);
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    /** Moves a group this node leads to another of its replicas ({@code AdminService.MovePartitions}). */
    public GroupMoves moves() {
        return moves;
    }

    /** Adds or removes a member of a group this node leads ({@code AdminService.AddNode}, {@code RemoveNode}). */
    public GroupMembers members() {
        return members;
    }

    public RaftServer server() {
        return server;
    }

    @Override
    public void close() {
        if (handOver != null) {
            handOver.close();
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new IllegalStateException("closing the Raft server failed: " + e.getMessage(), e);
        }
    }
}
