package dev.formica.engine.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.config.EngineConfiguration.ClientAuth;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.GetLatencyRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS, mutual TLS and bearer tokens against the real Netty server, with certificates made at test
 * time. AdminService always needs an admin identity; decision-side services need one only when
 * {@code decisionAuthRequired} is on. No identity: UNAUTHENTICATED; the wrong one: PERMISSION_DENIED.
 */
class TlsAndAuthenticationTest {
    private static final String ADMIN_DN = "CN=ops-admin,O=Formica Test";
    private static final String CHECKOUT_DN = "CN=checkout,O=Formica Test";
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    private static final String CALLER_TOKEN = "caller-token-0123456789abcdef";
    private static final ByteString PING = ByteString.copyFromUtf8("ping");

    @TempDir
    Path dir;
    private TestCertificates ca;
    private TestCertificates.Pem server;
    private Path adminTokens;
    private Path callerTokens;

    @BeforeEach
    void makeCertificates() throws Exception {
        ca = new TestCertificates(dir.resolve("pki"), "formica-test");
        server = ca.server("server");
        adminTokens = ownerOnly(dir.resolve("admin.tokens"), "# ops\n" + ADMIN_TOKEN + "\n");
        callerTokens = ownerOnly(dir.resolve("caller.tokens"), CALLER_TOKEN + "\n");
    }

    private static Path ownerOnly(Path file, String text) throws Exception {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.writeString(file, text);
    }

    private EngineConfiguration tlsConfig(String data) throws Exception {
        return new EngineConfiguration().port(0).shards(1).dataDir(dir.resolve(data))
                .tlsCertChain(server.cert()).tlsPrivateKey(server.key()).tlsClientCa(ca.caFile());
    }

    private FormicaClient client(int port, UnaryOperator<FormicaClient.Builder> options) {
        return options.apply(FormicaClient.builder().target("127.0.0.1:" + port)
                .defaultDeadline(Duration.ofSeconds(10)).retryPolicy(RetryPolicy.none())).build();
    }

