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
 * And admin access: a pod binds a plaintext non-loopback host, where an admin token (the local one {@code serve}
 * makes) is accepted only with {@code adminTokenLoopbackOnly}, which the StatefulSet sets.
 */
class KubernetesPodSettingsTest {
    private static final Path CONFIG_MAP = Path.of("..", "deploy", "kubernetes", "configmap.yaml");
    private static final Path STATEFUL_SET = Path.of("..", "deploy", "kubernetes", "statefulset.yaml");

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
            assertEquals(EngineConfiguration.ShardMode.DEDICATED, c.shardMode(),
                    "replicated and shardMode unset: DEDICATED, so the manifests need no shard ports");
        }
        // scaled to four: the first pods restart with the grown lists and the same files
        assertEquals(3, pod(0, 4, (String) data.get("node-0.yaml")).shards());
        EngineConfiguration added = pod(3, 4, "clusterJoin: [0, 1, 2]\n");
        assertEquals(List.of(0, 1, 2), added.clusterJoin());
        assertEquals(3, added.shards(), "one shard per group it joins");
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> pod(3, 4, "clusterJoin: []\n"));
        assertTrue(none.getMessage().contains("hosts no group"), none.getMessage());
    }

    /** The StatefulSet's container: its {@code args} and its {@code env} values given as text. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> container() throws IOException {
        Map<String, Object> set = new Yaml().load(Files.readString(STATEFUL_SET));
        Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) set.get("spec")).get("template");
        List<Map<String, Object>> containers = (List<Map<String, Object>>) ((Map<String, Object>) spec.get("spec"))
                .get("containers");
        return containers.get(0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void thePodsTakeTheLocalAdminTokenOnAPlaintextPortFromLoopbackPeersOnly() throws IOException {
        Map<String, Object> container = container();
        String host = ((List<String>) container.get("args")).stream().filter(a -> a.startsWith("--host="))
                .map(a -> a.substring("--host=".length())).findFirst().orElseThrow();
        Map<String, String> env = new java.util.TreeMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) container.get("env")) {
            if (e.get("value") instanceof String v && ((String) e.get("name")).startsWith("FORMICA_ADMIN")) {
                env.put((String) e.get("name"), v);
            }
        }
        assertEquals(Map.of("FORMICA_ADMIN_TOKEN_LOOPBACK_ONLY", "true"), env, "the manifests' admin settings");
        // what serve does on such a pod: the local admin token in the data directory is its admin token file
        EngineConfiguration pod = new EngineConfiguration().host(host).dataDir(dir.resolve("data"))
                .applyEnvironment(env)
                .adminTokenFile(dir.resolve("data").resolve("admin.token")).conclude();
        assertTrue(pod.adminTokenLoopbackOnly());
        // without the setting, the same pod is refused: its tokens would cross the network in clear
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new EngineConfiguration()
                .host(host).dataDir(dir.resolve("data")).adminTokenFile(dir.resolve("data").resolve("admin.token"))
                .conclude());
        assertTrue(refused.getMessage().contains("adminTokenLoopbackOnly"), refused.getMessage());
        // the setting binds admin tokens only: caller tokens on a plaintext port stay refused
        assertThrows(IllegalStateException.class, () -> new EngineConfiguration().host(host)
                .dataDir(dir.resolve("data")).adminTokenLoopbackOnly(true)
                .callerTokenFile(dir.resolve("caller.tokens")).conclude());
    }

    /**
     * The admin-mtls component (admin from outside the pods): the settings its patch adds, with the pod's own, are
     * ones the server accepts: an admin port with its three TLS files and the admin subjects, beside the plaintext
     * API port and the local token; without the client CA the same pod is refused.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theAdminMtlsComponentAddsAnAdminPortTheServerAccepts() throws IOException {
        Path patch = STATEFUL_SET.resolveSibling("admin-mtls").resolve("statefulset-patch.yaml");
        Map<String, String> env = new java.util.TreeMap<>(Map.of("FORMICA_ADMIN_TOKEN_LOOPBACK_ONLY", "true"));
        for (Map<String, Object> op : (List<Map<String, Object>>) new Yaml().load(Files.readString(patch))) {
            if (((String) op.get("path")).endsWith("/env/-")) {
                Map<String, Object> variable = (Map<String, Object>) op.get("value");
                env.put((String) variable.get("name"), (String) variable.get("value"));
            }
        }
        EngineConfiguration pod = new EngineConfiguration().host("0.0.0.0").dataDir(dir.resolve("data"))
                .applyEnvironment(env).adminTokenFile(dir.resolve("data").resolve("admin.token")).conclude();
        assertEquals(50071, pod.adminPort());
        assertEquals(Path.of("/etc/formica-admin-tls/ca.crt"), pod.adminTlsClientCa());
        assertEquals(1, pod.adminSubjects().size(), "one admin subject: " + pod.adminSubjects());
        assertEquals(EngineConfiguration.ClientAuth.NONE, pod.clientAuth(), "the API port stays plaintext");
        env.remove("FORMICA_ADMIN_TLS_CLIENT_CA");
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new EngineConfiguration()
                .host("0.0.0.0").dataDir(dir.resolve("data")).applyEnvironment(env).conclude());
        assertTrue(refused.getMessage().contains("adminTlsClientCa"), refused.getMessage());
    }
}
