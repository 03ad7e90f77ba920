package dev.formica.engine.server;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;

/**
 * The replication part of a {@code PartitionMap}: its version (the sum of the groups' Raft terms) and the groups
 * this node hosts (docs/cluster.md, "Membership and moving partitions"). Nothing without replication.
 *
 * <p>Thread contract: stateless.
 */
final class PartitionMaps {
    private PartitionMaps() {
    }

    static void addGroups(PartitionMap.Builder map, PartitionTable table) {
        map.setVersion(table.mapVersion());
        java.util.List<PartitionTable.Group> groups = table.groups();
        if (!groups.isEmpty()) {
            map.setGroupCount(table.ranges());
        }
        for (PartitionTable.Group g : groups) {
            map.addGroups(PartitionGroup.newBuilder().setId(g.id()).setFirstPartition(g.firstPartition())
                    .setLastPartition(g.lastPartition()).setLeader(g.leader()).setTerm(g.term())
                    .addAllReplicas(g.replicas()).setPlacedOn(g.placedOn()));
        }
    }
}
