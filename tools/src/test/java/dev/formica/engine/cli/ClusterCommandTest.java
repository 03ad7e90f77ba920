package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.formica.v1.ClusterNode;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code formica cluster status}'s reading of a map: each node's partitions as contiguous ranges, also when
 * failover left a node leading a range that is not its own. A real server's answer is checked in
 * {@code AdminCommandsTest}.
 */
class ClusterCommandTest {

    @Test
    void shouldPrintEachNodesPartitionsAsRangesAndWhoAnswered() {
        // three nodes' ranges (0-85, 86-170, 171-255), then node 2 died and node 0 leads its range too
        List<Integer> owners = new ArrayList<>();
        for (int p = 0; p < 256; p++) {
            int home = p * 3 / 256;
            owners.add(home == 2 ? 0 : home);
        }
        owners.set(100, 0); // and one stray partition, to show single numbers
        PartitionMap map = PartitionMap.newBuilder().setPartitionCount(256).setAnsweredBy(1).addAllOwners(owners)
                .addNodes(ClusterNode.newBuilder().setId(0).setAddress("10.0.0.1:50051"))
                .addNodes(ClusterNode.newBuilder().setId(1).setAddress("10.0.0.2:50051"))
                .addNodes(ClusterNode.newBuilder().setId(2).setAddress("10.0.0.3:50051")).build();

        StringWriter text = new StringWriter();
        ClusterCommand.print(map, new PrintWriter(text));

        assertEquals(String.join("\n",
                "  node address                                  partitions  ranges",
                "  0    10.0.0.1:50051                                  172  0-85, 100, 171-255",
                "  1    10.0.0.2:50051                                   84  86-99, 101-170",
                "  2    10.0.0.3:50051                                    0  -",
                "256 partitions; answered by node 1", ""), text.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void shouldPrintTheGroupsAndTheMapVersionOfAReplicatedNode() {
        List<Integer> owners = new ArrayList<>();
        for (int p = 0; p < 256; p++) {
            int home = p * 3 / 256;
            owners.add(home == 0 ? 1 : home); // group 0 moved to node 1
        }
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(256).setAnsweredBy(2)
                .addAllOwners(owners).setVersion(9);
        for (int i = 0; i < 3; i++) {
            map.addNodes(ClusterNode.newBuilder().setId(i).setAddress("10.0.0." + (i + 1) + ":50051"));
            int[] range = {0, 86, 171, 256};
            map.addGroups(PartitionGroup.newBuilder().setId(i).setFirstPartition(range[i])
                    .setLastPartition(range[i + 1] - 1).setLeader(i == 0 ? 1 : i).setTerm(i == 0 ? 4 : 2 + i % 2)
                    .addAllReplicas(List.of(0, 1, 2)).setPlacedOn(i == 0 ? 1 : i));
        }
        StringWriter text = new StringWriter();
        ClusterCommand.print(map.build(), new PrintWriter(text));

        assertEquals(String.join("\n",
                "  node address                                  partitions  ranges",
                "  0    10.0.0.1:50051                                    0  -",
                "  1    10.0.0.2:50051                                  171  0-170",
                "  2    10.0.0.3:50051                                   85  171-255",
                "  group partitions leader     term  replicas   placed on",
                "  0     0-85       1             4  0,1,2      1",
                "  1     86-170     1             3  0,1,2      1",
                "  2     171-255    2             2  0,1,2      2",
                "256 partitions; map version 9; answered by node 2", ""),
                text.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void shouldFindRangesAtBothEndsAndSinglePartitions() {
        assertEquals(List.of("0", "2-3", "5"), ClusterCommand.ranges(List.of(7, 1, 7, 7, 1, 7), 7));
        assertEquals(List.of(), ClusterCommand.ranges(List.of(1, 1), 7));
    }
}
