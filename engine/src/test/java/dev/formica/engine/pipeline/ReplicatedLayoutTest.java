package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.replication.GroupLayout;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout file of a replicated node's data directory ({@code replication.properties}): the group count is fixed
 * at the first start and the node list may grow (docs/cluster.md, "Adding and removing a node"); a file written
 * before the group count was recorded counts its nodes as groups.
 */
class ReplicatedLayoutTest {
    private static final List<String> THREE = List.of("a:1", "b:1", "c:1");
    private static final List<String> FOUR = List.of("a:1", "b:1", "c:1", "d:1");

    @TempDir
    Path dir;

    private static EngineConfiguration node(List<String> nodes, int id, int groups) {
        return new EngineConfiguration().clusterNodes(nodes).clusterNodeId(id).clusterGroups(groups)
                .clusterReplication(EngineConfiguration.Replication.RATIS)
                .clusterRaftNodes(nodes.stream().map(a -> a.replace(":1", ":2")).toList());
    }

    private Properties recorded() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(ReplicatedPipeline.LAYOUT_FILE))) {
            p.load(in);
        }
        return p;
    }

    @Test
    void theGroupCountIsRecordedAtTheFirstStartAndTheNodeListMayGrow() throws Exception {
        ReplicatedPipeline.checkLayout(dir, node(THREE, 1, 0), new GroupLayout(3));
        assertEquals("3", recorded().getProperty("groups"));
        assertEquals("3", recorded().getProperty("nodes"));

        ReplicatedPipeline.checkLayout(dir, node(FOUR, 1, 3), new GroupLayout(3));
        assertEquals("3", recorded().getProperty("groups"), "the group count stays");
        assertEquals("4", recorded().getProperty("nodes"), "the node list grew");

        String message = assertThrows(IllegalStateException.class,
                () -> ReplicatedPipeline.checkLayout(dir, node(FOUR, 1, 0), new GroupLayout(4))).getMessage();
        assertTrue(message.contains("holds the replicas of node 1 of a cluster of 3 groups; the settings make this"
                + " node 1 of 4 groups (clusterGroups"), message);
        message = assertThrows(IllegalStateException.class,
                () -> ReplicatedPipeline.checkLayout(dir, node(FOUR, 2, 3), new GroupLayout(3))).getMessage();
        assertTrue(message.contains("replicas of node 1 of"), message);
    }

    @Test
    void aDirectoryWrittenBeforeGroupsWereRecordedHasAsManyGroupsAsNodes() throws Exception {
        Files.writeString(dir.resolve(ReplicatedPipeline.LAYOUT_FILE), "node=2\nnodes=3\n");
        ReplicatedPipeline.checkLayout(dir, node(THREE, 2, 0), new GroupLayout(3));
        assertEquals("3", recorded().getProperty("groups"), "recorded from now on");
        assertThrows(IllegalStateException.class,
                () -> ReplicatedPipeline.checkLayout(dir, node(FOUR, 2, 0), new GroupLayout(4)));
        ReplicatedPipeline.checkLayout(dir, node(FOUR, 2, 3), new GroupLayout(3));
    }
}
