package dev.formica.engine.pipeline;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.journal.DecisionJournal;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.engine.replication.GroupLayout;
import dev.formica.engine.replication.GroupReplica;
import dev.formica.engine.replication.GroupSnapshots;
import dev.formica.engine.replication.ReplicaNode;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.state.StateOps;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a node of a replicated cluster ({@code clusterReplication: ratis}, docs/cluster.md "Replication"): one shard
 * per Raft group the node hosts ({@link GroupLayout}: its own partition range and the ranges of the nodes before it),
 * each shard's log the group's Ratis log. The shards' memory starts empty, takes the group's newest snapshot and
 * then the Ratis entries after it ({@link GroupReplica}: another leader's frames go through the same
 * {@link StateOps.Replayer} a restart uses); a shard serves only while the node leads its group ({@link LeaderGate}).
 *
 * <p>There is no local shard log or log window here: the Ratis log under {@code <dataDir>/raft} is the source of
 * truth. Each group's snapshots ({@link GroupSnapshots}, in the single-node snapshot format through
 * {@link GroupSnapshotCodec}) are built on one builder thread off the shards, and a restart loads the newest and
 * applies the Raft entries after it.
 *
 * <p>Thread contract: {@link #open} from the thread that opens the pipeline.
 */
final class ReplicatedPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedPipeline.class);
    /** The layout file of a replicated node's data directory. */
    static final String LAYOUT_FILE = "replication.properties";
    /** Exit status of a fail-stop (EX_TEMPFAIL): the supervisor restarts the node, which recovers from Raft. */
    static final int FAIL_STOP_EXIT = 75;

    /** What a replica does when its shard's memory cannot be trusted; tests replace it, the server halts. */
    static volatile Runnable failStop = () -> Runtime.getRuntime().halt(FAIL_STOP_EXIT);

    private ReplicatedPipeline() {
    }

    static DecisionPipeline open(EngineConfiguration config, EpochClock clock, LatencyHub latency) {
        GroupLayout layout = new GroupLayout(config.clusterGroups());
        int self = config.clusterNodeId();
        List<Integer> hosted = layout.hostedGroups(self, config.clusterJoin());
        int shards = hosted.size();
        if (latency.shardCount() != shards) {
            throw new IllegalArgumentException("latency hub has " + latency.shardCount() + " shards, a replicated"
                    + " node has " + shards);
        }
        Path dataDir = config.dataDir();
        List<ShardState> states = new ArrayList<>();
        Markets markets = null;
        ReplicaNode node = null;
        ExecutorService snapshotBuilder = snapshotBuilder();
        try {
            OwnerOnly.directory(dataDir);
            checkLayout(dataDir, config, layout);
            PartitionTable table = PartitionTable.of(config.clusterNodes(), self, layout.groups());
            if (self < layout.groups() && layout.replicas() > 1) {
                table.assignRange(self, layout.replicasOf(self)[1]); // this node's range is not its own until it leads
            }
            int[] byPartition = new int[Partitions.COUNT];
            for (int p = 0; p < Partitions.COUNT; p++) {
                byPartition[p] = hosted.indexOf(layout.groupOf(p));
            }
            StateConfig stateConfig = DecisionPipeline.stateConfig(config, shards);
            markets = Markets.open(config, dataDir, clock.time());
            RiskContext risk = markets.defaultMarket().risk();
            // quota usage, velocity and concentration: from every hosted group's snapshot and replayed frames
            risk.quotas().resetUsage();
            // each group's leader reserves funders' quotas only within its group's lease (docs/cluster.md)
            risk.quotas().leases(layout.groups());
            risk.concentration().clear();
            StateOps.ExposureListener exposures = ShardExposures.follower(risk.concentration());
            ShardAgent[] agents = new ShardAgent[shards];
            DecisionJournal[] journals = new DecisionJournal[shards];
            Map<Integer, GroupReplica> replicas = new HashMap<>();
            Map<Integer, ShardAgent> shardOf = new HashMap<>();
            GroupReplica.LeaderListener leaders = leaders(self, table, replicas, shardOf);
            long now = clock.time();
            for (int k = 0; k < shards; k++) {
                int group = hosted.get(k);
                ShardState state = ShardState.open(dataDir.resolve("group-" + group), stateConfig, now);
                states.add(state);
                if (config.journalEnabled()) {
                    journals[k] = DecisionJournal.forShard(k, state.ops());
                }
                ShardProcessor processor = new ShardProcessor(k, state, config.holdTtl().toMillis(),
                        config.idempotencyWindow().toMillis(), markets);
                processor.journal(journals[k]);
                processor.log(null); // nothing recorded until the shard leads its group
                processor.tableHoldsExposures(); // its records are in the node's table while it follows too
                processor.metrics(latency.shard(k));
                processor.quotaLease(group);
                agents[k] = new ShardAgent(processor, config.queueCapacity(), clock,
                        DecisionPipeline.TIMER_PERIOD_NANOS, LeaderGate.FOLLOWER_PARK_NANOS,
                        config.maxQueueDelay().toNanos(), config.shedRetryDelay().toMillis(), latency.shard(k));
                StateOps.Replayer replayer = new StateOps.Replayer();
                StateOps.Shared shared = new StateOps.Shared(risk.velocity(), risk.quotas().lane(group), exposures);
                GroupSnapshots snapshots = snapshots(config, group, state, risk, stateConfig, shards, snapshotBuilder,
                        clock);
                GroupReplica replica = new GroupReplica(group, (position, timeMs, payload, offset, length) ->
                        replayer.apply(state, shared, false, payload, offset, length, timeMs), leaders,
                        () -> failStop.run(), snapshots, dataDir.resolve("placement-" + group + ".properties"));
                replicas.put(group, replica);
                agents[k].gate(new LeaderGate(replica, table, layout, clock));
                shardOf.put(group, agents[k]);
            }
            DecisionPipeline pipeline = new DecisionPipeline(config, new ShardRouter(shards, byPartition), table,
                    agents, states, null, null, markets, List.of(), latency.enabled() ? latency.decisions() : null,
                    journals);
            node = ReplicaNode.start(layout, config.clusterRaftNodes(), self, dataDir.resolve("raft"), replicas,
                    p -> GroupSnapshots.configure(p, config.clusterSnapshotEntries(), config.clusterLogSegmentBytes()));
            logHosted(self, config, layout.groups(), hosted);
            pipeline.moves(node.moves());
            pipeline.members(node.members());
            table.groups(() -> groups(table, replicas));
            ReplicaNode raft = node;
            pipeline.startReplicated(clock, () -> {
                try {
                    raft.close();
                } finally {
                    stop(snapshotBuilder);
                }
            });
            return pipeline;
        } catch (IOException | RuntimeException e) {
            CloseHelper.quietClose(node);
            stop(snapshotBuilder);
            CloseHelper.quietClose(markets);
            CloseHelper.quietCloseAll(states);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot open the replicated node in " + dataDir + ": "
                        + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Ratis's leader notices: the map names another node's leadership (learning a node added to the group), and the
     * group's shard is woken, which parks long while it follows ({@link LeaderGate}): it may lead now.
     */
    private static GroupReplica.LeaderListener leaders(int self, PartitionTable table,
            Map<Integer, GroupReplica> replicas, Map<Integer, ShardAgent> shardOf) {
        return (group, leader, term) -> {
            if (leader >= 0 && leader != self && learn(table, replicas.get(group), leader, true)) {
                table.assignRange(group, leader, term);
            }
            ShardAgent shard = shardOf.get(group);
            if (shard != null) {
                shard.poke();
            }
        };
    }

    /** Which groups the node hosts; a node that hosts fewer than the cluster has (past three nodes) sees theirs. */
    private static void logHosted(int self, EngineConfiguration config, int groups, List<Integer> hosted) {
        LOG.info("node " + self + " (" + config.clusterNodes().size() + " nodes, " + groups + " groups)"
                + " hosts the replicas of groups " + hosted
                + " (Raft at " + config.clusterRaftNodes().get(self) + "); a group's partitions are served by"
                + " its leader, which reserves each funder's quotas within its group's lease of 1/"
                + groups + " of them (docs/cluster.md)");
        if (hosted.size() < groups) {
            LOG.warn("node " + self + " hosts " + hosted.size() + " of " + groups + " groups: device, IP and merchant"
                    + " velocity and concentration limits count only the hosted groups' decisions here, not the"
                    + " other groups' (docs/cluster.md, \"Velocity across nodes\")");
        }
    }

    /** A group's snapshots: its state, the node's velocity, quota and concentration tables, built off the shard. */
    private static GroupSnapshots snapshots(EngineConfiguration config, int group, ShardState state,
            RiskContext risk, StateConfig stateConfig, int shards, ExecutorService builder, EpochClock clock) {
        return new GroupSnapshots(group, new GroupSnapshotCodec(group, state, risk.velocity(), risk.quotas(),
                risk.concentration(), stateConfig, Math.max(1024, config.velocityKeys() / shards),
                config.dataDir().resolve("snapshot-scratch-" + group), clock,
                config.snapshotScratch() == EngineConfiguration.SnapshotScratch.LIVE), builder,
                config.clusterSnapshotEntries(),
                config.clusterSnapshotEntries() > 0 ? config.snapshotInterval().toMillis() : 0, clock);
    }

    /**
     * Whether {@code table} knows node {@code node}'s address, learning it from the group's Raft configuration (a
     * member added by {@code cluster add-node} carries its client address) when it does not yet.
     */
    private static boolean learn(PartitionTable table, GroupReplica replica, int node, boolean ratisThread) {
        if (node < table.nodes().size()) {
            return true;
        }
        String address = replica == null ? null
                : (ratisThread ? replica.knownMemberAddresses() : replica.memberAddresses()).get(node);
        if (table.learnNode(node, address)) {
            LOG.info("node " + node + " joined the cluster at " + address + " (a member of group " + replica.group()
                    + ")");
            return true;
        }
        return false;
    }

    /** The map's view of the groups this node hosts: range, owner and term (the table's), members, placement. */
    private static List<PartitionTable.Group> groups(PartitionTable table, Map<Integer, GroupReplica> replicas) {
        List<PartitionTable.Group> out = new ArrayList<>();
        for (GroupReplica r : replicas.values()) {
            for (int member : r.members()) {
                learn(table, r, member, false); // a member added while this node was down: list its address too
            }
            int[] range = table.range(r.group());
            out.add(new PartitionTable.Group(r.group(), range[0], range[1], table.ownerOf(range[0]),
                    table.term(r.group()), r.members(), r.placedOn()));
        }
        out.sort(java.util.Comparator.comparingInt(PartitionTable.Group::id));
        return out;
    }

    /** The node's one snapshot builder: a scratch copy of one group at a time, at low priority, off the shards. */
    private static ExecutorService snapshotBuilder() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "formica-group-snapshots");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
    }

    /** Stops the builder once the Raft server is closed (a build under way stops at its next entry). */
    private static void stop(ExecutorService builder) {
        builder.shutdown();
        try {
            if (!builder.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("a group snapshot was still being built 60 s after the Raft server stopped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A replicated node's data directory holds its Raft storage and admin files, for one node id of one cluster,
     * whose group count is fixed at the first start ({@code groups=}; a file written before groups and nodes were
     * told apart has none: its group count is its node count). The node list may grow (a node added: docs/cluster.md,
     * "Adding and removing a node"), the group count and the node id may not. An unreplicated data directory (its
     * shard logs) is refused: its data is not in any group's log.
     */
    static void checkLayout(Path dataDir, EngineConfiguration config, GroupLayout layout) throws IOException {
        if (Files.exists(dataDir.resolve("formica.properties"))) {
            throw new IllegalStateException("data directory " + dataDir + " belongs to a node without replication"
                    + " (its shard logs are not in a Raft group); start a replicated node on a new data directory"
                    + " and load the profiles (docs/cluster.md)");
        }
        Path file = dataDir.resolve(LAYOUT_FILE);
        int nodes = config.clusterNodes().size();
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            String node = p.getProperty("node", "");
            String recordedNodes = p.getProperty("nodes", "");
            String groups = p.getProperty("groups", recordedNodes);
            if (!node.equals(Integer.toString(config.clusterNodeId()))
                    || !groups.equals(Integer.toString(layout.groups()))) {
                throw new IllegalStateException("data directory " + dataDir + " holds the replicas of node " + node
                        + " of a cluster of " + groups + " groups; the settings make this node "
                        + config.clusterNodeId() + " of " + layout.groups() + " groups (clusterGroups; the group count"
                        + " is fixed when the cluster is made, the node list may grow: docs/cluster.md)");
            }
            if (p.getProperty("groups") != null && recordedNodes.equals(Integer.toString(nodes))) {
                return;
            }
        }
        OwnerOnly.writeAtomically(file, "# Formica replicated node; do not edit\nnode=" + config.clusterNodeId()
                + "\nnodes=" + nodes + "\ngroups=" + layout.groups() + "\n");
    }
}
