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
 * The Raft groups of a replicated cluster of {@code n} nodes: group {@code g} holds the partitions node {@code g}
 * owns by the range assignment ({@link PartitionTable#rangeOwner}) and is replicated on {@code min(3, n)} nodes in
 * ring order, {@code g, g+1, g+2} (mod {@code n}). So every node hosts {@code min(3, n)} groups: its own range and
 * the ranges of the one or two nodes before it; shard {@code k} of node {@code i} is group {@code i - k} (mod n).
 *
 * <p>Thread contract: immutable, any thread.
 */
public final class GroupLayout {
    /** Replicas of a group at most: a majority of 3 survives one loss. */
    public static final int MAX_REPLICAS = 3;

    private final int nodes;
    private final int replicas;

    public GroupLayout(int nodes) {
        if (nodes < 1 || nodes > Partitions.COUNT) {
            throw new IllegalArgumentException("nodes must be 1.." + Partitions.COUNT + ", was " + nodes);
        }
        this.nodes = nodes;
        this.replicas = Math.min(MAX_REPLICAS, nodes);
    }

    public int nodes() {
        return nodes;
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
