package dev.formica.engine.cluster;

import static dev.formica.engine.cluster.ExchangeGauges.deviceOwnedBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.config.EngineConfiguration.ClientAuth;
import dev.formica.engine.security.TestCertificates;
import dev.formica.engine.server.EngineServer;
import dev.formica.engine.state.VelocityShares;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.ExchangeVelocityRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.VelocityExchangeServiceGrpc;
import dev.formica.v1.VelocityKeyWords;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The velocity exchange with TLS, mutual TLS and tokens (docs/cluster.md, "Velocity across nodes"; docs/security.md):
 * two real engines on loopback as a two-node map without replication (gRPC 127.0.0.1:22310-22311, metrics
 * 22312-22313), {@code decisionAuthRequired} on, rule set {@code rules/device-velocity.yaml} (the sixth transaction
 * of a device in an hour declines). The nodes call each other with their own certificates or node token; a checkout
 * caller's certificate or token, none, or a wrong one is refused by ExchangeVelocity and changes no count, while the
 * same words from a node's credentials are taken; a node with a wrong node token is refused by its peer and both age
 * gauges grow.
 */
class ClusterVelocityCredentialsTest {
    private static final List<String> NODES = List.of("127.0.0.1:22310", "127.0.0.1:22311");
    private static final int[] METRICS = {22312, 22313};
    private static final String CHECKOUT_DN = "CN=checkout,O=Formica Test";
    private static final List<String> NODE_DNS = List.of("CN=formica-0,O=Formica Test", "CN=formica-1,O=Formica Test");
    private static final String CALLER_TOKEN = "caller-token-0123456789abcdef";
    private static final String NODE_TOKEN = "node-token-0123456789abcdef";
    private static final String WRONG_NODE_TOKEN = "node-token-9876543210fedcba";

