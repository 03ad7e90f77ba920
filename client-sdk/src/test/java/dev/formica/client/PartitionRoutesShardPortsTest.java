package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.formica.v1.PartitionMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code shardPorts}: the partitions a node serves on shard ports go to those ports; the others stay. */
class PartitionRoutesShardPortsTest {

    private static PartitionMap mapWithPorts(int firstPort, int secondPort, int ownedUpTo) {
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(BorrowerRouter.PARTITIONS);
        for (int p = 0; p < BorrowerRouter.PARTITIONS; p++) {
            map.addOwners(0);
            map.addPartitionPorts(p >= ownedUpTo ? 0 : p % 2 == 0 ? firstPort : secondPort);
        }
        return map.build();
    }

    @Test
    void shouldSendEachPartitionTheTargetServesToItsShardPortOnTheTargetsHost() {
        PartitionRoutes routes = PartitionRoutes.ranges(List.of("10.0.0.1:50051"))
                .withPartitionPorts("10.0.0.1:50051", "10.0.0.1", mapWithPorts(50061, 50062, 200));
        assertEquals("10.0.0.1:50061", routes.addressOf(0));
        assertEquals("10.0.0.1:50062", routes.addressOf(1));
        assertEquals("10.0.0.1:50061", routes.addressOf(198));
        assertEquals("10.0.0.1:50051", routes.addressOf(200), "a partition without a shard port stays on the node");
    }

    @Test
    void shouldKeepPartitionsOfOtherTargetsAndMapsWithoutPorts() {
        PartitionRoutes two = PartitionRoutes.ranges(List.of("a:1", "b:2"));
        PartitionRoutes learned = two.withPartitionPorts("a:1", "a", mapWithPorts(7, 8, 256));
        assertEquals("a:7", learned.addressOf(0));
        assertEquals("b:2", learned.addressOf(255), "the other target's partition is not moved");
        PartitionMap noPorts = PartitionMap.newBuilder().setPartitionCount(BorrowerRouter.PARTITIONS).build();
        assertSame(two, two.withPartitionPorts("a:1", "a", noPorts));
    }

    @Test
    void shouldSendTheShardPortsPartitionsBackToTheirTargetAndLearnNewPortsAgain() {
        PartitionRoutes two = PartitionRoutes.ranges(List.of("a:1", "b:2"));
        PartitionRoutes learned = two.withPartitionPorts("a:1", "a", mapWithPorts(7, 8, 128));
        PartitionRoutes back = learned.backTo("a:1", Set.of("a:7", "a:8"));
        for (int p = 0; p < BorrowerRouter.PARTITIONS; p++) {
            assertEquals(two.addressOf(p), back.addressOf(p), "partition " + p);
        }
        PartitionRoutes relearned = back.withPartitionPorts("a:1", "a", mapWithPorts(17, 18, 128));
        assertEquals("a:17", relearned.addressOf(0));
        assertEquals("a:18", relearned.addressOf(1));
        assertEquals("b:2", relearned.addressOf(255));
    }
}
