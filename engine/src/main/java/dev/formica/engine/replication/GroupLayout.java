package dev.formica.engine.replication;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * The Raft groups of a replicated cluster of {@code n} groups, fixed data of the cluster (recorded in the data
 * directory at the first start; docs/cluster.md, "Adding and removing a node"): group {@code g} holds the partitions
 * {@code p} with {@code p * n / 256 == g} ({@link PartitionTable#rangeOwner}) and is first replicated on
 * {@code min(3, n)} of the cluster's first {@code n} nodes in ring order, {@code g, g+1, g+2} (mod {@code n}). So
 * each of those nodes hosts {@code min(3, n)} groups: its own range and the ranges of the one or two nodes before it;
 * shard {@code k} of node {@code i} is group {@code i - k} (mod n). A node added later ({@code clusterJoin}) hosts
 * the groups it joined, its shards in the order it lists them ({@link #hostedGroups}). The members of a group after
 * a membership change are in its Raft configuration, not here.
 *
 * <p>Thread contract: immutable, any thread.
 */
public final class GroupLayout {
    /** Replicas of a group at most: a majority of 3 survives one loss. */
    public static final int MAX_REPLICAS = 3;

    private final int nodes;
    private final int replicas;

    /** @param groups the cluster's group count (= its node count for a cluster never grown) */
    public GroupLayout(int groups) {
        if (groups < 1 || groups > Partitions.COUNT) {
            throw new IllegalArgumentException("groups must be 1.." + Partitions.COUNT + ", was " + groups);
        }
        this.nodes = groups;
        this.replicas = Math.min(MAX_REPLICAS, groups);
    }

    /** The group count: fixed data of the cluster, however many nodes it has now. */
    public int groups() {
        return nodes;
    }

    /**
     * The groups node {@code node} hosts, index = its shard: those the layout gives it (none for a node past the
     * group count), then {@code joined} (groups it was added to, {@code clusterJoin}) in their order.
     */
    public java.util.List<Integer> hostedGroups(int node, java.util.List<Integer> joined) {
        java.util.List<Integer> out = new ArrayList<>();
        if (node < nodes) {
            for (int k = 0; k < replicas; k++) {
                out.add(groupOfShard(node, k));
            }
        }
        for (int g : joined) {
            if (!out.contains(g)) {
                out.add(g);
            }
        }
        return out;
    }

    /** Replicas per group, and groups per node. */
    public int replicas() {
        return replicas;
    }

    /** The group of {@code partition}: the node that owns it by the range assignment. */
    public int groupOf(int partition) {
        return PartitionTable.rangeOwner(partition, nodes);
    }

    /** The nodes that hold a replica of {@code group}, the group's own node first. */
    public int[] replicasOf(int group) {
        int[] out = new int[replicas];
        for (int i = 0; i < replicas; i++) {
            out[i] = (group + i) % nodes;
        }
        return out;
    }

    /** The group of shard {@code shard} on {@code node}: {@code node - shard} (mod n). */
    public int groupOfShard(int node, int shard) {
        return Math.floorMod(node - shard, nodes);
    }

    /** The shard of {@code node} that holds {@code group}, or -1 when the node hosts no replica of it. */
    public int shardOfGroup(int node, int group) {
        int shard = Math.floorMod(node - group, nodes);
        return shard < replicas ? shard : -1;
    }

    /** The group's Raft id: the same on every node of every cluster (a node's storage holds one cluster's groups). */
    public static RaftGroupId groupId(int group) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("formica-partition-group-" + group)
                .getBytes(StandardCharsets.UTF_8)));
    }

    /** The Raft peer id of node {@code node}. */
    public static RaftPeerId peerId(int node) {
        return RaftPeerId.valueOf("n" + node);
    }

    /** The node of a peer id made by {@link #peerId}, or -1. */
    public static int nodeOf(RaftPeerId peer) {
        String id = peer == null ? "" : peer.toString();
        try {
            return id.startsWith("n") ? Integer.parseInt(id.substring(1)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Group {@code group} with its replicas at {@code raftAddresses} (index = node). */
    public RaftGroup raftGroup(int group, List<String> raftAddresses) {
        List<RaftPeer> peers = new ArrayList<>();
        for (int node : replicasOf(group)) {
            peers.add(RaftPeer.newBuilder().setId(peerId(node)).setAddress(raftAddresses.get(node)).build());
        }
        return RaftGroup.valueOf(groupId(group), peers);
    }
}