    /** GetLatency on a channel of its own with these credentials (the SDK has no admin methods). */
    private static Status.Code adminCall(int port, ChannelCredentials credentials, String token) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
        try {
            AdminServiceGrpc.AdminServiceBlockingStub stub = AdminServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            if (token != null) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
            }
            stub.getLatency(GetLatencyRequest.getDefaultInstance());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow();
        }
    }

    private static ChannelCredentials tls(Path ca, TestCertificates.Pem clientCert) throws Exception {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
        if (clientCert != null) {
            b.keyManager(clientCert.cert().toFile(), clientCert.key().toFile());
        }
        return b.build();
    }

    private static Status.Code echo(FormicaClient client) {
        try {
            assertEquals(PING, client.echo(PING));
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static void assertPassedAuthentication(Status.Code code) {
        assertNotEquals(Status.Code.UNAUTHENTICATED, code);
        assertNotEquals(Status.Code.PERMISSION_DENIED, code);
        assertNotEquals(Status.Code.UNAVAILABLE, code);
    }

    @Test
    void shouldLetOnlyAdminIdentitiesCallAdminServiceOverMutualTls() throws Exception {
        TestCertificates.Pem admin = ca.client("admin", ADMIN_DN);
        TestCertificates.Pem checkout = ca.client("checkout", CHECKOUT_DN);
        TestCertificates.Pem stranger = new TestCertificates(dir.resolve("other-pki"), "other").client("x", ADMIN_DN);
        EngineConfiguration config = tlsConfig("optional").clientAuth(ClientAuth.OPTIONAL)
                .adminSubjects(List.of(ADMIN_DN)).adminTokenFile(adminTokens).callerTokenFile(callerTokens);
        try (EngineServer engine = new EngineServer(config).start()) {
            int port = engine.port();
            Path caFile = ca.caFile();
            try (FormicaClient anonymous = client(port, b -> b.trustCertificates(caFile));
                    FormicaClient adminCert = client(port, b -> b.trustCertificates(caFile)
                            .clientCertificate(admin.cert(), admin.key()));
                    FormicaClient checkoutCert = client(port, b -> b.trustCertificates(caFile)
                            .clientCertificate(checkout.cert(), checkout.key()));
                    FormicaClient adminToken = client(port, b -> b.trustCertificates(caFile).bearerToken(ADMIN_TOKEN));
                    FormicaClient callerToken = client(port, b -> b.trustCertificates(caFile)
                            .bearerToken(CALLER_TOKEN));
                    FormicaClient wrongToken = client(port, b -> b.trustCertificates(caFile)
                            .bearerToken("not-a-token-0123456789abcdef"));
                    FormicaClient otherCa = client(port, b -> b.trustCertificates(caFile)
                            .clientCertificate(stranger.cert(), stranger.key()));
                    FormicaClient plaintext = client(port, b -> b.usePlaintext());
                    FormicaClient systemRoots = client(port, b -> b.useTls())) {
                // decision-side auth is off: anyone with a TLS connection may echo
                assertEquals(Status.Code.OK, echo(anonymous));
                assertEquals(Status.Code.OK, echo(checkoutCert));
                assertEquals(Status.Code.UNAUTHENTICATED, adminCall(port, tls(caFile, null), null));
                assertPassedAuthentication(adminCall(port, tls(caFile, admin), null));
                assertPassedAuthentication(adminCall(port, tls(caFile, null), ADMIN_TOKEN));
                assertEquals(Status.Code.PERMISSION_DENIED, adminCall(port, tls(caFile, checkout), null));
                assertEquals(Status.Code.PERMISSION_DENIED, adminCall(port, tls(caFile, null), CALLER_TOKEN));
                // a token that is presented but unknown is refused everywhere, even with an admin certificate
                assertEquals(Status.Code.UNAUTHENTICATED, echo(wrongToken));
                assertEquals(Status.Code.UNAUTHENTICATED, adminCall(port, tls(caFile, admin), "x".repeat(30)));
                // a certificate of another CA, even with an admin's subject, is no identity (the client
                // does not even offer it: the server names the CAs it accepts)
                assertEquals(Status.Code.OK, echo(otherCa));
                assertEquals(Status.Code.UNAUTHENTICATED, adminCall(port, tls(caFile, stranger), null));
                // transport-level refusals: no handshake, no call
                assertEquals(Status.Code.UNAVAILABLE, echo(plaintext));
                assertEquals(Status.Code.UNAVAILABLE, echo(systemRoots));
            }
        }
    }

    @Test
    void shouldRequireCallerIdentityForDecisionsWhenConfigured() throws Exception {
        TestCertificates.Pem checkout = ca.client("checkout", CHECKOUT_DN);
        TestCertificates.Pem other = ca.client("other", "CN=reporting,O=Formica Test");
        EngineConfiguration config = tlsConfig("require").clientAuth(ClientAuth.REQUIRE).decisionAuthRequired(true)
                .callerSubjects(List.of(CHECKOUT_DN));
        try (EngineServer engine = new EngineServer(config).start()) {
            int port = engine.port();
            Path caFile = ca.caFile();
            try (FormicaClient noCert = client(port, b -> b.trustCertificates(caFile));
                    FormicaClient allowed = client(port, b -> b.trustCertificates(caFile)
                            .clientCertificate(checkout.cert(), checkout.key()));
                    FormicaClient notListed = client(port, b -> b.trustCertificates(caFile)
                            .clientCertificate(other.cert(), other.key()))) {
                assertEquals(Status.Code.UNAVAILABLE, echo(noCert), "REQUIRE: no handshake without a certificate");
                assertEquals(Status.Code.OK, echo(allowed));
                assertEquals(Status.Code.PERMISSION_DENIED, echo(notListed));
                assertEquals(Status.Code.PERMISSION_DENIED, adminCall(port, tls(caFile, checkout), null),
                        "a caller is no admin");
            }
        }
    }

    @Test
    void shouldAcceptCallerTokensOverLoopbackPlaintext() throws Exception {
        EngineConfiguration config = new EngineConfiguration().port(0).shards(1).dataDir(dir.resolve("plain"))
                .decisionAuthRequired(true).callerTokenFile(callerTokens).adminTokenFile(adminTokens);
        try (EngineServer engine = new EngineServer(config).start()) {
            int port = engine.port();
            try (FormicaClient none = client(port, b -> b);
                    FormicaClient caller = client(port, b -> b.bearerToken(CALLER_TOKEN));
                    FormicaClient admin = client(port, b -> b.bearerToken(ADMIN_TOKEN))) {
                assertEquals(Status.Code.UNAUTHENTICATED, echo(none));
                assertEquals(Status.Code.OK, echo(caller));
                assertEquals(Status.Code.OK, echo(admin), "an admin may call everything");
                ChannelCredentials plain = InsecureChannelCredentials.create();
                assertEquals(Status.Code.UNAUTHENTICATED, adminCall(port, plain, null));
                assertEquals(Status.Code.PERMISSION_DENIED, adminCall(port, plain, CALLER_TOKEN));
                assertPassedAuthentication(adminCall(port, plain, ADMIN_TOKEN));
            }
        }
    }

    /**
     * The adminPort: a plaintext main port (as the Kubernetes pods run) beside a second port that takes only mutual
     * TLS, where an admin certificate administers and the same services answer; the main port still refuses admin
     * calls without an identity.
     */
    @Test
    void shouldAdministerByCertificateOnTheAdminPortBesideAPlaintextPort() throws Exception {
        TestCertificates.Pem admin = ca.client("admin", ADMIN_DN);
        TestCertificates.Pem checkout = ca.client("checkout", CHECKOUT_DN);
        EngineConfiguration config = new EngineConfiguration().port(0).shards(1).dataDir(dir.resolve("admin-port"))
                .adminPort(0).adminTlsCertChain(server.cert()).adminTlsPrivateKey(server.key())
                .adminTlsClientCa(ca.caFile()).adminSubjects(List.of(ADMIN_DN));
        try (EngineServer engine = new EngineServer(config).start()) {
            int port = engine.port();
            int adminPort = engine.adminPort();
            assertTrue(adminPort > 0 && adminPort != port, "a port of its own: " + adminPort);
            Path caFile = ca.caFile();
            assertPassedAuthentication(adminCall(adminPort, tls(caFile, admin), null));
            assertEquals(Status.Code.PERMISSION_DENIED, adminCall(adminPort, tls(caFile, checkout), null),
                    "a certificate outside adminSubjects is no admin");
            assertEquals(Status.Code.UNAVAILABLE, adminCall(adminPort, tls(caFile, null), null),
                    "no handshake without a client certificate");
            assertEquals(Status.Code.UNAVAILABLE, adminCall(adminPort, InsecureChannelCredentials.create(), null),
                    "no plaintext on the admin port");
            assertEquals(Status.Code.UNAUTHENTICATED, adminCall(port, InsecureChannelCredentials.create(), null));
            try (FormicaClient plain = client(port, b -> b);
                    FormicaClient overAdminPort = client(adminPort, b -> b.trustCertificates(caFile)
                            .clientCertificate(checkout.cert(), checkout.key()))) {
                assertEquals(Status.Code.OK, echo(plain), "the main port is unchanged");
                assertEquals(Status.Code.OK, echo(overAdminPort), "every service is served there");
            }
        }
        try (EngineServer engine = new EngineServer(new EngineConfiguration().port(0).shards(1)
                .dataDir(dir.resolve("no-admin-port"))).start()) {
            assertEquals(-1, engine.adminPort(), "none unless configured");
        }
    }

    @Test
    void shouldRefuseAdminCallsWhenNoAdminIsConfigured() throws Exception {
        try (EngineServer engine = new EngineServer(new EngineConfiguration().port(0).shards(1)
                .dataDir(dir.resolve("open"))).start();
                FormicaClient client = client(engine.port(), b -> b)) {
            assertEquals(Status.Code.OK, echo(client), "the loopback demo needs no credentials");
            assertEquals(Status.Code.UNAUTHENTICATED, adminCall(engine.port(), InsecureChannelCredentials.create(),
                    null));
        }
    }

    @Test
    void shouldFailAtStartOnConflictingOrUnsafeSecuritySettings() throws Exception {
        Path data = dir.resolve("bad");
        List<EngineConfiguration> conflicting = List.of(
                new EngineConfiguration().tlsCertChain(server.cert()),
                new EngineConfiguration().tlsClientCa(ca.caFile()),
                new EngineConfiguration().clientAuth(ClientAuth.REQUIRE),
                tlsConfig("x").clientAuth(ClientAuth.NONE),
                new EngineConfiguration().adminSubjects(List.of(ADMIN_DN)),
                new EngineConfiguration().decisionAuthRequired(true),
                new EngineConfiguration().host("0.0.0.0").adminTokenFile(adminTokens),
                new EngineConfiguration().adminPort(0),
                new EngineConfiguration().adminPort(0).adminTlsCertChain(server.cert())
                        .adminTlsPrivateKey(server.key()),
                new EngineConfiguration().adminTlsCertChain(server.cert()).adminTlsPrivateKey(server.key())
                        .adminTlsClientCa(ca.caFile()),
                new EngineConfiguration().port(50051).adminPort(50051).adminTlsCertChain(server.cert())
                        .adminTlsPrivateKey(server.key()).adminTlsClientCa(ca.caFile()));
        for (EngineConfiguration c : conflicting) {
            IllegalStateException e = assertThrows(IllegalStateException.class, c::conclude);
            assertTrue(e.getMessage().startsWith("configuration: "), e.getMessage());
        }
        Path readable = Files.writeString(dir.resolve("readable.tokens"), ADMIN_TOKEN + "\n");
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EngineServer(
                new EngineConfiguration().port(0).dataDir(data).adminTokenFile(readable)).start());
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Path shortToken = ownerOnly(dir.resolve("short.tokens"), "abc\n");
        e = assertThrows(IllegalStateException.class, () -> new EngineServer(
                new EngineConfiguration().port(0).dataDir(data).adminTokenFile(shortToken)).start());
        assertTrue(e.getMessage().contains("at least"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new EngineServer(new EngineConfiguration().port(0)
                .dataDir(data).tlsCertChain(server.key()).tlsPrivateKey(server.cert())).start());
        assertTrue(e.getMessage().contains("cannot read the TLS files"), e.getMessage());
    }
}
