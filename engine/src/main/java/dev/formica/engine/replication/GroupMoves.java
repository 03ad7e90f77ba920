package dev.formica.engine.replication;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a group's leadership, and so its partitions, to another of its replicas on the operator's word
 * ({@code AdminService.MovePartitions}, {@code formica cluster move}); run by the group's leader.
 *
 * <ol>
 *   <li>Checks, refusing with the reason: this node leads the group (else the caller is sent to the leader), no
 *   change of the group's members and no other move of it is in flight ({@link Kind#IN_PROGRESS}: an
 *   {@code AddNode} or {@code RemoveNode} this node has not answered yet, or Ratis's joint configuration; the move
 *   would otherwise check the target's membership as it stands, mid-change), the target holds a replica (is a
 *   member of the group's Raft configuration), answers the leader (an RPC within the election timeout), and is
 *   caught up: it has committed everything the leader had committed when the move was asked, within
 *   {@link #CATCH_UP_MS} (checked every {@link #POLL_MS}, never blocking an RPC thread).</li>
 *   <li>Records the choice: a placement entry in the group's Raft log ({@link Placement}), committed before anything
 *   else happens, so every replica hands the group to the target from now on ({@link LeaderHandOver}) and none moves
 *   it back.</li>
 *   <li>Hands over exactly as {@link LeaderHandOver} does: the shard stops, its frames are committed, then Ratis's
 *   transfer; the old leader is left with nothing uncommitted and follows.</li>
 * </ol>
 *
 * All of it runs on the hand-over thread, one move or check at a time.
 *
 * <p>Thread contract: {@link #move} from any thread; the work on {@link LeaderHandOver}'s thread.
 */
public final class GroupMoves {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMoves.class);
    /** How long the target may take to commit what the leader had committed when the move was asked. */
    static final long CATCH_UP_MS = 3_000;
    /** How long the placement entry may take to commit. */
    static final long PLACE_MS = 2_000;
    /** How often the catch-up and the new leader are looked at. */
    static final long POLL_MS = 20;

    /** How a move ended. */
    public enum Kind {
        /** Done: {@code to} leads the group (or already did), and the group is placed there. */
        MOVED,
        /** This node does not lead the group: send the move to its leader. */
        NOT_LEADER,
        /** The target cannot take the group now; the message says why. Nothing changed. */
        REFUSED,
        /** A change of the group's members, or another move of it, is in flight: retry when it is done. */
        IN_PROGRESS,
        /** The transfer did not complete; this node serves the group on, its placement put back. */
        UNAVAILABLE
    }

    /** The outcome, with the leader before the move and, unless moved, the reason (field first). */
    public record Outcome(Kind kind, int group, int from, String message) {
    }

    private final int self;
    private final LeaderHandOver handOver;
    /**
     * Tests only: the commit index the move sees for {@code node}, given the one that node last reported (a test
     * holds a replica behind without timing); the reported one in the server.
     */
    volatile java.util.function.LongBinaryOperator commitSeen = (node, reported) -> reported;
    /**
     * Tests only: when set, a move that passed its checks (the target caught up) waits for the future this answers for
     * its group before its placement entry is appended (so a test holds it in flight without timing); null in the
     * server.
     */
    volatile java.util.function.IntFunction<CompletableFuture<Void>> heldBeforePlacement;

    GroupMoves(int self, LeaderHandOver handOver) {
        this.self = self;
        this.handOver = handOver;
    }

    /** Moves {@code group} to node {@code to}; completes (never exceptionally) when done or refused. */
    public CompletableFuture<Outcome> move(int group, int to) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        handOver.execute(() -> {
            try {
                start(group, to, done);
            } catch (RuntimeException e) {
                LOG.warn("group " + group + ": the move to node " + to + " failed: " + e);
                done.complete(new Outcome(Kind.UNAVAILABLE, group, self, "the move failed on node " + self + ": " + e));
            }
        });
        return done;
    }

    private void start(int group, int to, CompletableFuture<Outcome> done) {
        GroupReplica replica = handOver.replica(group);
        RaftServer.Division d = replica == null ? null : replica.division();
        if (d == null || !replica.serving()) {
            done.complete(new Outcome(Kind.NOT_LEADER, group, self, "group: node " + self + " does not lead group "
                    + group + "; send the move to its leader"));
            return;
        }
        String busy = handOver.inFlight(group);
        if (busy == null && !d.getRaftConf().getPreviousPeers().isEmpty()) {
            busy = "a change of its members (Ratis's joint configuration " + replica.members() + ")";
        }
        if (busy != null) {
            done.complete(new Outcome(Kind.IN_PROGRESS, group, self, "group " + group + ": " + busy + " is not done"
                    + " yet; the group moves only once it is: retry then"));
            return;
        }
        List<Integer> members = replica.members();
        if (!members.contains(to)) {
            done.complete(new Outcome(Kind.REFUSED, group, self, "to_node: node " + to + " holds no replica of group "
                    + group + " (its replicas are nodes " + members + ")"));
            return;
        }
        handOver.begin(group, "a move to node " + to + " asked of node " + self, done);
        if (to == self) {
            place(replica, to, done, () -> done.complete(new Outcome(Kind.MOVED, group, self, "")));
            return;
        }
        long since = answeredMs(d, to);
        if (since < 0 || since >= ReplicaNode.ELECTION_MIN_MS) {
            done.complete(new Outcome(Kind.REFUSED, group, self, "to_node: node " + to + " does not answer group "
                    + group + "'s leader" + (since < 0 ? "" : " (last answer " + since + " ms ago)")
                    + "; is it down?"));
            return;
        }
        long target = d.getRaftLog().getLastCommittedIndex();
        awaitCatchUp(replica, d, to, target, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CATCH_UP_MS), done);
    }

    private void awaitCatchUp(GroupReplica replica, RaftServer.Division d, int to, long target, long deadline,
            CompletableFuture<Outcome> done) {
        long committed = commitSeen.applyAsLong(to, committedBy(d, to));
        if (committed < target) {
            if (System.nanoTime() - deadline < 0) {
                handOver.schedule(() -> awaitCatchUp(replica, d, to, target, deadline, done), POLL_MS);
                return;
            }
            done.complete(new Outcome(Kind.REFUSED, replica.group(), self, "to_node: node " + to + " is not caught"
                    + " up: it has committed group " + replica.group() + "'s Raft log to index " + committed
                    + ", the leader had " + target + " when the move was asked (" + CATCH_UP_MS + " ms ago);"
                    + " retry when it has caught up"));
            return;
        }
        java.util.function.IntFunction<CompletableFuture<Void>> hold = heldBeforePlacement;
        if (hold != null) {
            hold.apply(replica.group()).whenComplete((released, error) -> handOver.execute(() -> {
                try {
                    placeAndTransfer(replica, d, to, done);
                } catch (RuntimeException e) {
                    done.complete(new Outcome(Kind.UNAVAILABLE, replica.group(), self, "the held move failed: " + e));
                }
            }));
            return;
        }
        placeAndTransfer(replica, d, to, done);
    }

    private void placeAndTransfer(GroupReplica replica, RaftServer.Division d, int to,
            CompletableFuture<Outcome> done) {
        int previous = replica.placedOn();
        place(replica, to, done, () -> transfer(replica, d, to, previous, done));
    }

    /** Commits the placement entry, then runs {@code next} (on this thread); answers UNAVAILABLE when it fails. */
    private void place(GroupReplica replica, int to, CompletableFuture<Outcome> done, Runnable next) {
        int group = replica.group();
        if (replica.placedOn() == to) {
            next.run();
            return;
        }
        try {
            RaftClientReply reply = replica.place(to).get(PLACE_MS, TimeUnit.MILLISECONDS);
            if (!reply.isSuccess()) {
                done.complete(new Outcome(Kind.UNAVAILABLE, group, self, "group " + group + ": its placement could not"
                        + " be recorded: " + reply.getException() + "; retry"));
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.complete(new Outcome(Kind.UNAVAILABLE, group, self, "interrupted"));
            return;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            done.complete(new Outcome(Kind.UNAVAILABLE, group, self, "group " + group + ": its placement was not"
                    + " committed within " + PLACE_MS + " ms: " + e + "; retry"));
            return;
        }
        LOG.info("group " + group + ": placed on node " + to + " by the operator");
        next.run();
    }

    private void transfer(GroupReplica replica, RaftServer.Division d, int to, int previous,
            CompletableFuture<Outcome> done) {
        int group = replica.group();
        if (!handOver.handOver(replica, d, to) || d.getInfo().isLeader() && replica.leaderNode() == self) {
            boolean reverted = previous == to || revert(replica, previous);
            done.complete(new Outcome(Kind.UNAVAILABLE, group, self, "group " + group + ": the transfer to node " + to
                    + " did not complete; node " + self + " serves it on" + (reverted ? ", placed on node " + previous
                    + " as before" : ", and its placement on node " + to + " may stand (the hand-over then moves it"
                    + " there once that node follows)") + "; retry"));
            return;
        }
        awaitLeader(replica, to, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LeaderHandOver.TRANSFER_TIMEOUT_MS),
                done);
    }

    /** Puts the placement back after a failed transfer (this node still leads); false when that failed too. */
    private boolean revert(GroupReplica replica, int previous) {
        try {
            return replica.place(previous).get(PLACE_MS, TimeUnit.MILLISECONDS).isSuccess();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("group " + replica.group() + ": its placement could not be put back: " + e);
            return false;
        }
    }

    /** Completes once this replica knows {@code to} as the leader (so the map it answers names it), or in time. */
    private void awaitLeader(GroupReplica replica, int to, long deadline, CompletableFuture<Outcome> done) {
        if (replica.leaderNode() != to && System.nanoTime() - deadline < 0) {
            handOver.schedule(() -> awaitLeader(replica, to, deadline, done), POLL_MS);
            return;
        }
        done.complete(new Outcome(Kind.MOVED, replica.group(), self, ""));
    }

    /** Milliseconds since {@code node} last answered this leader, or -1 when it is not a follower of it. */
    private static long answeredMs(RaftServer.Division d, int node) {
        for (ServerRpcProto f : d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
            if (GroupLayout.nodeOf(RaftPeerId.valueOf(f.getId().getId())) == node) {
                return f.getLastRpcElapsedTimeMs();
            }
        }
        return -1;
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
