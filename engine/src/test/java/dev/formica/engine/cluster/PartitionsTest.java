package dev.formica.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The placement function every client reproduces, and the range assignment of partitions to nodes. */
class PartitionsTest {
    @Test
    void shouldPlaceBorrowersWithTheDocumentedFunction() {
        // pinned: the SDK's routing test pins the same partitions
        assertEquals(178, Partitions.of("b-1"));
        assertEquals(20, Partitions.of("b-2"));
        assertEquals(227, Partitions.of("borrower-42"));
        assertEquals(Partitions.ofHash("borrower-42".hashCode()), Partitions.of(new StringBuilder("borrower-42")));
    }

    @Test
    void shouldKeepTheShardOfEveryBorrowerOfAPowerOfTwoShardCount() {
        // the placement before partitions: floorMod(mix(hashCode), shards)
        for (int shards : new int[] {1, 2, 4, 8, 16, 64, 128, 256}) {
            for (int i = 0; i < 5_000; i++) {
                int h = ("borrower-" + i).hashCode();
                int mixed = h * 0x9E3779B9;
                mixed ^= mixed >>> 16;
                assertEquals(Math.floorMod(mixed, shards), Partitions.shardOf(Partitions.ofHash(h), shards),
                        shards + " shards, borrower-" + i);
            }
        }
    }

    @Test
    void shouldAssignContiguousRangesInNodeOrder() {
        PartitionTable n1 = PartitionTable.of(List.of("a:1", "b:1", "c:1"), 1);
        assertEquals("86-170", n1.ownedRanges());
        assertEquals(0, n1.ownerOf(85));
        assertTrue(n1.owns(86));
        assertFalse(n1.owns(171));
        assertEquals(2, n1.ownerOf(255));
        assertEquals("0-255", PartitionTable.singleNode().ownedRanges());
        assertEquals("0-127", PartitionTable.of(List.of("a:1", "b:1"), 0).ownedRanges());
        assertThrows(IllegalArgumentException.class, () -> PartitionTable.of(List.of("a:1"), 1));
    }
}
