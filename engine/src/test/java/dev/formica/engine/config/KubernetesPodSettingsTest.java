package dev.formica.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The settings a pod of {@code deploy/kubernetes} starts with, checked by the server's own rules: its file of the
 * ConfigMap {@code formica-nodes} ({@code --config}), the StatefulSet's node lists and {@code clusterGroups: 3}, and
 * its index as the node id. The first three pods start; so does a fourth added the way docs/operations.md says (the
 * grown lists, {@code clusterJoin: [0, 1, 2]}), and a fourth without a join is refused (it would host nothing). The
 * deploy module's {@code KubernetesManifestsTest} checks the manifests' shape; this checks them against the server.
 */
class KubernetesPodSettingsTest {
    private static final Path CONFIG_MAP = Path.of("..", "deploy", "kubernetes", "configmap.yaml");

    @TempDir
    Path dir;

    private static List<String> addresses(int nodes, int port) {
        return IntStream.range(0, nodes).mapToObj(i -> "formica-" + i + ".formica.ns.svc:" + port).toList();
    }

    /** Pod {@code node}'s configuration from its own file and the StatefulSet's settings for {@code nodes} pods. */
    private EngineConfiguration pod(int node, int nodes, String ownFile) throws IOException {
        Path file = Files.writeString(dir.resolve("node-" + node + ".yaml"), ownFile);
        return EngineConfiguration.fromYaml(file).dataDir(dir.resolve("data-" + node))
                .clusterNodes(addresses(nodes, 50051)).clusterRaftNodes(addresses(nodes, 50061))
                .clusterReplication(EngineConfiguration.Replication.RATIS).clusterGroups(3).clusterNodeId(node)
                .conclude();
    }

    @Test
    void everyPodOfTheManifestsStartsAndAnAddedOneJoinsTheGroups() throws IOException {
        Map<?, ?> configMap = new Yaml().load(Files.readString(CONFIG_MAP));
        Map<?, ?> data = (Map<?, ?>) configMap.get("data");
        assertEquals(3, data.size(), "one file per pod of the three");
        for (int node = 0; node < 3; node++) {
            EngineConfiguration c = pod(node, 3, (String) data.get("node-" + node + ".yaml"));
            assertEquals(List.of(), c.clusterJoin());
            assertEquals(3, c.shards(), "a first node hosts the three groups");
        }
        // scaled to four: the first pods restart with the grown lists and the same files
        assertEquals(3, pod(0, 4, (String) data.get("node-0.yaml")).shards());
        EngineConfiguration added = pod(3, 4, "clusterJoin: [0, 1, 2]\n");
        assertEquals(List.of(0, 1, 2), added.clusterJoin());
        assertEquals(3, added.shards(), "one shard per group it joins");
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> pod(3, 4, "clusterJoin: []\n"));
        assertTrue(none.getMessage().contains("hosts no group"), none.getMessage());
    }
}
