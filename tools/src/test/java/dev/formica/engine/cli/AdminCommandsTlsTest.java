package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.security.TestCertificates;
import dev.formica.engine.server.EngineServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote admin from the command line: against a TLS server (certificates made at test time), an admin command
 * authenticates by client certificate alone (mutual TLS) or by an owner-only token file over TLS; a certificate
 * without the admin role is PERMISSION_DENIED with its reason.
 */
class AdminCommandsTlsTest {
    private static final int PORT = 20426;
    private static final String ADMIN_DN = "CN=ops-admin,O=Formica Test";
    private static final String ADMIN_TOKEN = "admin-commands-tls-token-0123456789";

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void shouldAdministerOverTlsByClientCertificateOrTokenFile() throws Exception {
        TestCertificates ca = new TestCertificates(dir.resolve("pki"), "formica-test");
        TestCertificates.Pem server = ca.server("server");
        TestCertificates.Pem admin = ca.client("admin", ADMIN_DN);
        TestCertificates.Pem checkout = ca.client("checkout", "CN=checkout,O=Formica Test");
        Path tokens = Files.createFile(dir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, "# ops\n" + ADMIN_TOKEN + "\n");
        EngineConfiguration config = new EngineConfiguration().port(PORT).shards(1).dataDir(dir.resolve("data"))
                .tlsCertChain(server.cert()).tlsPrivateKey(server.key()).tlsClientCa(ca.caFile())
                .clientAuth(EngineConfiguration.ClientAuth.OPTIONAL).adminSubjects(List.of(ADMIN_DN))
                .adminTokenFile(tokens);
        try (EngineServer engine = new EngineServer(config).start()) {
            String target = "127.0.0.1:" + engine.port();
            String none = dir.resolve("no-local-token").toString();

            CliRun byCertificate = run("appetite", "show", "--target", target, "--data-dir", none, "--tls-ca",
                    ca.caFile().toString(), "--tls-cert", admin.cert().toString(), "--tls-key", admin.key().toString());
            assertEquals(0, byCertificate.exit(), byCertificate.all());
            assertTrue(byCertificate.out().contains("CONSUMER_CREDIT"), byCertificate.all());

            CliRun byToken = run("rules", "list", "--target", target, "--data-dir", none, "--tls-ca",
                    ca.caFile().toString(), "--token-file", tokens.toString());
            assertEquals(0, byToken.exit(), byToken.all());
            assertTrue(byToken.out().contains("active"), byToken.all());

            CliRun notAdmin = run("appetite", "show", "--target", target, "--data-dir", none, "--tls-ca",
                    ca.caFile().toString(), "--tls-cert", checkout.cert().toString(), "--tls-key",
                    checkout.key().toString());
            assertEquals(1, notAdmin.exit(), notAdmin.all());
            assertTrue(notAdmin.err().contains("PERMISSION_DENIED ROLE_MISSING"), notAdmin.all());

            CliRun halfPair = run("appetite", "show", "--target", target, "--tls-cert", admin.cert().toString());
            assertEquals(2, halfPair.exit(), halfPair.all());
            assertTrue(halfPair.err().contains("--tls-cert and --tls-key go together"), halfPair.all());
        }
    }
}
