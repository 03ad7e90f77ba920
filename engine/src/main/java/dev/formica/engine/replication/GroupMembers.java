package dev.formica.engine.replication;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds a node to a group's Raft configuration, or removes one, on the operator's word ({@code AdminService.AddNode},
 * {@code RemoveNode}; {@code formica cluster add-node}, {@code remove-node}); run by the group's leader.
 *
 * <p><b>Adding.</b> The new node runs with the group in {@code clusterJoin}: its Raft server holds the group with an
 * empty configuration and waits for a leader. The leader asks Ratis to set the configuration to the members plus the
 * new node (compare-and-set against the members it read, so two changes never race), carrying the node's gRPC
 * address as the peer's client address (every member learns it from the configuration, and lists the node in its
 * map). Ratis stages the new peer: it installs the leader's snapshot when the log was purged, then sends the log,
 * and commits the joint and the new configuration once the peer is within its catch-up gap; a peer that does not
 * answer for {@link #STAGING_TIMEOUT_MS} fails the change and nothing changes. Then this waits until the new member has
 * committed everything the leader had committed when the configuration was set ({@link #CATCH_UP_MS} at most).
 *
 * <p><b>One change at a time.</b> A change of a group asked while another one this leader started is not answered
 * yet (Ratis still staging the new peer, or the new member catching up), or a move of the group ({@link GroupMoves}),
 * or while Ratis's configuration is joint, is refused with {@link Kind#IN_PROGRESS}; so is one whose compare-and-set
 * finds the configuration changed. A move asked while a change is in flight is refused in turn.
 *
 * <p><b>Removing.</b> Refused while the node leads the group or the group is placed on it (move the group off it
 * first), while a change is in progress, or when the members left that answer the leader would not be a majority of
 * the new configuration; else the configuration is set without it.
 *
 * <p>Thread contract: {@link #add} and {@link #remove} from any thread; the work on {@link LeaderHandOver}'s thread,
 * one change, move or check at a time; Ratis's replies complete the futures.
 */
public final class GroupMembers {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMembers.class);
    /** A staged peer that does not answer the leader for this long fails the change (Ratis's staging timeout). */
    static final long STAGING_TIMEOUT_MS = 5_000;
    /** After the new configuration is committed: how long the new member may take to commit what the leader had. */
    static final long CATCH_UP_MS = 30_000;
    /** How long the new node's Raft server may take to say it holds the group before the change is asked. */
    static final long PROBE_TIMEOUT_MS = 3_000;

    /** How a change ended. */
    public enum Kind {
        /** Done (or nothing to do: {@link Outcome#changed} false). */
        DONE,
        /** This node does not lead the group: send the change to its leader. */
        NOT_LEADER,
        /** The change cannot be made as asked; the message says why (field first). Nothing changed. */
        REFUSED,
        /** Another configuration change of the group is in progress. Nothing changed; retry. */
        IN_PROGRESS,
        /** The new node did not answer the leader (or did not catch up) in time. Nothing changed. */
        UNREACHABLE,
        /** The change did not complete for another reason (a new leader meanwhile); retry. */
        UNAVAILABLE
    }

    /** The outcome, with the members after it. */
    public record Outcome(Kind kind, int group, boolean changed, List<Integer> members, String message) {
    }

    private final int self;
    private final LeaderHandOver handOver;
    private final ClientId clientId = ClientId.randomId();
    private final java.util.concurrent.atomic.AtomicLong callIds = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Tests only: when set, a change that passed its checks waits for the future this answers for its group before
     * Ratis is asked (so a test holds it in flight without timing); null in the server.
     */
    volatile java.util.function.IntFunction<CompletableFuture<Void>> heldBeforeChange;

    GroupMembers(int self, LeaderHandOver handOver) {
        this.self = self;
        this.handOver = handOver;
    }

    /**
     * Adds node {@code node} (Raft at {@code raftAddress}, gRPC API at {@code address}) to {@code group}; completes
     * (never exceptionally) once it is a member that caught up, or with the refusal.
     */
    public CompletableFuture<Outcome> add(int group, int node, String raftAddress, String address) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        handOver.execute(() -> {
            try {
                startAdd(group, node, raftAddress, address, done);
            } catch (RuntimeException e) {
                done.complete(failed(group, "adding node " + node, e));
            }
        });
        return done;
    }

    /** Removes node {@code node} from {@code group}'s configuration; completes (never exceptionally). */
    public CompletableFuture<Outcome> remove(int group, int node) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        handOver.execute(() -> {
            try {
                startRemove(group, node, done);
            } catch (RuntimeException e) {
                done.complete(failed(group, "removing node " + node, e));
            }
        });
        return done;
    }

    private Outcome failed(int group, String what, RuntimeException e) {
        LOG.warn("group " + group + ": " + what + " failed: " + e);
        return new Outcome(Kind.UNAVAILABLE, group, false, List.of(), what + " failed on node " + self + ": " + e);
    }

    /** The group's division when this node leads it and no change is in progress; else completes {@code done}. */
    private RaftServer.Division leading(int group, CompletableFuture<Outcome> done) {
        GroupReplica replica = handOver.replica(group);
        RaftServer.Division d = replica == null ? null : replica.division();
        if (d == null || !replica.serving()) {
            done.complete(new Outcome(Kind.NOT_LEADER, group, false, List.of(), "group: node " + self
                    + " does not lead group " + group + "; send the change to its leader"));
            return null;
        }
        String busy = handOver.inFlight(group);
        if (busy != null) {
            done.complete(new Outcome(Kind.IN_PROGRESS, group, false, replica.members(), "group " + group + ": "
                    + busy + " is not done yet (members " + replica.members() + "); retry when it is"));
            return null;
        }
        if (!d.getRaftConf().getPreviousPeers().isEmpty()) {
            done.complete(new Outcome(Kind.IN_PROGRESS, group, false, replica.members(), "group " + group + ": a"
                    + " configuration change is in progress (members " + replica.members() + "); retry when it is"
                    + " done"));
            return null;
        }
        return d;
    }

    private void startAdd(int group, int node, String raftAddress, String address, CompletableFuture<Outcome> done) {
        RaftServer.Division d = leading(group, done);
        if (d == null) {
            return;
        }
        Collection<RaftPeer> current = d.getRaftConf().getCurrentPeers();
        List<Integer> members = handOver.replica(group).members();
        if (members.contains(node)) {
            done.complete(new Outcome(Kind.DONE, group, false, members, "node " + node + " is a member of group "
                    + group + " already"));
            return;
        }
        for (RaftPeer p : current) {
            if (p.getAddress().equals(raftAddress)) {
                done.complete(new Outcome(Kind.REFUSED, group, false, members, "raft_address: " + raftAddress
                        + " is node " + GroupLayout.nodeOf(p.getId()) + "'s"));
                return;
            }
        }
        RaftPeer peer = RaftPeer.newBuilder().setId(GroupLayout.peerId(node)).setAddress(raftAddress)
                .setClientAddress(address).build();
        String silent = probe(d, peer);
        if (silent != null) {
            done.complete(new Outcome(Kind.UNREACHABLE, group, false, members, "node: node " + node + " " + silent
                    + "; nothing changed"));
            return;
        }
        List<RaftPeer> next = new ArrayList<>(current);
        next.add(peer);
        LOG.info("group " + group + ": adding node " + node + " to its members " + members);
        inFlight(group, done, () -> setConfiguration(d, current, next).whenComplete((reply, error) ->
                handOver.execute(() -> {
                    Outcome refused = refusal(group, "node " + node, reply, error, handOver.replica(group).members());
                    if (refused != null) {
                        done.complete(refused);
                        return;
                    }
                    long target = d.getRaftLog().getLastCommittedIndex();
                    awaitCatchUp(d, group, node, target, System.nanoTime()
                            + TimeUnit.MILLISECONDS.toNanos(CATCH_UP_MS), done);
                })));
    }

    /**
     * Runs {@code change} (the call to Ratis) with the group marked as changing until {@code done} completes, so that
     * another change or a move of the group asked meanwhile is refused ({@link LeaderHandOver#inFlight}); on the
     * hand-over thread.
     */
    private void inFlight(int group, CompletableFuture<Outcome> done, Runnable change) {
        handOver.begin(group, "a change of its members asked of node " + self, done);
        java.util.function.IntFunction<CompletableFuture<Void>> hold = heldBeforeChange;
        if (hold == null) {
            change.run();
            return;
        }
        hold.apply(group).whenComplete((released, error) -> handOver.execute(() -> {
            try {
                change.run();
            } catch (RuntimeException e) {
                done.complete(failed(group, "the held change", e));
            }
        }));
    }

    private void awaitCatchUp(RaftServer.Division d, int group, int node, long target, long deadline,
            CompletableFuture<Outcome> done) {
        List<Integer> members = handOver.replica(group).members();
        long committed = committedBy(d, node);
        if (committed >= target) {
            LOG.info("group " + group + ": node " + node + " is a member and caught up (Raft index " + committed + ")");
            done.complete(new Outcome(Kind.DONE, group, true, members, ""));
            return;
        }
        if (System.nanoTime() - deadline < 0) {
            handOver.schedule(() -> awaitCatchUp(d, group, node, target, deadline, done), GroupMoves.POLL_MS);
            return;
        }
        done.complete(new Outcome(Kind.UNREACHABLE, group, true, members, "node: node " + node + " is a member of"
                + " group " + group + " but has committed its Raft log to index " + committed + " of " + target
                + " after " + CATCH_UP_MS + " ms; it catches up on its own (cluster status shows it)"));
    }

    private void startRemove(int group, int node, CompletableFuture<Outcome> done) {
        RaftServer.Division d = leading(group, done);
        if (d == null) {
            return;
        }
        GroupReplica replica = handOver.replica(group);
        List<Integer> members = replica.members();
        if (!members.contains(node)) {
            done.complete(new Outcome(Kind.DONE, group, false, members, "node " + node + " is not a member of group "
                    + group));
            return;
        }
        if (node == self || replica.placedOn() == node) {
            done.complete(new Outcome(Kind.REFUSED, group, false, members, "node: node " + node
                    + (node == self ? " leads" : " is where the operator placed") + " group " + group
                    + "; move the group to another member first (formica cluster move --group " + group + ")"));
            return;
        }
        Collection<RaftPeer> current = d.getRaftConf().getCurrentPeers();
        List<RaftPeer> next = current.stream().filter(p -> GroupLayout.nodeOf(p.getId()) != node).toList();
        int answering = 1; // this leader
        for (RaftPeer p : next) {
            int member = GroupLayout.nodeOf(p.getId());
            if (member != self && answers(d, member)) {
                answering++;
            }
        }
        if (answering <= next.size() / 2) {
            done.complete(new Outcome(Kind.REFUSED, group, false, members, "node: without node " + node + ", group "
                    + group + " would have " + next.size() + " members of which " + answering + " answer its leader:"
                    + " not a majority; bring its members back first"));
            return;
        }
        LOG.info("group " + group + ": removing node " + node + " from its members " + members);
        inFlight(group, done, () -> setConfiguration(d, current, next).whenComplete((reply, error) ->
                handOver.execute(() -> {
                    List<Integer> after = handOver.replica(group).members();
                    Outcome refused = refusal(group, "node " + node, reply, error, after);
                    done.complete(refused != null ? refused : new Outcome(Kind.DONE, group, true, after, ""));
                })));
    }

    /**
     * Asks {@code peer}'s Raft server whether it holds the group (started with {@code clusterJoin} naming it): null
     * when it does, else why not. Ratis's staging would find out too, but only at its next check of the staged peers,
     * which a peer that never answers does not trigger (up to a minute).
     */
    private static String probe(RaftServer.Division d, RaftPeer peer) {
        org.apache.ratis.conf.RaftProperties p = new org.apache.ratis.conf.RaftProperties();
        org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(p,
                org.apache.ratis.util.TimeDuration.valueOf(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        org.apache.ratis.protocol.RaftGroupId groupId = d.getMemberId().getGroupId();
        try (org.apache.ratis.client.RaftClient client = org.apache.ratis.client.RaftClient.newBuilder()
                .setProperties(p).setRaftGroup(org.apache.ratis.protocol.RaftGroup.valueOf(groupId, peer))
                .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry()).build()) {
            if (client.getGroupManagementApi(peer.getId()).list().getGroupIds().contains(groupId)) {
                return null;
            }
            return "answers at " + peer.getAddress() + " but holds no replica of the group (start it with clusterJoin"
                    + " listing the group)";
        } catch (IOException | RuntimeException e) {
            LOG.info("the probe of node " + GroupLayout.nodeOf(peer.getId()) + " failed: " + e);
            return "does not answer at " + peer.getAddress() + " (" + e.getClass().getSimpleName() + "); is it"
                    + " running with clusterJoin listing the group?";
        }
    }

    /** Sets the group's configuration to {@code next} if it still is {@code current} (Ratis's compare-and-set). */
    private CompletableFuture<RaftClientReply> setConfiguration(RaftServer.Division d, Collection<RaftPeer> current,
            List<RaftPeer> next) {
        SetConfigurationRequest request = new SetConfigurationRequest(clientId, d.getId(),
                d.getMemberId().getGroupId(), callIds.incrementAndGet(), SetConfigurationRequest.Arguments.newBuilder()
                .setServersInCurrentConf(new ArrayList<>(current)).setServersInNewConf(next)
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
        try {
            return d.getRaftServer().setConfigurationAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The outcome of a failed change, or null when Ratis set the configuration. */
    private static Outcome refusal(int group, String what, RaftClientReply reply, Throwable error,
            List<Integer> members) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause == null && reply != null && !reply.isSuccess()) {
            cause = reply.getException();
        }
        if (cause == null) {
            return null;
        }
        LOG.warn("group " + group + ": the configuration change for " + what + " failed: " + cause);
        if (cause instanceof ReconfigurationTimeoutException) {
            return new Outcome(Kind.UNREACHABLE, group, false, members, "node: " + what + " did not answer group "
                    + group + "'s leader or catch up within " + STAGING_TIMEOUT_MS + " ms (is it running with"
                    + " clusterJoin listing group " + group + ", and its Raft address right?); nothing changed");
        }
        if (cause instanceof ReconfigurationInProgressException || cause instanceof SetConfigurationException) {
            return new Outcome(Kind.IN_PROGRESS, group, false, members, "group " + group + ": another configuration"
                    + " change is in progress or was made meanwhile (" + cause.getMessage() + "); retry");
        }
        if (cause instanceof NotLeaderException) {
            return new Outcome(Kind.UNAVAILABLE, group, false, members, "group " + group + ": this node stopped"
                    + " leading it during the change; retry at its leader");
        }
        return new Outcome(Kind.UNAVAILABLE, group, false, members, "group " + group + ": the configuration change"
                + " failed: " + cause + "; retry");
    }

    /** Whether {@code node} answered this leader within the election timeout. */
    private static boolean answers(RaftServer.Division d, int node) {
        for (ServerRpcProto f : d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
            if (GroupLayout.nodeOf(RaftPeerId.valueOf(f.getId().getId())) == node) {
                return f.getLastRpcElapsedTimeMs() < ReplicaNode.ELECTION_MIN_MS;
            }
        }
        return false;
    }

    /** The commit index {@code node} last reported to this leader, or -1. */
    private static long committedBy(RaftServer.Division d, int node) {
        for (CommitInfoProto c : d.getCommitInfos()) {
            if (GroupLayout.nodeOf(RaftPeerId.valueOf(c.getServer().getId())) == node) {
                return c.getCommitIndex();
            }
        }
        return -1;
    }
}