    @TempDir
    Path dir;
    private final EngineServer[] servers = new EngineServer[2];
    private final List<AutoCloseable> clients = new ArrayList<>();
    private final ExchangeGauges gauges = new ExchangeGauges(METRICS);
    private int request;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        for (EngineServer s : servers) {
            if (s != null) {
                s.close();
            }
        }
    }

    private EngineConfiguration config(int node) {
        return LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dir.resolve("n" + node))
                .shards(2).expectedBorrowers(1000).expectedDecisionsPerDay(1000).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1)))
                .rulesFile(LedgerOnlyRules.resource("rules/device-velocity.yaml"))
                .port(22310 + node).metricsPort(METRICS[node]).clusterNodes(NODES).clusterNodeId(node)
                .decisionAuthRequired(true);
    }

    private FormicaClient client(UnaryOperator<FormicaClient.Builder> credentials) {
        FormicaClient c = credentials.apply(FormicaClient.builder().targets(NODES)
                .defaultDeadline(Duration.ofSeconds(5))).build();
        clients.add(c);
        return c;
    }

    private static Path ownerOnly(Path file, String text) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.writeString(file, text);
    }

    @Test
    void overMutualTlsTheNodesCountTogetherAndOnlyANodeCertificateMayExchange() throws Exception {
        TestCertificates ca = new TestCertificates(dir.resolve("pki"), "formica-test");
        TestCertificates.Pem checkout = ca.client("checkout", CHECKOUT_DN);
        TestCertificates.Pem stranger = ca.node("stranger", "CN=formica-9,O=Formica Test");
        List<TestCertificates.Pem> nodes = List.of(ca.node("node-0", NODE_DNS.get(0)), ca.node("node-1",
                NODE_DNS.get(1)));
        for (int node = 0; node < 2; node++) {
            // no clusterPeerCa: the peers' server certificates are checked against tlsClientCa
            servers[node] = new EngineServer(config(node).tlsCertChain(nodes.get(node).cert())
                    .tlsPrivateKey(nodes.get(node).key()).tlsClientCa(ca.caFile()).clientAuth(ClientAuth.REQUIRE)
                    .callerSubjects(List.of(CHECKOUT_DN)).clusterPeerSubjects(NODE_DNS)).start();
        }
        Path caFile = ca.caFile();
        FormicaClient client = client(b -> b.trustCertificates(caFile).clientCertificate(checkout.cert(),
                checkout.key()));
        String device = payFiveTimes(client);
        // ExchangeVelocity with ten transactions of the device as node 0's: refused to anything but a node
        assertEquals(Status.Code.PERMISSION_DENIED, forge(1, tls(caFile, checkout), null, device),
                "a checkout certificate is no node's");
        assertEquals(Status.Code.PERMISSION_DENIED, forge(1, tls(caFile, stranger), null, device),
                "a certificate of the CA with a subject not in clusterPeerSubjects");
        assertEquals(Status.Code.UNAVAILABLE, forge(1, tls(caFile, null), null, device),
                "clientAuth REQUIRE: no handshake without a certificate");
        gauges.awaitExchanged();
        assertDeclines(pay(client, borrowersOf(client, 1, 3).get(2), device), 6);
        gauges.awaitExchanged();
        assertDeclines(pay(client, borrowersOf(client, 0, 3).get(2), device), 7);
        // the same call with a node's certificate is taken: the refusals above kept ten transactions out
        assertEquals(Status.Code.OK, forge(1, tls(caFile, nodes.get(0)), null, device));
        DecisionResponse eighth = pay(client, borrowersOf(client, 1, 4).get(3), device);
        // node 1's own four (the 2nd, 4th, 6th and this) and node 0's words, its four now ten: 14 (more only if five
        // minutes began between node 0's transactions and the forged words, which then add up)
        assertTrue(count(eighth) >= 14, eighth.toString());
        // a node's certificate is no caller: Decide refuses it
        FormicaClient asNode = client(b -> b.trustCertificates(caFile).clientCertificate(nodes.get(0).cert(),
                nodes.get(0).key()));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> pay(asNode, borrowersOf(client, 0, 1).get(0), device));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    }

    @Test
    void withNodeTokensACheckoutTokenCannotExchangeAndAWrongNodeTokenShowsInTheAgeGauges() throws Exception {
        Path callers = ownerOnly(dir.resolve("caller.tokens"), CALLER_TOKEN + "\n");
        Path nodeTokens = ownerOnly(dir.resolve("node.tokens"), "# the cluster's nodes\n" + NODE_TOKEN + "\n");
        Path wrongTokens = ownerOnly(dir.resolve("wrong.tokens"), WRONG_NODE_TOKEN + "\n");
        servers[1] = new EngineServer(config(1).callerTokenFile(callers).clusterPeerTokenFile(nodeTokens)).start();
        servers[0] = new EngineServer(config(0).callerTokenFile(callers).clusterPeerTokenFile(wrongTokens)).start();
        FormicaClient client = client(b -> b.bearerToken(CALLER_TOKEN));
        List<String> at0 = borrowersOf(client, 0, 3);
        List<String> at1 = borrowersOf(client, 1, 3);
        String device = deviceOwnedBy(1);
        assertEquals(Outcome.APPROVE, pay(client, at0.get(0), device).getOutcome()); // 1, on node 0
        // each refuses the other's token: never counted per node in silence, both gauges say how far behind
        await("both age gauges grow").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> gauges.ageMs(0) >= 1_000 && gauges.ageMs(1) >= 1_000);
        assertEquals(1.0, gauges.gauge(0, "formica_velocity_exchange_pending_keys"), "the device waits for its owner");
        ChannelCredentials plaintext = InsecureChannelCredentials.create();
        assertEquals(Status.Code.UNAUTHENTICATED, forge(1, plaintext, null, device));
        assertEquals(Status.Code.PERMISSION_DENIED, forge(1, plaintext, CALLER_TOKEN, device));
        assertEquals(Status.Code.UNAUTHENTICATED, forge(1, plaintext, WRONG_NODE_TOKEN, device));
        // node 0 with the cluster's token: its pending count is delivered, the forged ones never were
        servers[0].close();
        servers[0] = new EngineServer(config(0).callerTokenFile(callers).clusterPeerTokenFile(nodeTokens)).start();
        gauges.awaitExchanged();
        assertEquals(0.0, gauges.gauge(0, "formica_velocity_exchange_pending_keys"));
        for (int i = 1; i < 5; i++) {
            gauges.awaitExchanged();
            String borrower = i % 2 == 0 ? at0.get(i / 2) : at1.get(i / 2);
            assertEquals(Outcome.APPROVE, pay(client, borrower, device).getOutcome(), "transaction " + (i + 1));
        }
        gauges.awaitExchanged();
        assertDeclines(pay(client, at1.get(2), device), 6);
        // a node token is no caller's
        FormicaClient asNode = client(b -> b.bearerToken(NODE_TOKEN));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> pay(asNode, at0.get(0), device));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    }

    @Test
    void shouldFailAtStartOnNodeCredentialsThatDoNotFit() throws Exception {
        Path tokens = ownerOnly(dir.resolve("shared.tokens"), NODE_TOKEN + "\n");
        TestCertificates ca = new TestCertificates(dir.resolve("pki"), "formica-test");
        TestCertificates.Pem node = ca.node("node-0", NODE_DNS.get(0));
        // each with the words its message must have
        Map<EngineConfiguration, String> conflicting = Map.of(
                new EngineConfiguration().clusterNodes(NODES).decisionAuthRequired(true).callerTokenFile(tokens),
                "needs the nodes' own credentials",
                new EngineConfiguration().clusterPeerTokenFile(tokens), "cluster without replication",
                new EngineConfiguration().clusterNodes(NODES).clusterPeerCa(ca.caFile()), "clusterPeerCa is the CA",
                new EngineConfiguration().clusterNodes(NODES).tlsCertChain(node.cert()).tlsPrivateKey(node.key())
                        .clusterPeerSubjects(NODE_DNS), "clusterPeerSubjects name the nodes' client certificates",
                new EngineConfiguration().clusterNodes(List.of("127.0.0.1:22310", "10.0.0.2:22311"))
                        .clusterPeerTokenFile(tokens), "send the node token across the network in clear");
        conflicting.forEach((c, words) -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, c::conclude);
            assertTrue(e.getMessage().startsWith("configuration: ") && e.getMessage().contains(words), e.getMessage());
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EngineServer(config(0)
                .callerTokenFile(tokens).clusterPeerTokenFile(tokens)).start());
        assertTrue(e.getMessage().contains("give the nodes a token of their own"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new EngineServer(config(0).tlsCertChain(node.cert())
                .tlsPrivateKey(node.key()).tlsClientCa(ca.caFile()).clientAuth(ClientAuth.REQUIRE)
                .callerSubjects(List.of(NODE_DNS.get(0))).clusterPeerSubjects(NODE_DNS)).start());
        assertTrue(e.getMessage().contains("give the nodes certificates of their own"), e.getMessage());
    }

    /** Five approved transactions of a device node 1 owns, alternately on both nodes, each after an exchange. */
    private String payFiveTimes(FormicaClient client) {
        List<String> at0 = borrowersOf(client, 0, 3);
        List<String> at1 = borrowersOf(client, 1, 3);
        String device = deviceOwnedBy(1);
        for (int i = 0; i < 5; i++) {
            gauges.awaitExchanged();
            String borrower = i % 2 == 0 ? at0.get(i / 2) : at1.get(i / 2);
            assertEquals(Outcome.APPROVE, pay(client, borrower, device).getOutcome(), "transaction " + (i + 1));
        }
        return device;
    }

    private static void assertDeclines(DecisionResponse answer, int count) {
        assertEquals(Outcome.DECLINE, answer.getOutcome(), answer.toString());
        assertEquals("VELOCITY_DEVICE_1H", answer.getReasons(0).getCode());
        assertEquals(count, count(answer), answer.toString());
    }

    private static int count(DecisionResponse answer) {
        Matcher m = Pattern.compile("velocity\\.device\\.count_1h=(\\d+)").matcher(answer.getReasons(0).getValue());
        assertTrue(m.find(), answer.toString());
        return Integer.parseInt(m.group(1));
    }

    /**
     * ExchangeVelocity on {@code node} as node 0 would call it, with ten transactions of {@code device} in the
     * current hour and five minutes (words a real node's could be), over {@code credentials} and with {@code token}.
     */
    private static Status.Code forge(int node, ChannelCredentials credentials, String token, String device) {
        long now = System.currentTimeMillis();
        VelocityKeyWords.Builder words = VelocityKeyWords.newBuilder()
                .setHash(VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, device));
        long[] widths = {10_000L, 300_000L, 3_600_000L};
        int[] buckets = {6, 12, 24};
        int offset = 0;
        for (int ring = 0; ring < 3; ring++) {
            long epoch = now / widths[ring];
            words.addIndex(offset + (int) (epoch % buckets[ring]) * 2).addWord(((epoch & 0xFFFFFF) << 40) | 10);
            offset += buckets[ring] * 2;
        }
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", 22310 + node, credentials).build();
        try {
            VelocityExchangeServiceGrpc.VelocityExchangeServiceBlockingStub stub = VelocityExchangeServiceGrpc
                    .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            if (token != null) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
            }
            stub.exchangeVelocity(ExchangeVelocityRequest.newBuilder().setFromNode(0)
                    .setScanSlot(VelocityShares.NO_SCAN).addCounts(words).build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow();
        }
    }

    private static ChannelCredentials tls(Path ca, TestCertificates.Pem clientCert) throws IOException {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
        if (clientCert != null) {
            b.keyManager(clientCert.cert().toFile(), clientCert.key().toFile());
        }
        return b.build();
    }

    /** Borrowers whose partitions node {@code owner} of two owns, with a profile on it (upserts are idempotent). */
    private static List<String> borrowersOf(FormicaClient client, int owner, int n) {
        List<String> borrowers = IntStream.range(0, 10_000).mapToObj(i -> "b-" + i)
                .filter(b -> PartitionTable.rangeOwner(Partitions.of(b), 2) == owner).limit(n).toList();
        for (String b : borrowers) {
            client.upsertProfile(Profile.newBuilder().setBorrowerId(b).setRegion("CN-31").addLines(ProductLine
                    .newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000)).build());
        }
        return borrowers;
    }

    private DecisionResponse pay(FormicaClient client, String borrower, String device) {
        return client.decide(DecisionRequest.newBuilder().setRequestId("r-" + request++).setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000).setDeviceId(device).build());
    }
}
