package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.formica.v1.ClusterNode;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The map version (docs/cluster.md, "Map version"): routes keep, per partition, the owner of the newest Raft term
 * seen, so a refresh from a node that knows less never takes a route back; equal terms take the refresh.
 */
class PartitionRoutesMergeTest {
    private static final List<String> NODES = List.of("a:1", "b:2", "c:3");

    /** A three-node map whose group 0 (partitions 0-85) is led by {@code leader0} in {@code term0}. */
    private static PartitionMap map(int leader0, long term0, long term1) {
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(BorrowerRouter.PARTITIONS)
                .setVersion(term0 + term1);
        for (int i = 0; i < NODES.size(); i++) {
            map.addNodes(ClusterNode.newBuilder().setId(i).setAddress(NODES.get(i)));
        }
        for (int p = 0; p < BorrowerRouter.PARTITIONS; p++) {
            int range = BorrowerRouter.rangeOwner(p, 3);
            map.addOwners(range == 0 ? leader0 : range);
        }
        map.addGroups(PartitionGroup.newBuilder().setId(0).setFirstPartition(0).setLastPartition(85)
                .setLeader(leader0).setTerm(term0).addAllReplicas(List.of(0, 1, 2)).setPlacedOn(leader0));
        map.addGroups(PartitionGroup.newBuilder().setId(1).setFirstPartition(86).setLastPartition(170)
                .setLeader(1).setTerm(term1).addAllReplicas(List.of(0, 1, 2)).setPlacedOn(1));
        return map.build();
    }

    @Test
    void shouldTakeTheOwnerOfANewerTermAndNeverGoBackToAnOlderOne() {
        PartitionRoutes routes = PartitionRoutes.ranges(NODES).merge(PartitionRoutes.of(map(0, 3, 2)));
        assertEquals("a:1", routes.addressOf(0));
        assertEquals(3, routes.termOf(0));

        PartitionRoutes moved = routes.merge(PartitionRoutes.of(map(1, 4, 2)));
        assertEquals("b:2", moved.addressOf(0), "group 0 moved to node 1 in term 4");
        assertEquals("b:2", moved.addressOf(85));
        assertEquals(4, moved.termOf(85));

        PartitionRoutes stale = moved.merge(PartitionRoutes.of(map(0, 3, 5)));
        assertEquals("b:2", stale.addressOf(0), "a node that still knows term 3 does not take group 0 back");
        assertEquals(4, stale.termOf(0));
        assertEquals("b:2", stale.addressOf(86), "its newer knowledge of group 1 is taken");
        assertEquals(5, stale.termOf(86));
        assertEquals("c:3", stale.addressOf(255), "a partition of no listed group keeps the map's owner");
    }

    @Test
    void shouldTakeTheRefreshOnEqualTermsAndMapsWithoutGroups() {
        PartitionRoutes routes = PartitionRoutes.ranges(NODES).merge(PartitionRoutes.of(map(0, 3, 2)));
        assertEquals("b:2", routes.merge(PartitionRoutes.of(map(1, 3, 2))).addressOf(0), "equal terms: the later");

        PartitionMap.Builder plain = PartitionMap.newBuilder().setPartitionCount(BorrowerRouter.PARTITIONS);
        for (int i = 0; i < NODES.size(); i++) {
            plain.addNodes(ClusterNode.newBuilder().setId(i).setAddress(NODES.get(i)));
        }
        for (int p = 0; p < BorrowerRouter.PARTITIONS; p++) {
            plain.addOwners(2);
        }
        PartitionRoutes unreplicated = PartitionRoutes.ranges(NODES).merge(PartitionRoutes.of(plain.build()));
        assertEquals("c:3", unreplicated.addressOf(0), "no terms (no replication): the map read last wins");
        assertEquals(0, unreplicated.termOf(0));
    }

    @Test
    void shouldKeepAnOwnerOfAnotherAddressWhenItsTermIsNewer() {
        PartitionRoutes routes = PartitionRoutes.of(map(1, 7, 2)).withOwner(200, "d:4");
        PartitionRoutes merged = routes.merge(PartitionRoutes.of(map(0, 6, 2)));
        assertEquals("b:2", merged.addressOf(0));
        assertEquals("c:3", merged.addressOf(200), "a redirect carries no term: the map's owner is taken");
    }
}
