package dev.formica.engine.pipeline;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.replication.GroupReplica;
import dev.formica.engine.replication.RatisShardLog;
import org.agrona.concurrent.EpochClock;

/**
 * The shard of a replicated group serves only while this node leads the group ({@link GroupReplica#servingLog}):
 * each pass of the shard runs under the group's lock (so a follower's frames and the shard's commands never touch
 * the state at once), and decides first whether the shard serves and on which log.
 *
 * <ul>
 *   <li>Becoming the leader: the shard appends to the group's log from the position the group's frames reached,
 *   rebuilds what replay does not (hold expiry queues, the next hold id, the repairs of {@code recover}) and the map
 *   names this node for the group's partitions.</li>
 *   <li>Not the leader: the shard runs nothing, not even its timers (hold expiry and record rotation come from the
 *   leader's frames), refuses what reached its queue with UNAVAILABLE (retry with the same request id: the map
 *   redirects it to the leader), and the map names the leader (or, unknown, the next replica). Having no timers, a
 *   shard whose group another node leads (or none) does not wake every timer period: it parks until a command or
 *   a leader change wakes it ({@link ShardAgent#poke}, from Ratis's leader notice), at most
 *   {@link #FOLLOWER_PARK_NANOS}. A shard whose replica leads but does not serve yet (not ready, entries to apply, a
 *   hand-over) looks again every timer period, as a serving one does.</li>
 * </ul>
 *
 * <p>The frames of a pass go to the group's log as one Ratis entry ({@link RatisShardLog#flush} at the end of the
 * pass; earlier only for answers waiting on them), so Ratis's per-entry cost is paid per pass, not per command.
 *
 * <p>Thread contract: the shard's thread (whoever runs its passes).
 */
final class LeaderGate implements ShardAgent.Gate {
    /** The retry delay a refusal asks for: an election takes 0.5-1 s. */
    static final long RETRY_DELAY_MS = 100;
    /**
     * How long a shard whose group another node leads parks at most (a leader change wakes it): a safety net, 10
     * wake-ups a second instead of the timer period's 100 (docs/cluster.md, "Where the CPU goes").
     */
    static final long FOLLOWER_PARK_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);

    private final GroupReplica replica;
    private final PartitionTable table;
    private final GroupLayout layout;
    private final EpochClock clock;
    private final Refused refusal;
    private RatisShardLog current;

    LeaderGate(GroupReplica replica, PartitionTable table, GroupLayout layout, EpochClock clock) {
        this.replica = replica;
        this.table = table;
        this.layout = layout;
        this.clock = clock;
        this.refusal = Refused.shed(DomainError.LOG_UNAVAILABLE, "partition group " + replica.group()
                + " has no leader on this node now; retry with the same request_id (docs/cluster.md)", RETRY_DELAY_MS);
    }

    @Override
    public int doWork(ShardAgent agent) {
        replica.lock();
        try {
            RatisShardLog log = replica.servingLog();
            if (log != current) {
                switchTo(log, agent);
            }
            if (current == null) {
                // Ratis sets the leader before it notices it (the poke), so a new leader never parks long here
                agent.following(replica.leaderNode() != table.self());
                agent.rejectQueued(() -> refusal);
                return 0;
            }
            try {
                return agent.work();
            } finally {
                current.flush(); // the pass's frames as one Ratis entry, before a follower's entry can take the lock
            }
        } finally {
            replica.unlock();
        }
    }

    private void switchTo(RatisShardLog log, ShardAgent agent) {
        ShardProcessor processor = agent.processor();
        current = log;
        int group = replica.group();
        if (log == null) {
            processor.log(null); // a follower's frames are applied without being recorded again
            if (!replica.handingOver()) { // while it hands over, calls here get UNAVAILABLE, retried, not a redirect
                table.assignRange(group, otherOwner(), replica.term());
            }
            return;
        }
        processor.log(log);
        agent.following(false); // serving: its timers (hold expiry, record rotation) run every timer period
        long now = clock.time();
        processor.recover(now); // its exposure repairs change the node's table, which holds the group's records
        processor.endCommand(now);
        table.assignRange(group, table.self(), replica.term());
    }

    /** Who the map names while this node does not lead: the leader Ratis knows, else the next replica. */
    private int otherOwner() {
        int leader = replica.leaderNode();
        if (leader >= 0 && leader != table.self() && (leader < table.nodes().size()
                || table.learnNode(leader, replica.memberAddresses().get(leader)))) {
            return leader; // a node added to the group (cluster add-node) is learnt from its configuration
        }
        for (int node : layout.replicasOf(replica.group())) {
            if (node != table.self()) {
                return node;
            }
        }
        return table.self(); // a group of one replica
    }
}
