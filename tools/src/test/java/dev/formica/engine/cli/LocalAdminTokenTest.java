package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 2: right after {@code formica serve} (a real child process on loopback), {@code formica latency}
 * on the same machine works: the server created an owner-only admin token in its data directory on first start,
 * and the CLI finds it from {@code --data-dir}. Without it, the call is still UNAUTHENTICATED, and the token never
 * appears in the server's output.
 */
class LocalAdminTokenTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void shouldLetTheLocalOperatorReadLatencyRightAfterServe() throws Exception {
        Path data = dir.resolve("data");
        try (ServeProcess serve = ServeProcess.start(120, "--port=0", "--shards=1", "--data-dir=" + data)) {
            Path tokenFile = data.resolve("admin.token");
            assertTrue(Files.isRegularFile(tokenFile), serve.output());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
            String token = token(tokenFile);
            assertTrue(token != null && token.length() >= 40, "a long random token");

            String target = "127.0.0.1:" + serve.port();
            CliRun latency = run("latency", "--target", target, "--data-dir", data.toString());
            assertEquals(0, latency.exit(), latency.out() + latency.err());
            assertTrue(latency.out().contains("since start"), latency.out());

            CliRun anonymous = run("latency", "--target", target, "--data-dir", dir.resolve("elsewhere").toString());
            assertEquals(1, anonymous.exit(), anonymous.out() + anonymous.err());
            assertTrue(anonymous.err().contains("UNAUTHENTICATED"), anonymous.err());
            assertTrue(anonymous.err().contains("--data-dir"), "says where a token comes from: " + anonymous.err());

            serve.terminate(60);
            assertFalse(serve.output().contains(token), "the token is never printed:\n" + serve.output());
        }
    }

    @Test
    void shouldMakeTheLocalTokenOffLoopbackOnlyWhenAdminTokensAreTakenFromLoopbackPeersOnly() {
        // a Kubernetes pod (deploy/kubernetes): a plaintext port on every address, kubectl exec for admin
        Path data = dir.resolve("pod");
        assertNull(ServeCommand.localAdminTokenFile(new EngineConfiguration().host("0.0.0.0").dataDir(data)),
                "off loopback, nothing is made: a token there would cross the network in clear");
        EngineConfiguration pod = new EngineConfiguration().host("0.0.0.0").dataDir(data).adminTokenLoopbackOnly(true);
        Path local = ServeCommand.localAdminTokenFile(pod);
        assertEquals(data.resolve(LocalAdminToken.FILE), local);
        // the server's own rules take it, as serve concludes the settings with it
        assertTrue(pod.adminTokenFile(local).conclude().adminTokenLoopbackOnly());
        assertNull(ServeCommand.localAdminTokenFile(new EngineConfiguration().host("0.0.0.0").dataDir(data)
                .adminTokenLoopbackOnly(true).adminTokenFile(dir.resolve("own.tokens"))), "the operator's own file");
    }

    /** The first line that is not a comment. */
    private static String token(Path file) throws Exception {
        return Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .findFirst().orElse(null);
    }

    @Test
    void shouldKeepTheTokenAcrossStartsAndLeaveAnOperatorsFileAlone() throws Exception {
        Path data = dir.resolve("d");
        Path file = LocalAdminToken.ensure(data);
        String first = token(file);
        assertEquals(file, LocalAdminToken.ensure(data), "found, not made again");
        assertEquals(first, token(file), "a restart keeps the token: scripts that read it once keep working");
        assertEquals(first, LocalAdminToken.read(data));
        assertEquals(null, LocalAdminToken.read(dir.resolve("none")), "no data directory, no token");
    }
}
