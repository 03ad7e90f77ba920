package dev.formica.engine.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.formica.client.FormicaClient;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.HoldIds;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real engines on loopback as a two-node partition map (ports 20300-20301), and as two independent servers:
 * issue 22's finding (a hold confirmed on another server than the one that issued it) and the redirects.
 */
class ClusterRoutingTest {
    private static final List<String> NODES = List.of("127.0.0.1:20300", "127.0.0.1:20301");

    @TempDir
    Path dir;
    private final List<EngineServer> servers = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();
    /** Decide calls that reached node 0. */
    private final AtomicInteger decidesAtNode0 = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        servers.forEach(EngineServer::close);
    }

    private static EngineConfiguration config(Path data) {
        return LedgerOnlyRules.apply(new EngineConfiguration().dataDir(data).shards(2)
                .expectedBorrowers(1000).expectedDecisionsPerDay(1000).velocityKeys(1024)
                .drainTimeout(Duration.ofSeconds(1)));
    }

    private void startCluster() {
        for (int i = 0; i < NODES.size(); i++) {
            int port = Integer.parseInt(NODES.get(i).substring(NODES.get(i).lastIndexOf(':') + 1));
            EngineConfiguration c = config(dir.resolve("n" + i)).port(port).clusterNodes(NODES).clusterNodeId(i);
            servers.add(new EngineServer(c, i == 0 ? List.of(countDecides()) : List.of()).start());
        }
    }

    private ServerInterceptor countDecides() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                if (call.getMethodDescriptor().getFullMethodName()
                        .equals(DecisionServiceGrpc.getDecideMethod().getFullMethodName())) {
                    decidesAtNode0.incrementAndGet();
                }
                return next.startCall(call, headers);
            }
        };
    }

    private FormicaClient client(List<String> targets) {
        FormicaClient c = FormicaClient.builder().targets(targets).defaultDeadline(Duration.ofSeconds(5)).build();
        clients.add(c);
        return c;
    }

    private DecisionServiceGrpc.DecisionServiceBlockingStub stub(String target) {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
        clients.add(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        });
        return DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    /** Borrowers b-0.. whose partitions node {@code owner} of two owns. */
    private static List<String> borrowersOf(int owner, int n) {
        return IntStream.range(0, 10_000).mapToObj(i -> "b-" + i)
                .filter(b -> PartitionTable.rangeOwner(Partitions.of(b), 2) == owner).limit(n).toList();
    }

    private static Profile profile(String borrower) {
        return Profile.newBuilder().setBorrowerId(borrower).setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(100_000)).build();
    }

    private static DecisionRequest decide(String borrower, String requestId) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000).build();
    }

    /** Upserts, decides and confirms each borrower through {@code client}; the holds drawn. */
    private static void decideAndConfirm(FormicaClient client, List<String> borrowers) {
        for (String borrower : borrowers) {
            client.upsertProfile(profile(borrower));
            DecisionResponse d = client.decide(decide(borrower, "d-" + borrower));
            assertEquals(Outcome.APPROVE, d.getOutcome(), borrower);
            ConfirmResponse c = client.confirm(ConfirmRequest.newBuilder().setRequestId("c-" + borrower)
                    .setHoldId(d.getHoldId()).build());
            assertEquals(1_000, c.getDrawnAmountMinor(), borrower);
            assertEquals(1_000, c.getLine().getDrawnMinor(), borrower);
        }
    }

    private static List<String> bothHalves(int each) {
        List<String> borrowers = new ArrayList<>(borrowersOf(0, each));
        borrowers.addAll(borrowersOf(1, each));
        return borrowers;
    }

    @Test
    void shouldConfirmEveryHoldOnTheNodeThatIssuedItInATwoNodeCluster() {
        startCluster();
        decideAndConfirm(client(NODES), bothHalves(4));
        assertEquals(4, decidesAtNode0.get(), "only node 0's borrowers reach node 0");
    }

    @Test
    void shouldConfirmEveryHoldOnTheServerThatIssuedItWithTwoIndependentServers() {
        // issue 22's finding as first reported: two servers without cluster settings, the SDK given both
        for (int i = 0; i < 2; i++) {
            servers.add(new EngineServer(config(dir.resolve("solo" + i)).port(0)).start());
        }
        decideAndConfirm(client(List.of("127.0.0.1:" + servers.get(0).port(), "127.0.0.1:" + servers.get(1).port())),
                bothHalves(3));
    }

    @Test
    void shouldLoadAndStreamEachBorrowerToItsOwner() throws Exception {
        startCluster();
        FormicaClient client = client(NODES);
        List<String> borrowers = bothHalves(4);

        dev.formica.v1.LoadSummary loaded = client.loadProfiles(borrowers.stream().map(b -> profile(b)).iterator());
        assertEquals(8, loaded.getLoaded(), loaded.toString());
        assertEquals(0, loaded.getRejected(), loaded.toString());

        List<DecisionResponse> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<DecisionRequest> requests = client.decideStream(new StreamObserver<>() {
            @Override
            public void onNext(DecisionResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        for (String borrower : borrowers) {
            requests.onNext(decide(borrower, "s-" + borrower));
        }
        requests.onCompleted();
        done.get(10, TimeUnit.SECONDS);

        assertEquals(8, answers.size());
        for (DecisionResponse answer : answers) {
            // a request sent to a node that does not own its borrower would come back with error.code 9
            assertEquals(Outcome.APPROVE, answer.getOutcome(), answer.toString());
        }
    }

    @Test
    void shouldRefuseABorrowerOfAnotherNodeNamingTheOwner() {
        startCluster();
        String borrower = borrowersOf(1, 1).get(0);
        int partition = Partitions.of(borrower);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub(NODES.get(0)).decide(decide(borrower, "wrong-node")));

        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("borrower_id: partition " + partition
                + " is owned by node 1 (127.0.0.1:20301)"), e.getStatus().getDescription());
        assertEquals(NODES.get(1), e.getTrailers().get(PartitionTable.OWNER_ADDRESS));
        ErrorInfo info = errorInfo(e);
        assertEquals("formica.dev", info.getDomain());
        assertEquals("PARTITION_NOT_OWNED", info.getReason());
        assertEquals(Integer.toString(partition), info.getMetadataOrThrow("partition"));
        assertEquals("1", info.getMetadataOrThrow("owner_node"));
        assertEquals(NODES.get(1), info.getMetadataOrThrow("owner_address"));
        assertTrue(!e.getStatus().getDescription().contains(borrower), "no borrower id in the refusal");
        // nothing was decided on either node
        assertEquals(0, servers.get(0).pipeline().state(0).decisions().size()
                + servers.get(0).pipeline().state(1).decisions().size());
    }

    @Test
    void shouldRefuseEveryCallOfAnotherNodesPartition() {
        startCluster();
        String borrower = borrowersOf(0, 1).get(0);
        DecisionServiceGrpc.DecisionServiceBlockingStub node1 = stub(NODES.get(1));
        String holdOfNode0 = HoldIds.format(((long) Partitions.of(borrower) << 56) | 12345);

        List<Runnable> calls = List.of(
                () -> node1.confirm(ConfirmRequest.newBuilder().setRequestId("c").setHoldId(holdOfNode0).build()),
                () -> node1.cancel(CancelRequest.newBuilder().setRequestId("x").setHoldId(holdOfNode0).build()),
                () -> node1.getDecision(GetDecisionRequest.newBuilder().setRequestId("d")
                        .setBorrowerId(borrower).build()),
                () -> node1.getCreditLine(dev.formica.v1.GetCreditLineRequest.newBuilder().setBorrowerId(borrower)
                        .setProduct(Product.CONSUMER_CREDIT).build()));
        for (Runnable call : calls) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals(NODES.get(0), errorInfo(e).getMetadataOrThrow("owner_address"));
        }
    }

    @Test
    void shouldAnswerAWrongNodeRequestInTheDecisionStreamWithTheOwner() throws Exception {
        startCluster();
        String borrower = borrowersOf(1, 1).get(0);
        ManagedChannel channel = ManagedChannelBuilder.forTarget(NODES.get(0)).usePlaintext().build();
        clients.add(channel::shutdownNow);
        CompletableFuture<DecisionResponse> answer = new CompletableFuture<>();
        StreamObserver<DecisionRequest> requests = DecisionServiceGrpc.newStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS).decideStream(new StreamObserver<>() {
                    @Override
                    public void onNext(DecisionResponse value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(decide(borrower, "in-stream"));
        requests.onCompleted();

        DecisionResponse r = answer.get(5, TimeUnit.SECONDS);
        assertEquals(Status.Code.FAILED_PRECONDITION.value(), r.getError().getCode());
        assertTrue(r.getError().getMessage().contains(NODES.get(1)), r.getError().getMessage());
    }

    @Test
    void shouldServeTheSamePartitionMapFromEveryNode() {
        startCluster();
        PartitionMap m0 = stub(NODES.get(0)).getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
        PartitionMap m1 = stub(NODES.get(1)).getPartitionMap(GetPartitionMapRequest.getDefaultInstance());

        assertEquals(256, m0.getPartitionCount());
        assertEquals(NODES, m0.getNodesList().stream().map(n -> n.getAddress()).toList());
        assertEquals(256, m0.getOwnersCount());
        assertEquals(0, m0.getOwners(0));
        assertEquals(0, m0.getOwners(127));
        assertEquals(1, m0.getOwners(128));
        assertEquals(1, m0.getOwners(255));
        assertEquals(m0.getOwnersList(), m1.getOwnersList());
        assertEquals(m0.getNodesList(), m1.getNodesList());
        assertEquals(0, m0.getAnsweredBy());
        assertEquals(1, m1.getAnsweredBy());
    }

    @Test
    void shouldDescribeASingleServerAsOneNodeOwningEveryPartition() {
        servers.add(new EngineServer(config(dir.resolve("solo")).port(0)).start());
        PartitionMap m = stub("127.0.0.1:" + servers.get(0).port())
                .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
        assertEquals(1, m.getNodesCount());
        assertEquals("", m.getNodes(0).getAddress());
        assertTrue(m.getOwnersList().stream().allMatch(o -> o == 0));
    }

    @Test
    void shouldLearnTheOtherNodeFromARedirectWhenGivenOneNode() {
        startCluster();
        FormicaClient client = client(List.of(NODES.get(0)));
        List<String> ofNode1 = borrowersOf(1, 4);

        decideAndConfirm(client, ofNode1);

        // the first Upsert was redirected and taught the map: no Decide of node 1's borrowers reached node 0
        assertEquals(0, decidesAtNode0.get());
        for (String borrower : ofNode1) {
            DecisionResponse stored = client.getDecision(GetDecisionRequest.newBuilder().setRequestId("d-" + borrower)
                    .setBorrowerId(borrower).build());
            assertTrue(stored.getReplayed());
        }
    }

    @Test
    void shouldFollowARedirectWhenTheTargetsAreInAnotherOrderThanTheNodes() {
        startCluster();
        FormicaClient client = client(List.of(NODES.get(1), NODES.get(0)));
        List<String> ofNode0 = borrowersOf(0, 3);
        for (String borrower : ofNode0) {
            client.upsertProfile(profile(borrower));
        }
        int before = decidesAtNode0.get();
        DecisionResponse d = client.decide(decide(ofNode0.get(0), "d-stale"));
        assertEquals(Outcome.APPROVE, d.getOutcome());
        assertEquals(before + 1, decidesAtNode0.get(), "straight to the owner once the map is learnt");
    }

    @Test
    void shouldNameTheBorrowersPartitionInTheHoldIdAndRouteConfirmAndCancelByIt() {
        startCluster();
        FormicaClient client = client(NODES);
        for (String borrower : bothHalves(3)) {
            client.upsertProfile(profile(borrower));
            DecisionResponse d = client.decide(decide(borrower, "d-" + borrower));
            long holdId = HoldIds.parse(d.getHoldId());
            assertNotEquals(HoldIds.INVALID, holdId, d.getHoldId());
            assertEquals(Partitions.of(borrower), HoldIds.partitionOf(holdId), d.getHoldId());
            assertEquals(d.getHoldId(), HoldIds.format(holdId));
            assertEquals(1_000, client.cancel(CancelRequest.newBuilder().setRequestId("x-" + borrower)
                    .setHoldId(d.getHoldId()).build()).getReleasedAmountMinor());
        }
    }

    @Test
    void shouldRefuseMalformedIdsWithInvalidArgumentNamingTheField() {
        startCluster();
        DecisionServiceGrpc.DecisionServiceBlockingStub node0 = stub(NODES.get(0));
        for (String bad : List.of("h", "hxyz", "H0100000000000001", "h0100000000000000001", "hffffffffffffffff")) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> node0.confirm(ConfirmRequest.newBuilder().setRequestId("c").setHoldId(bad).build()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
            assertTrue(e.getStatus().getDescription().startsWith("hold_id"), e.getStatus().getDescription());
        }
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node0.getDecision(
                GetDecisionRequest.newBuilder().setRequestId("d").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("borrower_id"), e.getStatus().getDescription());
    }

    private static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertNotNull(status, "no status details");
        for (Any any : status.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    return any.unpack(ErrorInfo.class);
                } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                    throw new AssertionError(x);
                }
            }
        }
        throw new AssertionError("no ErrorInfo in " + status);
    }
}
