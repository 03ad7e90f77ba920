package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shardMode: LOOP}, the default, end to end: a port per shard read by the shard's own event loop, named in the
 * partition map; the SDK (shard ports by default) sends each borrower's calls to its shard's port; the main port still
 * serves every borrower (a call read by a loop that does not own its shard goes to the owner); a server restarted on
 * other free shard ports is found again through the main port.
 */
class LoopModeServerTest {
    @TempDir
    Path dataDir;
    EngineServer server;
    /** The local port each Decide arrived on, by request id. */
    final Map<String, Integer> portOf = new ConcurrentHashMap<>();

    /** Records which port each Decide came in on. */
    final ServerInterceptor ports = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            int port = ((InetSocketAddress) call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR)).getPort();
            return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof DecisionRequest d) {
                        portOf.put(d.getRequestId(), port);
                    }
                    super.onMessage(message);
                }
            };
        }
    };

    @BeforeEach
    void start() {
        server = start(0);
    }

    /** The server on {@code port} (0: a free one), shard ports free, {@code shardMode} left at its default. */
    private EngineServer start(int port) {
        EngineConfiguration config = new EngineConfiguration().port(port).dataDir(dataDir).shards(2)
                .durability(dev.formica.engine.log.Durability.PROCESS)
                .loopShedLag(Duration.ZERO) // a busy test box holding a loop up sheds nothing here
                .drainTimeout(Duration.ofSeconds(1));
        assertEquals(EngineConfiguration.ShardMode.LOOP, config.shardMode(), "LOOP is the default");
        return new EngineServer(config, List.of(ports)).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shouldNameEachPartitionsShardPortInThePartitionMap() {
        int[] shardPorts = server.shardPorts();
        assertEquals(2, shardPorts.length);
        assertNotEquals(shardPorts[0], shardPorts[1]);
        ManagedChannel main = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create())
                .build();
        try {
            PartitionMap map = DecisionServiceGrpc.newBlockingStub(main).getPartitionMap(
                    GetPartitionMapRequest.getDefaultInstance());
            assertEquals(Partitions.COUNT, map.getPartitionPortsCount());
            for (int p = 0; p < Partitions.COUNT; p++) {
                assertEquals(shardPorts[server.pipeline().shardOfPartition(p)], map.getPartitionPorts(p),
                        "partition " + p);
            }
        } finally {
            main.shutdownNow();
        }
    }

    @Test
    void shouldRouteEachBorrowerToItsShardPortWithShardPortsAndServeTheMainPortToo() {
        List<String> borrowers = List.of("loop-a", "loop-b", "loop-c", "loop-d", "loop-e", "loop-f");
        try (FormicaClient routed = FormicaClient.builder().target("127.0.0.1:" + server.port())
                .defaultDeadline(Duration.ofSeconds(10)).build(); // shard ports: the SDK's default
                FormicaClient plain = FormicaClient.builder().target("127.0.0.1:" + server.port())
                        .defaultDeadline(Duration.ofSeconds(10)).shardPorts(false).build()) {
            for (String b : borrowers) {
                plain.upsertProfile(Profile.newBuilder().setBorrowerId(b).addLines(ProductLine.newBuilder()
                        .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000)).build());
            }
            boolean bothShards = borrowers.stream().map(server.pipeline()::shardOf).distinct().count() == 2;
            assertTrue(bothShards, "the borrowers cover both shards");
            for (String b : borrowers) {
                assertEquals(Outcome.APPROVE, routed.decide(decision("r-" + b, b)).getOutcome());
                assertEquals(server.shardPorts()[server.pipeline().shardOf(b)], portOf.get("r-" + b),
                        "the routed client sent " + b + " to its shard's port");
                // an old client on the main port: every borrower still served, a hold still unique
                assertEquals(Outcome.APPROVE, plain.decide(decision("p-" + b, b)).getOutcome());
                assertEquals(server.port(), portOf.get("p-" + b));
                assertEquals(20_000, plain.getCreditLine(dev.formica.v1.GetCreditLineRequest.newBuilder()
                        .setBorrowerId(b).setProduct(Product.CONSUMER_CREDIT).build()).getHeldMinor());
            }
        }
    }

    @Test
    void shouldFindTheShardPortsAgainThroughTheMainPortAfterARestartOnOtherFreePorts() {
        String borrower = "loop-restart";
        try (FormicaClient routed = FormicaClient.builder().target("127.0.0.1:" + server.port())
                .defaultDeadline(Duration.ofSeconds(10)).build()) {
            routed.upsertProfile(Profile.newBuilder().setBorrowerId(borrower).addLines(ProductLine.newBuilder()
                    .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000)).build());
            assertEquals(Outcome.APPROVE, routed.decide(decision("before", borrower)).getOutcome());
            int shard = server.pipeline().shardOf(borrower);
            int before = server.shardPorts()[shard];
            assertEquals(before, portOf.get("before"));
            int mainPort = server.port();
            server.close();
            // the same main port (the client's target), the shard ports free ones again: the old one is gone
            server = start(mainPort);
            int after = server.shardPorts()[shard];
            assertEquals(Outcome.APPROVE, routed.decide(decision("after", borrower)).getOutcome(),
                    "the call to the old shard port is retried where the main port's map says");
            assertEquals(after, portOf.get("after"),
                    "the retry went to the shard's new port, learnt from the main port's map");
            assertEquals(20_000, routed.getCreditLine(dev.formica.v1.GetCreditLineRequest.newBuilder()
                    .setBorrowerId(borrower).setProduct(Product.CONSUMER_CREDIT).build()).getHeldMinor(),
                    "one hold per decision, both kept across the restart");
        }
    }

    private static DecisionRequest decision(String requestId, String borrowerId) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrowerId)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(10_000).build();
    }
}
