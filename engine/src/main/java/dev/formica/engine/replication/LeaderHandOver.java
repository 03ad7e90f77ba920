package dev.formica.engine.replication;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads the leaders: each group is led by the node it is placed on ({@link Placement}: its own node, group
 * {@code g} by node {@code g} of {@link GroupLayout}, unless an operator moved it with {@link GroupMoves}) whenever
 * that node is up and caught up. Elections pick any replica (the first node up can win every group); a node
 * that leads another node's group hands it back once that node's replica has followed closely for
 * {@link #FOLLOW_CHECKS} checks in a row (answering within the election timeout, and holding everything committed a
 * check before).
 *
 * <p><b>Fenced hand-over.</b> A leader that handed its leadership over with frames in flight would be deposed with
 * effects the group might not commit, and fail-stop. So the hand-over is: the shard stops serving (it refuses its
 * queued commands with UNAVAILABLE, to be retried at the new leader) and appends nothing more in the term
 * ({@link GroupReplica#stopForHandOver}); once every frame it sent is committed and applied, the leader asks Ratis to
 * transfer the leadership to the group's node (Ratis refuses writes while it does, and sends the transferee a
 * StartLeaderElection once its log matches the leader's). If the transfer fails or times out, the shard serves again
 * in the same term, on memory that holds only committed effects. Ratis's peer priorities are not used: their
 * automatic yielding gives no chance to stop the shard first.
 *
 * <p>Thread contract: one timer thread of its own; {@link #close} from the controlling thread.
 */
public final class LeaderHandOver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderHandOver.class);
    /** How often the leader looks whether a group's own node can take its group back. */
    static final long CHECK_MS = 1_000;
    /** A shard's frames must be committed within this once it stopped, else it serves on. */
    static final long COMMIT_WAIT_MS = 2_000;
    /** Ratis's transfer: the transferee must catch up and win its election within this. */
    static final long TRANSFER_TIMEOUT_MS = 2_000;
    /** Checks skipped after a failed hand-over of a group, so a slow node does not pause its group again and again. */
    static final int BACK_OFF_CHECKS = 10;
    /** Consecutive checks a group's own node must have followed closely before it gets the group back. */
    static final int FOLLOW_CHECKS = 3;

    private final int self;
    private final List<GroupReplica> replicas;
    private final ScheduledExecutorService timer;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Timer thread only: each led group's commit index at the previous check. */
    private final Map<Integer, Long> committedBefore = new HashMap<>();
    /** Timer thread only: consecutive checks each group's own node followed. */
    private final Map<Integer, Integer> following = new HashMap<>();
    /** Timer thread only: checks to skip per group after a failed hand-over. */
    private final Map<Integer, Integer> backOff = new HashMap<>();
    /**
     * Per group, the move or membership change asked of this node and not answered yet (what it is, as a refusal
     * names it); written on the hand-over thread, removed when its answer completes.
     */
    private final Map<Integer, String> inFlight = new java.util.concurrent.ConcurrentHashMap<>();

    private LeaderHandOver(int self, Collection<GroupReplica> replicas) {
        this.self = self;
        this.replicas = List.copyOf(replicas);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "formica-leader-hand-over");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the checks of node {@code self}'s replicas, every {@link #CHECK_MS}. */
    public static LeaderHandOver start(int self, Collection<GroupReplica> replicas) {
        LeaderHandOver handOver = new LeaderHandOver(self, replicas);
        handOver.timer.scheduleWithFixedDelay(handOver::checkSafely, CHECK_MS, CHECK_MS, TimeUnit.MILLISECONDS);
        return handOver;
    }

    private void checkSafely() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("the leader hand-over check failed: " + e);
        }
    }

    /** One check of every replica this node hosts (package-private: tests run it when they choose). */
    void check() {
        for (GroupReplica replica : replicas) {
            int group = replica.group();
            RaftServer.Division d = replica.division();
            int placedOn = replica.placedOn();
            if (placedOn == self || d == null || !replica.serving() || !replica.members().contains(placedOn)) {
                committedBefore.remove(group);
                following.remove(group);
                continue;
            }
            int skip = backOff.getOrDefault(group, 0);
            if (skip > 0) {
                backOff.put(group, skip - 1);
                continue;
            }
            long committed = d.getRaftLog().getLastCommittedIndex();
            Long before = committedBefore.put(group, committed);
            int checks = before != null && follows(d, placedOn, before) ? following.getOrDefault(group, 0) + 1 : 0;
            following.put(group, checks);
            if (checks >= FOLLOW_CHECKS) {
                following.remove(group);
                if (!handOver(replica, d, placedOn)) {
                    backOff.put(group, BACK_OFF_CHECKS);
                }
            }
        }
    }

    /**
     * Whether node {@code node} answers this leader (an RPC within the election timeout) and has committed
     * everything the leader had committed at the previous check.
     */
    static boolean follows(RaftServer.Division d, int node, long committedBefore) {
        boolean answers = false;
        for (ServerRpcProto f : d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
            if (GroupLayout.nodeOf(RaftPeerId.valueOf(f.getId().getId())) == node) {
                answers = f.getLastRpcElapsedTimeMs() < ReplicaNode.ELECTION_MIN_MS;
            }
        }
        if (!answers) {
            return false;
        }
        for (CommitInfoProto c : d.getCommitInfos()) {
            if (GroupLayout.nodeOf(RaftPeerId.valueOf(c.getServer().getId())) == node) {
                return c.getCommitIndex() >= committedBefore;
            }
        }
        return false;
    }

    /** The replica of {@code group} on this node, or null. */
    GroupReplica replica(int group) {
        for (GroupReplica r : replicas) {
            if (r.group() == group) {
                return r;
            }
        }
        return null;
    }

    /**
     * What is in flight for {@code group} on this node (a move or a change of its members asked of it and not answered
     * yet, e.g. "a move to node 2 asked of node 0"), or null. A move and a membership change of one group never run
     * at once: each refuses while the other is in flight ({@link GroupMoves}, {@link GroupMembers}).
     */
    String inFlight(int group) {
        return inFlight.get(group);
    }

    /**
     * Marks {@code group} as having {@code what} in flight until {@code done} completes; on the hand-over thread,
     * after {@link #inFlight} answered null.
     */
    void begin(int group, String what, CompletableFuture<?> done) {
        String before = inFlight.putIfAbsent(group, what);
        if (before != null) {
            throw new IllegalStateException("group " + group + ": " + before + " is in flight already");
        }
        done.whenComplete((outcome, error) -> inFlight.remove(group, what));
    }

    /** Runs {@code task} on the hand-over thread, so that a move and the checks never hand a group over at once. */
    void execute(Runnable task) {
        timer.execute(task);
    }

    /** Runs {@code task} on the hand-over thread after {@code delayMs}. */
    void schedule(Runnable task, long delayMs) {
        timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    /** Hands {@code replica}'s group to {@code node}; false when it did not happen (the shard serves on). */
    boolean handOver(GroupReplica replica, RaftServer.Division d, int node) {
        CompletableFuture<Boolean> committed = replica.stopForHandOver(node);
        if (committed == null) {
            return true; // it stopped serving meanwhile: nothing to hand over
        }
        int group = replica.group();
        try {
            if (!committed.get(COMMIT_WAIT_MS, TimeUnit.MILLISECONDS)) {
                return true; // its log failed: the fencing rules take it from here, not a hand-over
            }
            LOG.info("group " + group + ": handing its leadership to node " + node
                    + (node == group ? ", its own" : ", where it is placed"));
            TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, d.getId(),
                    d.getMemberId().getGroupId(), callIds.incrementAndGet(), GroupLayout.peerId(node),
                    TRANSFER_TIMEOUT_MS);
            RaftClientReply reply = d.getRaftServer().transferLeadershipAsync(request)
                    .get(TRANSFER_TIMEOUT_MS + COMMIT_WAIT_MS, TimeUnit.MILLISECONDS);
            if (reply.isSuccess()) {
                LOG.info("group " + group + ": node " + node + " leads it now");
                return true;
            }
            LOG.warn("group " + group + ": the hand-over to node " + node + " failed, serving on: "
                    + reply.getException());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException | ExecutionException | IOException e) {
            LOG.warn("group " + group + ": the hand-over to node " + node + " did not complete, serving on: " + e);
        }
        replica.resumeAfterHandOver();
        return false;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(TRANSFER_TIMEOUT_MS + COMMIT_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
