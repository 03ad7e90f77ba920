package dev.formica.engine.cluster;

import static dev.formica.engine.cluster.ExchangeGauges.deviceOwnedBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real engines on loopback as a two-node map without replication (gRPC 127.0.0.1:22300-22301, metrics
 * 22302-22303), rule set {@code rules/device-velocity.yaml} (the sixth transaction of a device in an hour declines):
 * one device paying for borrowers of both nodes is counted where its key is owned and read whole on both, within
 * the exchange's lag, which {@code formica_velocity_exchange_age_seconds} states; a Decide retried with its request id
 * counts once; with the owner down the other node counts on, its age gauge grows and its keys wait, and once the
 * owner is back the count resumes whole.
 */
class ClusterVelocityTest {
    private static final List<String> NODES = List.of("127.0.0.1:22300", "127.0.0.1:22301");
    private static final int[] METRICS = {22302, 22303};

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

    private EngineServer start(int node) {
        EngineConfiguration c = LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dir.resolve("n" + node))
                .shards(2).expectedBorrowers(1000).expectedDecisionsPerDay(1000).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1)))
                .rulesFile(LedgerOnlyRules.resource("rules/device-velocity.yaml"))
                .port(22300 + node).metricsPort(METRICS[node]).clusterNodes(NODES).clusterNodeId(node);
        servers[node] = new EngineServer(c).start();
        return servers[node];
    }

    private FormicaClient client() {
        FormicaClient c = FormicaClient.builder().targets(NODES).defaultDeadline(Duration.ofSeconds(5)).build();
        clients.add(c);
        return c;
    }

    /** Borrowers whose partitions node {@code owner} of two owns, with a profile on it. */
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
        return pay(client, borrower, device, "r-" + request++);
    }

    private static DecisionResponse pay(FormicaClient client, String borrower, String device, String requestId) {
        return client.decide(DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000).setDeviceId(device).build());
    }


    @Test
    void oneDevicePayingOnBothNodesIsCountedWholeAndTheSixthDeclines() {
        start(0);
        start(1);
        FormicaClient client = client();
        List<String> at0 = borrowersOf(client, 0, 3);
        List<String> at1 = borrowersOf(client, 1, 3);
        String device = deviceOwnedBy(1); // node 0 is not its owner: its reads depend on the exchange
        List<DecisionResponse> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            gauges.awaitExchanged();
            String borrower = i % 2 == 0 ? at0.get(i / 2) : at1.get(i / 2);
            answers.add(pay(client, borrower, device, "pay-" + i));
        }
        answers.forEach(a -> assertEquals(Outcome.APPROVE, a.getOutcome(), a.toString()));
        // a retry of a Decide answered before is its answer again, and counts nothing
        DecisionResponse retry = pay(client, at0.get(0), device, "pay-0");
        assertTrue(retry.getReplayed());
        gauges.awaitExchanged();
        // on one node alone node 1 has counted 2 of the 5 and node 0 3: the sixth declines on either
        DecisionResponse sixth = pay(client, at1.get(2), device);
        assertEquals(Outcome.DECLINE, sixth.getOutcome(), sixth.toString());
        assertEquals("VELOCITY_DEVICE_1H", sixth.getReasons(0).getCode());
        assertTrue(sixth.getReasons(0).getValue().contains("velocity.device.count_1h=6"), sixth.toString());
        gauges.awaitExchanged();
        DecisionResponse seventh = pay(client, at0.get(2), device);
        assertEquals(Outcome.DECLINE, seventh.getOutcome(), seventh.toString());
        assertTrue(seventh.getReasons(0).getValue().contains("velocity.device.count_1h=7"), seventh.toString());
    }

    @Test
    void withTheOwnerDownTheOtherNodeCountsOnAndSaysHowFarBehindThenTheCountResumesWhole() throws Exception {
        start(0);
        start(1);
        FormicaClient client = client();
        List<String> at0 = borrowersOf(client, 0, 4);
        List<String> at1 = borrowersOf(client, 1, 4);
        String device = deviceOwnedBy(1);
        gauges.awaitExchanged();
        assertEquals(Outcome.APPROVE, pay(client, at1.get(0), device).getOutcome()); // 1, on the owner
        gauges.awaitExchanged();
        servers[1].close();
        servers[1] = null;
        // node 0 reads its own adds at once on top of the owner's count as last exchanged: 2, then 3
        assertEquals(Outcome.APPROVE, pay(client, at0.get(0), device).getOutcome());
        assertEquals(Outcome.APPROVE, pay(client, at0.get(1), device).getOutcome());
        await("node 0's age gauge grows while the owner is down").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50)).until(() -> gauges.ageMs(0) >= 1_000);
        assertEquals(1.0, gauges.gauge(0, "formica_velocity_exchange_pending_keys"), "the device waits for its owner");
        start(1); // the same data directory: its own count from its log, node 0's resent once it sees the new epoch
        gauges.awaitExchanged();
        assertEquals(0.0, gauges.gauge(0, "formica_velocity_exchange_pending_keys"));
        assertEquals(Outcome.APPROVE, pay(client, at1.get(1), device).getOutcome()); // 4
        assertEquals(Outcome.APPROVE, pay(client, at1.get(2), device).getOutcome()); // 5
        gauges.awaitExchanged();
        DecisionResponse sixth = pay(client, at0.get(2), device);
        assertEquals(Outcome.DECLINE, sixth.getOutcome(), sixth.toString());
        assertTrue(sixth.getReasons(0).getValue().contains("velocity.device.count_1h=6"), sixth.toString());
    }
}
