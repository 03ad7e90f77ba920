package dev.formica.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Probe;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The manifests in {@code deploy/kubernetes} against the Kubernetes API schema, the way {@code kubeconform -strict}
 * checks them, and against what the server and the image do.
 *
 * <p>No kubeconform is served by the registries this project builds from, so the schema check uses the official
 * Kubernetes Java client's models, which are generated from the Kubernetes OpenAPI schema (client-java-api 24: the
 * 1.32 API): {@code validateJsonElement} refuses a field the schema does not define and a missing required field,
 * and reading the document into the typed model refuses a wrong type (a string port, a malformed quantity).
 */
class KubernetesManifestsTest {
    private static final Path DIR = Path.of("kubernetes");
    private static final Map<String, Class<?>> MODELS = Map.of(
            "apps/v1/StatefulSet", V1StatefulSet.class,
            "v1/Service", V1Service.class,
            "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class,
            "v1/ConfigMap", V1ConfigMap.class);

    private static final Map<String, Object> OBJECTS = new HashMap<>();

    @BeforeAll
    static void readEveryManifest() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !p.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "manifests in " + DIR.toAbsolutePath());
        for (Path file : files) {
            for (Object doc : new Yaml().loadAll(Files.readString(file, StandardCharsets.UTF_8))) {
                if (doc == null) {
                    continue;
                }
                Map<?, ?> map = (Map<?, ?>) doc;
                String kind = map.get("apiVersion") + "/" + map.get("kind");
                Object typed = validate(file + " " + kind, new Gson().toJsonTree(doc), MODELS.get(kind));
                OBJECTS.put(kind, typed);
            }
        }
        assertEquals(MODELS.keySet(), OBJECTS.keySet(), "one StatefulSet, one Service, one PodDisruptionBudget, one"
                + " ConfigMap");
    }

    /** The schema check: unknown and missing fields, then types. Returns the typed object. */
    static Object validate(String what, JsonElement json, Class<?> model) throws Exception {
        assertNotNull(model, what + ": a kind this check knows");
        try {
            model.getMethod("validateJsonElement", JsonElement.class).invoke(null, json);
        } catch (InvocationTargetException e) {
            throw new AssertionError(what + ": " + e.getCause().getMessage(), e.getCause());
        }
        try {
            return JSON.deserialize(json.toString(), model);
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
    }

    private static V1StatefulSet statefulSet() {
        return (V1StatefulSet) OBJECTS.get("apps/v1/StatefulSet");
    }

    private static V1Container container() {
        List<V1Container> containers = statefulSet().getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size());
        return containers.get(0);
    }

    private static int port(String name) {
        return container().getPorts().stream().filter(p -> name.equals(p.getName()))
                .map(V1ContainerPort::getContainerPort).findFirst().orElseThrow();
    }

    /** Pod {@code i}'s stable DNS name through the headless service, with the container port named {@code port}. */
    private static String podAddress(int i, String port) {
        V1Service svc = (V1Service) OBJECTS.get("v1/Service");
        return statefulSet().getMetadata().getName() + "-" + i + "." + svc.getMetadata().getName()
                + ".$(POD_NAMESPACE).svc:" + port(port);
    }

    private static String arg(String option) {
        String prefix = "--" + option + "=";
        return container().getArgs().stream().filter(a -> a.startsWith(prefix)).map(a -> a.substring(prefix.length()))
                .findFirst().orElse(null);
    }

    @Test
    void shouldRefuseWhatKubeconformStrictRefuses() {
        // the check itself can fail: a misspelt field, a string where the schema has an integer, a bad quantity
        Map<String, Object> probe = new HashMap<>(Map.of("grpc", Map.of("port", 50051)));
        probe.put("periodSecond", 5);
        Map<String, Object> badField = Map.of("name", "c", "image", "i", "readinessProbe", probe);
        assertThrows(AssertionError.class, () -> validate("misspelt", new Gson().toJsonTree(badField),
                V1Container.class));
        Map<String, Object> badType = Map.of("name", "c", "image", "i",
                "livenessProbe", Map.of("grpc", Map.of("port", "fifty")));
        assertThrows(AssertionError.class, () -> validate("string port", new Gson().toJsonTree(badType),
                V1Container.class));
        Map<String, Object> badQuantity = Map.of("name", "c", "image", "i",
                "resources", Map.of("requests", Map.of("memory", "4 gigs")));
        assertThrows(AssertionError.class, () -> validate("quantity", new Gson().toJsonTree(badQuantity),
                V1Container.class));
        Map<String, Object> noName = Map.of("image", "i");
        assertThrows(AssertionError.class, () -> validate("required", new Gson().toJsonTree(noName),
                V1Container.class));
    }

    @Test
    void shouldProbeTheHealthServiceNativelyOnTheGrpcPort() {
        int grpc = port("grpc");
        assertEquals(String.valueOf(grpc), arg("port"), "the server listens where the probes look");
        V1Container c = container();
        for (V1Probe p : List.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
            assertNotNull(p.getGrpc(), "a native gRPC probe (grpc.health.v1)");
            assertNull(p.getHttpGet());
            assertNull(p.getExec());
            assertEquals(grpc, p.getGrpc().getPort());
        }
        // readiness follows the decision service, which is NOT_SERVING until warm-up and recovery are done and from
        // the start of the drain (EngineServer); its name is the one the API declares
        assertEquals("formica.v1.DecisionService", c.getReadinessProbe().getGrpc().getService());
        assertTrue(apiDeclares("formica.v1", "DecisionService"));
        assertNull(c.getLivenessProbe().getGrpc().getService(), "liveness asks for the whole server");
        int startupSeconds = c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold();
        assertTrue(startupSeconds >= 300, "recovery and warm-up get minutes before liveness counts: "
                + startupSeconds + " s");
        int graceSeconds = statefulSet().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()
                .intValue();
        assertTrue(graceSeconds > 10, "the grace period outlasts the default 10 s drain");
    }

    private static boolean apiDeclares(String pkg, String service) {
        try (Stream<Path> s = Files.walk(Path.of("..", "proto", "src", "main", "proto"))) {
            return s.filter(p -> p.toString().endsWith(".proto")).anyMatch(p -> {
                try {
                    String text = Files.readString(p);
                    return text.contains("package " + pkg + ";") && text.contains("service " + service + " {");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldKeepTheDataDirectoryOnAPersistentVolume() {
        V1StatefulSet sts = statefulSet();
        String dataDir = arg("data-dir");
        assertEquals("/data", dataDir);
        V1VolumeMount mount = container().getVolumeMounts().stream().filter(m -> dataDir.equals(m.getMountPath()))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + dataDir));
        assertTrue(sts.getSpec().getVolumeClaimTemplates().stream()
                .anyMatch(t -> t.getMetadata().getName().equals(mount.getName())
                        && t.getSpec().getAccessModes().contains("ReadWriteOnce")
                        && t.getSpec().getResources().getRequests().containsKey("storage")),
                "a volume claim template backs " + dataDir);
        assertTrue(sts.getSpec().getTemplate().getSpec().getVolumes().stream()
                .noneMatch(v -> v.getName().equals(mount.getName())), "not shadowed by a pod volume");
    }

    @Test
    void shouldRunAsTheImagesNonRootUserWithResourceRequests() throws IOException {
        V1PodSpec pod = statefulSet().getSpec().getTemplate().getSpec();
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        Matcher user = Pattern.compile("<user>(\\d+):(\\d+)</user>")
                .matcher(Files.readString(Path.of("..", "tools", "pom.xml")));
        assertTrue(user.find(), "the Jib image's user in tools/pom.xml");
        assertEquals(Long.parseLong(user.group(1)), pod.getSecurityContext().getRunAsUser());
        assertEquals(Long.parseLong(user.group(2)), pod.getSecurityContext().getFsGroup(),
                "the data volume is writable by the image's group");
        V1Container c = container();
        assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
        Map<String, Quantity> requests = c.getResources().getRequests();
        assertTrue(requests.containsKey("cpu") && requests.containsKey("memory"), "cpu and memory requests");
        assertEquals(requests.get("memory"), c.getResources().getLimits().get("memory"),
                "memory request = limit: the pre-touched heap is a share of it");
        assertEquals("formica:" + System.getProperty("formica.version"), c.getImage(),
                "the image Jib builds (tools/pom.xml <to>)");
    }

    @Test
    void shouldNameEveryNodeOfTheClusterThroughTheHeadlessService() {
        V1StatefulSet sts = statefulSet();
        V1Service svc = (V1Service) OBJECTS.get("v1/Service");
        assertEquals("None", svc.getSpec().getClusterIP(), "headless");
        assertEquals(svc.getMetadata().getName(), sts.getSpec().getServiceName());
        Map<String, String> podLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(podLabels.entrySet().containsAll(svc.getSpec().getSelector().entrySet()));
        assertTrue(podLabels.entrySet().containsAll(sts.getSpec().getSelector().getMatchLabels().entrySet()));
        assertTrue(svc.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == port("grpc")));

        List<String> nodes = new ArrayList<>();
        for (String a : container().getArgs()) {
            if (a.startsWith("--cluster-node=")) {
                nodes.add(a.substring("--cluster-node=".length()));
            }
        }
        assertEquals(sts.getSpec().getReplicas().intValue(), nodes.size(), "one --cluster-node per replica");
        for (int i = 0; i < nodes.size(); i++) {
            assertEquals(podAddress(i, "grpc"), nodes.get(i), "node " + i + " is pod " + i);
        }
        assertEquals("$(POD_INDEX)", arg("cluster-node-id"));
        assertTrue(container().getEnv().stream().anyMatch(e -> e.getName().equals("POD_INDEX")
                && e.getValueFrom().getFieldRef().getFieldPath()
                        .equals("metadata.labels['apps.kubernetes.io/pod-index']")));
    }

    @Test
    void shouldReplicateEveryGroupOverTheRaftPortsOfThePodsInNodeOrder() {
        V1StatefulSet sts = statefulSet();
        V1Service svc = (V1Service) OBJECTS.get("v1/Service");
        Map<String, String> env = new HashMap<>();
        List<String> order = new ArrayList<>();
        container().getEnv().forEach(e -> {
            env.put(e.getName(), e.getValue());
            order.add(e.getName());
        });
        assertEquals("ratis", env.get("FORMICA_CLUSTER_REPLICATION"));
        String[] raft = env.get("FORMICA_CLUSTER_RAFT_NODES").split(";");
        assertEquals(sts.getSpec().getReplicas().intValue(), raft.length, "one Raft address per node");
        for (int i = 0; i < raft.length; i++) {
            assertEquals(podAddress(i, "raft"), raft[i], "Raft node " + i + " is pod " + i);
        }
        assertTrue(order.indexOf("POD_NAMESPACE") < order.indexOf("FORMICA_CLUSTER_RAFT_NODES"),
                "$(POD_NAMESPACE) expands only in variables declared after it");
        assertTrue(svc.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == port("raft")));
        assertEquals(Boolean.TRUE, svc.getSpec().getPublishNotReadyAddresses(),
                "peers reach a node's Raft port before it is ready, or a cluster starting at once never elects");
    }

    @Test
    void shouldLetOneNodeAtATimeBeEvicted() {
        V1PodDisruptionBudget pdb = (V1PodDisruptionBudget) OBJECTS.get("policy/v1/PodDisruptionBudget");
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntValue());
        assertEquals(statefulSet().getSpec().getSelector().getMatchLabels(), pdb.getSpec().getSelector()
                .getMatchLabels());
    }

    @Test
    void shouldLetAnOperatorInAPodAdministerItsServerWithTheLocalTokenAndNoSecretInTheRepository() throws IOException {
        // the pods bind a plaintext port on every address (the kubelet's gRPC probes speak plaintext)
        assertEquals("0.0.0.0", arg("host"));
        assertNull(arg("tls-cert"),
                "no TLS on the API port: admin from outside the pod is the admin-mtls component's port");
        // so admin tokens are taken from loopback peers only: kubectl exec into the pod, the CLI on 127.0.0.1
        assertEquals("true", env("FORMICA_ADMIN_TOKEN_LOOPBACK_ONLY"),
                "without it the server refuses an admin token on a plaintext non-loopback port");
        // the token is the local one serve makes in the data directory: owner-only, the pod's user (who runs
        // what kubectl exec runs), on the pod's own volume; none is given, so none is in the repository
        assertEquals("/data", arg("data-dir"));
        for (String given : List.of("admin-token-file", "caller-token-file")) {
            assertNull(arg(given), "--" + given + ": the local admin token serves, nothing to mount");
        }
        for (String variable : List.of("FORMICA_ADMIN_TOKEN_FILE", "FORMICA_ADMIN_TOKEN",
                "FORMICA_CALLER_TOKEN_FILE")) {
            assertTrue(container().getEnv().stream().noneMatch(e -> e.getName().equals(variable)), variable);
        }
        assertTrue(container().getEnv().stream().noneMatch(e -> e.getValueFrom() != null
                && e.getValueFrom().getSecretKeyRef() != null), "no Secret read into the environment");
        assertTrue(statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream()
                .noneMatch(v -> v.getSecret() != null || v.getProjected() != null), "no Secret mounted");
        String kustomization = Files.readString(DIR.resolve("kustomization.yaml"), StandardCharsets.UTF_8);
        assertFalse(kustomization.contains("secretGenerator"), "no Secret generated from a file in the repository");
    }

    /** The value of the container's environment variable {@code name}, or null. */
    private static String env(String name) {
        return container().getEnv().stream().filter(e -> e.getName().equals(name)).map(e -> e.getValue())
                .findFirst().orElse(null);
    }

    /**
     * What is wrong with pod {@code node}'s own settings file in a cluster of {@code groups} groups, or null: only
     * {@code clusterJoin} (the one setting that differs between pods); a first node ({@code node < groups}) hosts
     * every group by its position and joins none (the server refuses a group it hosts already); a pod past the group
     * count joins at least one group (else the server refuses it: it would host nothing), each a group id, once.
     */
    static String joinProblem(int node, int groups, String yaml) {
        Object loaded = new Yaml().load(yaml);
        Map<?, ?> settings = loaded == null ? Map.of() : (Map<?, ?>) loaded;
        if (!settings.keySet().stream().allMatch("clusterJoin"::equals)) {
            return "node " + node + ": only clusterJoin belongs in a pod's own file, not " + settings.keySet();
        }
        Object join = settings.get("clusterJoin");
        List<?> joined = join == null ? List.of() : (List<?>) join;
        if (node < groups) {
            return joined.isEmpty() ? null : "node " + node + " hosts every group already, joins " + joined;
        }
        if (joined.isEmpty()) {
            return "node " + node + " is past the group count (" + groups + ") and joins no group";
        }
        if (!joined.stream().allMatch(g -> g instanceof Integer i && i >= 0 && i < groups)
                || joined.stream().distinct().count() != joined.size()) {
            return "node " + node + " joins " + joined + ": group ids 0.." + (groups - 1) + ", each once";
        }
        return null;
    }

    @Test
    void shouldRefuseAJoinThatTheServerRefuses() {
        assertNull(joinProblem(0, 3, "clusterJoin: []"));
        assertNull(joinProblem(3, 3, "clusterJoin: [0, 1, 2]"));
        assertNotNull(joinProblem(1, 3, "clusterJoin: [0]"), "a first node hosts group 0 already");
        assertNotNull(joinProblem(3, 3, "# nothing"), "a pod past the group count would host nothing");
        assertNotNull(joinProblem(4, 3, "clusterJoin: [3]"), "no group 3 in a cluster of three groups");
        assertNotNull(joinProblem(4, 3, "clusterJoin: [1, 1]"));
        assertNotNull(joinProblem(3, 3, "clusterJoin: [0]\nclusterNodeId: 3"), "the id comes from the pod index");
    }

    @Test
    void shouldFixTheGroupCountAndGiveEachPodItsOwnClusterJoin() {
        int replicas = statefulSet().getSpec().getReplicas();
        String groupSetting = env("FORMICA_CLUSTER_GROUPS");
        assertNotNull(groupSetting, "the group count is set, not derived from the node list that scaling grows");
        int groups = Integer.parseInt(groupSetting);
        assertEquals(3, groups, "the cluster was made with three groups: the count never changes");
        assertTrue(groups <= replicas, "every group has its first node among the pods");
        assertNull(env("FORMICA_CLUSTER_JOIN"), "clusterJoin differs per pod: never one value for them all");

        // each pod reads its own file of the ConfigMap, by its index
        assertEquals("/etc/formica/node-$(POD_INDEX).yaml", arg("config"));
        V1ConfigMap nodes = (V1ConfigMap) OBJECTS.get("v1/ConfigMap");
        V1VolumeMount mount = container().getVolumeMounts().stream()
                .filter(m -> "/etc/formica".equals(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at /etc/formica"));
        assertEquals(Boolean.TRUE, mount.getReadOnly());
        V1Volume volume = statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertEquals(nodes.getMetadata().getName(), volume.getConfigMap().getName());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            expected.add("node-" + i + ".yaml");
        }
        assertEquals(expected, nodes.getData().keySet().stream().sorted().toList(), "one file per pod, no other");
        for (int i = 0; i < replicas; i++) {
            assertNull(joinProblem(i, groups, nodes.getData().get("node-" + i + ".yaml")));
        }
    }
}
