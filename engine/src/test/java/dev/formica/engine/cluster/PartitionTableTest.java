package dev.formica.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The map version: owners known in a Raft term, never taken back by a notice of an older term. */
class PartitionTableTest {
    private static final List<String> NODES = List.of("a:1", "b:2", "c:3");

    @Test
    void shouldGrowTheVersionWithTheTermsAndIgnoreAnOlderTerm() {
        PartitionTable table = PartitionTable.of(NODES, 0);
        assertEquals(0, table.mapVersion(), "nothing known yet");
        table.assignRange(0, 0, 3);
        table.assignRange(1, 1, 2);
        assertEquals(5, table.mapVersion());
        long changes = table.version();

        table.assignRange(0, 1, 4); // a move: node 1 leads group 0 in term 4
        assertEquals(1, table.ownerOf(0));
        assertEquals(1, table.ownerOf(85));
        assertEquals(4, table.term(0));
        assertEquals(6, table.mapVersion());
        assertEquals(changes + 1, table.version());

        table.assignRange(0, 0, 3); // a late notice of term 3
        assertEquals(1, table.ownerOf(0), "an older term never takes the range back");
        assertEquals(6, table.mapVersion());
        assertEquals(changes + 1, table.version(), "nothing changed");

        table.assignRange(0, 2); // no term: the range's own term
        assertEquals(2, table.ownerOf(0));
        assertEquals(4, table.term(0));
    }

    @Test
    void shouldNameEachRangesFirstAndLastPartition() {
        for (int n = 1; n <= 7; n++) {
            PartitionTable table = PartitionTable.of(IntStream.range(0, n).mapToObj(i -> "h:" + (i + 1)).toList(), 0);
            for (int node = 0; node < n; node++) {
                int owner = node;
                int[] expected = {
                    IntStream.range(0, Partitions.COUNT).filter(p -> PartitionTable.rangeOwner(p, table.nodes()
                            .size()) == owner).min().orElseThrow(),
                    IntStream.range(0, Partitions.COUNT).filter(p -> PartitionTable.rangeOwner(p, table.nodes()
                            .size()) == owner).max().orElseThrow()};
                assertArrayEquals(expected, table.range(node), n + " nodes, node " + node);
            }
        }
    }

    @Test
    void shouldKeepTheGroupsRangesWhenANodeIsAdded() {
        PartitionTable table = PartitionTable.of(NODES, 0, 3);
        long changes = table.version();
        assertEquals(true, table.learnNode(3, "d:4"), "the next id grows the list");
        assertEquals(List.of("a:1", "b:2", "c:3", "d:4"), table.nodes());
        assertEquals(changes + 1, table.version(), "a cached map is built again");
        assertEquals(3, table.ranges(), "the groups stay three");
        assertArrayEquals(new int[] {0, 85}, table.range(0));
        table.assignRange(0, 3, 5); // the added node leads group 0
        assertEquals(3, table.ownerOf(0));
        assertEquals(3, table.ownerOf(85));
        assertEquals(1, table.ownerOf(86), "group 1 is not touched");
        assertEquals(true, table.refusal(10, "borrower_id").getMessage().contains("node 3 (d:4)"));
        assertEquals(true, table.learnNode(1, "x:9"), "a known node keeps its address");
        assertEquals("b:2", table.nodes().get(1));
        assertEquals(false, table.learnNode(5, "f:6"), "no gap in the ids");
        assertEquals(false, table.learnNode(4, ""), "no address, no node");
        assertEquals(4, table.nodes().size());
    }
}
