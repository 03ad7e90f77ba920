package dev.formica.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The kustomize component {@code deploy/kubernetes/admin-mtls} (admin from outside the pods over mutual TLS): its
 * JSON patches applied to the StatefulSet and the Service give objects the Kubernetes schema accepts, with the admin
 * port's settings pointing into the Secret's mount, and the component is off unless an operator adds it. The
 * engine's {@code KubernetesPodSettingsTest} checks the same settings against the server's own rules.
 */
class AdminMtlsComponentTest {
    private static final Path DIR = Path.of("kubernetes");
    private static final Path COMPONENT = DIR.resolve("admin-mtls");

    /** {@code manifest} with the "add" operations of the JSON patch {@code patch} applied ("/-" appends). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> patched(Path manifest, Path patch) throws Exception {
        Map<String, Object> doc = new Yaml().load(Files.readString(manifest, StandardCharsets.UTF_8));
        List<Map<String, Object>> ops = new Yaml().load(Files.readString(patch, StandardCharsets.UTF_8));
        for (Map<String, Object> op : ops) {
            assertEquals("add", op.get("op"), patch + ": only add operations");
            String[] steps = ((String) op.get("path")).substring(1).split("/");
            Object at = doc;
            for (int i = 0; i < steps.length - 1; i++) {
                at = at instanceof List<?> list ? list.get(Integer.parseInt(steps[i]))
                        : ((Map<String, Object>) at).get(steps[i]);
                assertNotNull(at, patch + ": " + op.get("path") + " does not exist in " + manifest);
            }
            String last = steps[steps.length - 1];
            if (at instanceof List<?> list) {
                assertEquals("-", last, patch + ": " + op.get("path") + " appends");
                ((List<Object>) list).add(op.get("value"));
            } else {
                ((Map<String, Object>) at).put(last, op.get("value"));
            }
        }
        return doc;
    }

    private static String env(V1Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(V1EnvVar::getValue).findFirst()
                .orElse(null);
    }

    @Test
    void shouldServeAnAdminPortOverMutualTlsFromASecretTheOperatorCreates() throws Exception {
        V1StatefulSet set = (V1StatefulSet) KubernetesManifestsTest.validate("admin-mtls StatefulSet",
                new Gson().toJsonTree(patched(DIR.resolve("statefulset.yaml"),
                        COMPONENT.resolve("statefulset-patch.yaml"))), V1StatefulSet.class);
        V1Container container = set.getSpec().getTemplate().getSpec().getContainers().get(0);
        int adminPort = container.getPorts().stream().filter(p -> "admin".equals(p.getName()))
                .map(V1ContainerPort::getContainerPort).findFirst().orElseThrow();
        assertEquals(Integer.toString(adminPort), env(container, "FORMICA_ADMIN_PORT"));
        assertTrue(container.getPorts().stream().noneMatch(p -> p != null && !"admin".equals(p.getName())
                && p.getContainerPort() == adminPort), "a port of its own");
        V1Volume volume = set.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> "admin-tls".equals(v.getName())).findFirst().orElseThrow();
        assertEquals("formica-admin-tls", volume.getSecret().getSecretName());
        assertEquals(0440, volume.getSecret().getDefaultMode(), "readable by the pods' group, not by others");
        V1VolumeMount mount = container.getVolumeMounts().stream().filter(m -> "admin-tls".equals(m.getName()))
                .findFirst().orElseThrow();
        assertTrue(mount.getReadOnly());
        for (String file : List.of("FORMICA_ADMIN_TLS_CERT_CHAIN", "FORMICA_ADMIN_TLS_PRIVATE_KEY",
                "FORMICA_ADMIN_TLS_CLIENT_CA")) {
            assertEquals(Path.of(mount.getMountPath()), Path.of(env(container, file)).getParent(), file);
        }
        assertTrue(container.getVolumeMounts().stream().noneMatch(m -> m != mount
                && Path.of(mount.getMountPath()).startsWith(Path.of(m.getMountPath()))),
                "not inside another volume (the ConfigMap's /etc/formica is read-only)");
        assertNotNull(env(container, "FORMICA_ADMIN_SUBJECTS"), "who is an admin");

        V1Service service = (V1Service) KubernetesManifestsTest.validate("admin-mtls Service",
                new Gson().toJsonTree(patched(DIR.resolve("service.yaml"), COMPONENT.resolve("service-patch.yaml"))),
                V1Service.class);
        V1ServicePort port = service.getSpec().getPorts().stream().filter(p -> "admin".equals(p.getName()))
                .findFirst().orElseThrow();
        assertEquals(adminPort, port.getPort());
        assertEquals(new IntOrString("admin"), port.getTargetPort());

        String component = Files.readString(COMPONENT.resolve("kustomization.yaml"), StandardCharsets.UTF_8);
        assertTrue(component.contains("kind: Component"), "a component an overlay or the base opts into");
        assertFalse(component.contains("secretGenerator"), "no Secret generated from a file in the repository");
        assertFalse(Files.readString(DIR.resolve("kustomization.yaml"), StandardCharsets.UTF_8)
                .contains("\n  - admin-mtls"), "off unless the operator adds it");
    }
}
