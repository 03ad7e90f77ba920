package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Hold ids are bearer capabilities: each names its partition, its low 56 bits are random (one id leads to no other,
 * the outside tester's finding), and a draw that a hold of the shard already has is drawn again.
 */
class HoldIdsTest {

    @Test
    void anIdNamesItsPartitionAndRoundTripsThroughItsText() {
        HoldIds.Source source = new HoldIds.Source();
        for (int partition : new int[] {0, 1, 13, 127, 128, 255}) {
            long id = source.next(partition, x -> false);
            assertEquals(partition, HoldIds.partitionOf(id));
            assertEquals(id, HoldIds.parse(HoldIds.format(id)));
        }
    }

    @Test
    void consecutiveIdsOfOnePartitionAreFarApartNotASequence() {
        HoldIds.Source source = new HoldIds.Source();
        List<Long> lows = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 2_000; i++) { // more than one 4 KiB refill of the random bytes
            long id = source.next(7, x -> false);
            assertTrue(seen.add(id), "unique");
            lows.add(id & HoldIds.LOW_MASK);
        }
        int near = 0;
        for (int i = 1; i < lows.size(); i++) {
            near += Math.abs(lows.get(i) - lows.get(i - 1)) < (1L << 40) ? 1 : 0;
        }
        // two random 56-bit values fall within 2^40 of each other about 2^-15 of the time; a sequence always does
        assertTrue(near <= 2, near + " of 1,999 consecutive ids within 2^40 of each other");
    }

    @Test
    void anIdTheShardAlreadyHasIsDrawnAgain() throws Exception {
        SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
        seeded.setSeed(42);
        long first = new HoldIds.Source(seeded).next(3, x -> false);

        SecureRandom again = SecureRandom.getInstance("SHA1PRNG");
        again.setSeed(42);
        Set<Long> asked = new HashSet<>();
        long id = new HoldIds.Source(again).next(3, x -> {
            asked.add(x);
            return x == first; // a hold of the shard has the first draw
        });
        assertNotEquals(first, id);
        assertTrue(asked.contains(first) && asked.contains(id), "each draw checked against the shard's holds");
        assertEquals(3, HoldIds.partitionOf(id));
    }
}
