package dev.formica.engine.replication;

import dev.formica.engine.log.LogFrames;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's replica of one group, and the bridge between the group's Raft division and the node's shard for it.
 *
 * <p><b>Ownership = leadership.</b> The shard serves ({@link #servingLog} returns a log) only while this division is
 * the group's leader, Ratis calls it ready (it committed an entry of its term), and every committed entry is applied
 * here. Its frames then go to this division only ({@link RaftServer#submitClientRequestAsync}): a division that is
 * not the leader refuses them, and the log fails, so no answer waits on another node's log.
 *
 * <p><b>Followers apply effects.</b> A committed entry that another leader wrote is handed to the {@link FrameApplier}
 * (the shard's replay code) under the group's lock, which the shard thread holds while it works: the shard's state
 * has one writer at a time. An entry of a term in which this replica led was written by its own shard, whose memory
 * already holds it: it is not applied again.
 *
 * <p><b>Fencing.</b> When an entry of another leader's term arrives while the shard's memory holds effects the group
 * did not commit (frames sent after the last of its own committed ones, or a frame refused by a failed log), the
 * replica cannot serve on that memory and cannot undo it: it calls the fail-stop action (in the server, the process
 * halts, and restarts from its Raft log). A leader whose log fails while it still leads does the same.
 *
 * <p><b>Snapshots</b> ({@link GroupSnapshots}): at start the newest valid snapshot is loaded into the empty memory and
 * Ratis applies the entries after it; Ratis's threshold has one built off the shard and learns how far to purge. A
 * snapshot Ratis installs from the leader is loaded when the memory is empty, and fail-stops the node otherwise (the
 * restart loads it): the node-wide velocity and quota tables cannot give back this group's older share.
 *
 * <p>Thread contract: {@link #lock}/{@link #unlock} and {@link #servingLog} from the shard thread; the state-machine
 * methods from Ratis's threads; {@link #serving} from any thread.
 */
public final class GroupReplica extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(GroupReplica.class);

    /** Told when Ratis learns the group's leader (any Ratis thread). */
    @FunctionalInterface
    public interface LeaderListener {
        /**
         * @param leaderNode the node that leads {@code group} now, or -1 when none is known
         * @param term the Raft term this replica is in (the leader's, when one is known)
         */
        void leaderChanged(int group, int leaderNode, long term);
    }

    private final int group;
    private final FrameApplier follower;
    private final LeaderListener listener;
    private final Runnable failStop;
    /** The group's snapshots, or null (tests without Raft storage): the whole log is then replayed. */
    private final GroupSnapshots snapshots;
    /** Where the operator placed the group (replicated: placement entries in its log). */
    private final Placement placement;
    private final ReentrantLock lock = new ReentrantLock();
    /** The terms in which this replica led: their entries were written by its own shard. */
    private final Set<Long> ledTerms = ConcurrentHashMap.newKeySet();
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** The position after the last frame applied here, or written here and committed. */
    private volatile long appliedEnd;
    private volatile RaftServer server;
    private volatile RaftServer.Division division;
    /** Guarded by lock: the log of the shard's last leadership (null before it first led, or once found clean). */
    private RatisShardLog log;
    /** Guarded by lock: the term the shard serves in, or -1. */
    private long servingTerm = -1;
    /** Written under lock: a term whose leadership this replica hands over ({@link LeaderHandOver}), or -1. */
    private volatile long handOverTerm = -1;
    /** The node a hand-over in progress gives the group to. */
    private volatile int transferee;
    private volatile boolean serving;

    /**
     * @param follower applies another leader's frame to the shard's state (called with the group's lock held)
     * @param failStop what to do when the shard's memory can no longer be trusted (the server halts)
     */
    public GroupReplica(int group, FrameApplier follower, LeaderListener listener, Runnable failStop) {
        this(group, follower, listener, failStop, null, null);
    }

    /** @param snapshots the group's snapshots on this node (docs/cluster.md, "Snapshots"), or null for none */
    public GroupReplica(int group, FrameApplier follower, LeaderListener listener, Runnable failStop,
            GroupSnapshots snapshots) {
        this(group, follower, listener, failStop, snapshots, null);
    }

    /** @param placementFile where this replica keeps the group's placement (docs/cluster.md), or null for nowhere */
    public GroupReplica(int group, FrameApplier follower, LeaderListener listener, Runnable failStop,
            GroupSnapshots snapshots, java.nio.file.Path placementFile) {
        this.placement = new Placement(placementFile, group);
        this.group = group;
        this.follower = follower;
        this.listener = listener;
        this.failStop = failStop;
        this.snapshots = snapshots;
    }

    public int group() {
        return group;
    }

    @Override
    public void initialize(RaftServer raftServer, RaftGroupId groupId, RaftStorage storage) throws IOException {
        super.initialize(raftServer, groupId, storage);
        this.server = raftServer;
        getLifeCycle().transition(LifeCycle.State.STARTING);
        placement.load();
        if (snapshots != null) {
            snapshots.init(storage);
            restore();
        }
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    RaftServer.Division division() {
        RaftServer.Division d = division;
        RaftServer s = server;
        if (d == null && s != null) {
            try {
                d = s.getDivision(getGroupId());
                division = d;
            } catch (IOException notYet) {
                return null;
            }
        }
        return d;
    }

    public void lock() {
        lock.lock();
    }

    public void unlock() {
        lock.unlock();
    }

    /** Whether the shard serves the group now (any thread; for the map and tests). */
    public boolean serving() {
        return serving;
    }

    /** The node that leads the group as this replica knows it, or -1. */
    public int leaderNode() {
        RaftServer.Division d = division();
        return d == null ? -1 : GroupLayout.nodeOf(d.getInfo().getLeaderId());
    }

    /** The node the group is placed on: its own node, or where a move put it (replicated, {@link Placement}). */
    public int placedOn() {
        return placement.node();
    }

    /** The Raft term this replica is in, or 0 before it joined the group. */
    public long term() {
        RaftServer.Division d = division();
        return d == null ? 0 : d.getInfo().getCurrentTerm();
    }

    /** The nodes of the group's Raft configuration (its replicas), or none before it joined. */
    public java.util.List<Integer> members() {
        RaftServer.Division d = division();
        if (d == null) {
            return java.util.List.of();
        }
        return d.getGroup().getPeers().stream().map(peer -> GroupLayout.nodeOf(peer.getId())).sorted().toList();
    }

    /**
     * The client ({@code host:port} of the gRPC API) address of each member of the group's Raft configuration that
     * carries one (the nodes added by {@code cluster add-node}; the first members carry none), by node.
     */
    public java.util.Map<Integer, String> memberAddresses() {
        return addressesOf(division());
    }

    /**
     * As {@link #memberAddresses}, safe on a Ratis thread: from the division this replica has looked up already
     * (never {@code getDivision} there: the division may be starting), none before.
     */
    public java.util.Map<Integer, String> knownMemberAddresses() {
        return addressesOf(division);
    }

    private static java.util.Map<Integer, String> addressesOf(RaftServer.Division d) {
        java.util.Map<Integer, String> out = new java.util.HashMap<>();
        if (d == null) {
            return out;
        }
        for (org.apache.ratis.protocol.RaftPeer peer : d.getRaftConf().getAllPeers()) {
            String address = peer.getClientAddress();
            if (address != null && !address.isEmpty()) {
                out.put(GroupLayout.nodeOf(peer.getId()), address);
            }
        }
        return out;
    }

    /**
     * Appends a placement entry naming {@code node} through this replica's division (the leader's); completes with
     * Ratis's reply once it is committed and applied (the caller checks {@code isSuccess}).
     */
    CompletableFuture<RaftClientReply> place(int node) {
        RaftServer.Division d = division();
        if (d == null) {
            return CompletableFuture.failedFuture(new IOException("group " + group + " has no division here"));
        }
        return submit(d, getGroupId(), d.getId(), Message.valueOf(
                org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(Placement.entry(node))));
    }

    /** The position after the last frame the group committed and this replica holds. */
    public long appliedEnd() {
        return appliedEnd;
    }

    /**
     * The log the shard appends to now, or null when it must not serve: not the leader, not ready, or committed
     * entries not applied yet. A new log (another object than the last call's) starts a leadership: the shard
     * rebuilds what replay does not (hold expiry queues, the next hold id) before it serves. Called by the shard
     * thread with {@link #lock} held.
     */
    public RatisShardLog servingLog() {
        RaftServer.Division d = division();
        if (d == null) {
            return stopServing();
        }
        DivisionInfo info = d.getInfo();
        if (!info.isLeader() || !info.isLeaderReady()) {
            return stopServing();
        }
        long term = info.getCurrentTerm();
        if (term == handOverTerm) {
            return stopServing(); // handing the leadership over: nothing more in this term
        }
        if (term == servingTerm) {
            if (log.failed()) {
                // still the leader, but an entry was refused: the memory may hold effects the group never will
                fail("group " + group + "'s log failed while this node led it");
                return stopServing();
            }
            return log;
        }
        if (getLastAppliedTermIndex() == null
                || getLastAppliedTermIndex().getIndex() < d.getRaftLog().getLastCommittedIndex()) {
            return stopServing(); // committed entries still to apply: serve once they are
        }
        if (log != null && dirty()) {
            fail("group " + group + ": this node leads again with effects in memory the group did not commit");
            return stopServing();
        }
        RaftGroupId groupId = getGroupId();
        RaftPeerId self = d.getId();
        return lead(term, m -> submit(d, groupId, self, m));
    }

    /**
     * Starts serving in {@code term}: the shard's frames go through {@code submit} from the position the group's
     * frames reached. Lock held; package-private for the fencing tests, which have no Raft division.
     */
    RatisShardLog lead(long term, Function<Message, CompletableFuture<RaftClientReply>> submit) {
        if (handOverTerm != term) {
            handOverTerm = -1; // a later term: the last hand-over is over
        }
        ledTerms.add(term);
        servingTerm = term;
        log = new RatisShardLog(submit, appliedEnd, null);
        serving = true;
        LOG.info("group " + group + ": this node leads it in term " + term + " from log position " + appliedEnd);
        return log;
    }

    /**
     * Stops the shard serving before its next pass, so that the leadership can be handed over with nothing
     * uncommitted (lock taken here: the shard is between passes, its batch sent). The future completes with true once
     * every frame it sent in the term is committed and applied, with false when the log failed; null when the shard
     * does not serve now.
     */
    CompletableFuture<Boolean> stopForHandOver() {
        return stopForHandOver(placement.node());
    }

    /** As {@link #stopForHandOver()}, for a hand-over to {@code node}. */
    CompletableFuture<Boolean> stopForHandOver(int node) {
        lock.lock();
        try {
            if (!serving || log == null || servingTerm < 0) {
                return null;
            }
            transferee = node;
            handOverTerm = servingTerm;
            serving = false;
            CompletableFuture<Boolean> committed = new CompletableFuture<>();
            log.whenDurable(log.appendedPosition(), committed::complete);
            return committed;
        } finally {
            lock.unlock();
        }
    }

    /** The hand-over did not happen: the shard may serve again in the term (lock taken here). */
    void resumeAfterHandOver() {
        lock.lock();
        try {
            handOverTerm = -1;
        } finally {
            lock.unlock();
        }
    }

    /** The term of a hand-over in progress or done, or -1. */
    long handOverTerm() {
        return handOverTerm;
    }

    /**
     * Whether this replica stopped serving to hand the group to its own node and Raft still has it as the leader:
     * its map keeps naming it, so calls get a retryable UNAVAILABLE from the shard, not a redirect to a node that
     * would send them back.
     */
    public boolean handingOver() {
        RaftServer.Division d = division();
        return handOverTerm >= 0 && d != null && d.getInfo().isLeader();
    }

    private CompletableFuture<RaftClientReply> submit(RaftServer.Division d, RaftGroupId groupId, RaftPeerId self,
            Message message) {
        RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(self)
                .setGroupId(groupId).setCallId(callIds.incrementAndGet()).setMessage(message)
                .setType(RaftClientRequest.writeRequestType()).build();
        try {
            return d.getRaftServer().submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private RatisShardLog stopServing() {
        if (servingTerm >= 0) {
            LOG.info("group " + group + ": this node no longer leads it (term " + servingTerm + ")");
        }
        servingTerm = -1;
        serving = false;
        return null;
    }

    /** Whether the shard's memory holds effects the group did not commit (lock held). */
    private boolean dirty() {
        return log.lostFrame() || log.appendedPosition() != appliedEnd;
    }

    private void fail(String why) {
        serving = false;
        LOG.error(why + "; stopping so that a restart rebuilds it from the Raft log (docs/cluster.md, fencing)");
        failStop.run();
    }

    /** Another leader's entry is next: the shard's memory must hold exactly what the group committed (lock held). */
    private void beforeForeignEntry() {
        if (log == null) {
            return;
        }
        if (dirty()) {
            fail("group " + group + ": another leader's entry arrived while this node's memory holds effects the"
                    + " group did not commit (from position " + appliedEnd + " to " + log.appendedPosition() + ")");
            return;
        }
        log = null; // clean: it follows from here
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        UnsafeBuffer v = view;
        FrameStateMachine.wrap(v, entry);
        int placedOn = Placement.nodeOf(v);
        if (placedOn >= 0) {
            applyPlacement(entry, placedOn);
            return CompletableFuture.completedFuture(Message.EMPTY);
        }
        long end = readable(v, entry);
        if (ledTerms.contains(entry.getTerm())) {
            // written by this shard, in its memory already: no lock, so the leader's own replies never wait for it
            checkPosition(FrameBatch.start(v));
            appliedEnd = end;
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            snapshotIfDue(entry);
            return CompletableFuture.completedFuture(Message.EMPTY);
        }
        lock.lock();
        try {
            beforeForeignEntry();
            FrameBatch.read(v, (position, timeMs, payload, offset, length) -> {
                checkPosition(position);
                follower.apply(position, timeMs, payload, offset, length);
                appliedEnd = position + LogFrames.frameLength(length);
            });
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        } finally {
            lock.unlock();
        }
        snapshotIfDue(entry);
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    /**
     * The snapshots' time trigger after an applied frame entry. Only the division already known is used: looking it
     * up on Ratis's applier could wait for a division that is still starting (and replaying its log through here).
     */
    private void snapshotIfDue(LogEntryProto entry) {
        RaftServer.Division d = division;
        if (snapshots != null && d != null) {
            snapshots.due(TermIndex.valueOf(entry), d.getRaftLog());
        }
    }

    /** A placement entry: fences like any entry of its term, moves no frame position. */
    private void applyPlacement(LogEntryProto entry, int placedOn) {
        asEntryOf(entry.getTerm(), () -> placeAt(placedOn, entry));
    }

    /**
     * Runs {@code apply} for an entry of {@code term} that carries no frame: at once for a term this replica led;
     * for another leader's, under the group's lock after the fencing check of {@link #beforeForeignEntry}.
     */
    private void asEntryOf(long term, Runnable apply) {
        if (ledTerms.contains(term)) {
            apply.run();
            return;
        }
        lock.lock();
        try {
            beforeForeignEntry();
            apply.run();
        } finally {
            lock.unlock();
        }
    }

    private void placeAt(int placedOn, LogEntryProto entry) {
        try {
            placement.apply(placedOn, entry.getIndex());
            LOG.info("group " + group + ": placed on node " + placedOn + " (Raft index " + entry.getIndex() + ")");
        } catch (IOException e) {
            // the log holds it: a restart applies it again, unless purged past it (then the group's own node)
            LOG.warn("group " + group + ": cannot keep its placement in the data directory: " + e.getMessage());
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    }

    /** The position after the entry's frames; an entry this build cannot read stops the replica. */
    private long readable(UnsafeBuffer v, LogEntryProto entry) {
        try {
            return FrameBatch.read(v, null);
        } catch (IllegalArgumentException e) {
            fail("group " + group + ": Raft log entry " + entry.getIndex() + " (term " + entry.getTerm() + ") is not"
                    + " a frame entry this build reads: " + e.getMessage());
            throw new IllegalStateException("group " + group + ": unreadable entry " + entry.getIndex(), e);
        }
    }

    private void checkPosition(long position) {
        if (position != appliedEnd) {
            fail("group " + group + ": a frame at log position " + position + " where " + appliedEnd
                    + " was expected");
            throw new IllegalStateException("group " + group + ": frame at " + position + ", expected " + appliedEnd);
        }
    }

    /** Configuration and leader-start entries: not frames, but of a term, so they fence like one. */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        asEntryOf(term, () -> updateLastAppliedTermIndex(term, index));
    }

    /** A step-down during a hand-over (no leader known yet) names the transferee, the group's own node. */
    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId leader) {
        int node = GroupLayout.nodeOf(leader);
        RaftServer.Division d = division; // never getDivision on a Ratis thread: the division may be starting
        long term = d == null ? 0 : d.getInfo().getCurrentTerm();
        listener.leaderChanged(group, node < 0 && handOverTerm >= 0 ? transferee : node, term);
    }

    // Snapshots (docs/cluster.md, "Snapshots"): built by GroupSnapshots off the shard, loaded here.

    /** Loads the newest valid snapshot into the group's empty memory, where the applied entries then start. */
    private void restore() throws IOException {
        lock.lock();
        try {
            GroupSnapshots.Loaded loaded = snapshots.loadNewest();
            if (loaded != null) {
                appliedEnd = loaded.position();
                setLastAppliedTermIndex(loaded.termIndex());
                if (loaded.placed() != null) {
                    placeFromSnapshot(loaded.placed());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The placement a loaded snapshot records (a move whose entry the log may no longer hold): taken unless the
     * placement file already holds a later one (a higher Raft index), and written to the file like an applied entry.
     */
    private void placeFromSnapshot(SnapshotCodec.Placed placed) {
        try {
            placement.apply(placed.node(), placed.index());
        } catch (IOException e) {
            LOG.warn("group " + group + ": cannot keep its placement in the data directory: " + e.getMessage());
        }
        LOG.info("group " + group + ": placed on node " + placement.node() + " (snapshot: node " + placed.node()
                + " by Raft index " + placed.index() + ")");
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return snapshots == null ? super.getStateMachineStorage() : snapshots;
    }

    /** Ratis's threshold: a snapshot is built off this thread; answers how far the log may be purged, or -1. */
    @Override
    public long takeSnapshot() {
        RaftServer.Division d = division();
        TermIndex applied = getLastAppliedTermIndex();
        if (snapshots == null || d == null || applied == null) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        return snapshots.take(applied, d.getRaftLog());
    }

    /** Ratis is about to publish a snapshot it installed from the leader. */
    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /**
     * Ratis installed the leader's snapshot (this replica was behind the leader's purged log): an empty memory
     * loads it; a memory holding the group's older state (and its share of the engine-wide velocity and quota
     * counts, which cannot be taken back out) fail-stops, and the restart loads the installed snapshot.
     */
    @Override
    public void reinitialize() throws IOException {
        lock.lock();
        try {
            if (snapshots == null || appliedEnd != 0 || log != null) {
                fail("group " + group + ": the leader's snapshot was installed while this node's memory holds the"
                        + " group's older state");
                throw new IOException("group " + group + ": restart to load the installed snapshot");
            }
            getLifeCycle().transition(LifeCycle.State.STARTING);
            restore();
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        if (snapshots != null) {
            snapshots.close();
        }
        super.close();
    }
}
