package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import org.junit.jupiter.api.Test;

class GroupLayoutTest {

    @Test
    void shouldReplicateEachRangeOnThreeNodesInRingOrder() {
        GroupLayout five = new GroupLayout(5);
        assertEquals(3, five.replicas());
        assertArrayEquals(new int[] {3, 4, 0}, five.replicasOf(3));
        assertArrayEquals(new int[] {4, 0, 1}, five.replicasOf(4));
        assertEquals(2, new GroupLayout(2).replicas());
        assertArrayEquals(new int[] {1, 0}, new GroupLayout(2).replicasOf(1));
        assertArrayEquals(new int[] {0}, new GroupLayout(1).replicasOf(0));
    }

    @Test
    void shouldGiveEveryNodeOneShardPerGroupItHosts() {
        for (int n = 1; n <= 7; n++) {
            GroupLayout layout = new GroupLayout(n);
            int[] hosted = new int[n];
            for (int node = 0; node < n; node++) {
                for (int shard = 0; shard < layout.replicas(); shard++) {
                    int group = layout.groupOfShard(node, shard);
                    assertEquals(shard, layout.shardOfGroup(node, group), n + " nodes, node " + node);
                    assertEquals(true, contains(layout.replicasOf(group), node), n + " nodes, group " + group);
                    hosted[group]++;
                }
            }
            for (int group = 0; group < n; group++) {
                assertEquals(layout.replicas(), hosted[group], n + " nodes: replicas of group " + group);
                for (int node = 0; node < n; node++) {
                    assertEquals(contains(layout.replicasOf(group), node), layout.shardOfGroup(node, group) >= 0);
                }
            }
        }
    }

    @Test
    void shouldMakeAGroupOfEachNodesRange() {
        GroupLayout three = new GroupLayout(3);
        for (int p = 0; p < Partitions.COUNT; p++) {
            assertEquals(PartitionTable.rangeOwner(p, 3), three.groupOf(p));
        }
        assertEquals(0, three.groupOf(0));
        assertEquals(2, three.groupOf(255));
    }

    @Test
    void shouldNameGroupsAndPeersTheSameOnEveryNode() {
        assertEquals(GroupLayout.groupId(1), GroupLayout.groupId(1));
        assertNotEquals(GroupLayout.groupId(1), GroupLayout.groupId(2));
        assertEquals(7, GroupLayout.nodeOf(GroupLayout.peerId(7)));
        assertEquals(-1, GroupLayout.nodeOf(null));
        assertEquals(3, new GroupLayout(3).raftGroup(2, java.util.List.of("a:1", "b:2", "c:3")).getPeers().size());
    }

    private static boolean contains(int[] nodes, int node) {
        for (int n : nodes) {
            if (n == node) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldListTheGroupsANodeHostsWithTheOnesItJoined() {
        GroupLayout three = new GroupLayout(3);
        assertEquals(java.util.List.of(1, 0, 2), three.hostedGroups(1, java.util.List.of()));
        assertEquals(java.util.List.of(0), three.hostedGroups(3, java.util.List.of(0)), "an added node: its groups");
        assertEquals(java.util.List.of(2, 0), three.hostedGroups(4, java.util.List.of(2, 0)));
        GroupLayout five = new GroupLayout(5);
        assertEquals(java.util.List.of(0, 4, 3, 1), five.hostedGroups(0, java.util.List.of(1)));
    }
}
