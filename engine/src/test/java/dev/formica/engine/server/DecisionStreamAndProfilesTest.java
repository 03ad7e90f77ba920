package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.ProfileLoads;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DecideStream, Upsert / Get and the bulk Load over the real Netty server. */
class DecisionStreamAndProfilesTest {
    @TempDir
    Path dataDir;
    EngineServer server;
    ManagedChannel channel;

    @BeforeEach
    void start() {
        // loopShedLag 0: the stream's 300 Decides arrive at once on one loop of a cold server (shardMode LOOP, the
        // default), whose read batches then run past the 20 ms shed and refuse some; this test is about the
        // stream's answers, the shed is ShardOwnerTest's and LoopReadPauseTest's
        server = new EngineServer(LedgerOnlyRules.apply(new EngineConfiguration().port(0).dataDir(dataDir)
                .loopShedLag(java.time.Duration.ZERO))).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static Profile profile(String id, long line) {
        return Profile.newBuilder().setBorrowerId(id).setRegion("CN-31").addLines(ProductLine.newBuilder()
                .setProduct(Product.CONSUMER_CREDIT).setLineMinor(line)).build();
    }

    private LoadSummary load(Profile... profiles) throws Exception {
        return ProfileLoads.load(channel, profiles);
    }

    @Test
    void shouldLoadGoodRowsAndRejectBadOnesOneByOne() throws Exception {
        Profile[] rows = new Profile[1000];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = profile("p" + i, 100_000 + i);
        }
        rows[10] = profile("", 5);
        rows[500] = profile("p500", -1);
        LoadSummary summary = load(rows);
        assertEquals(1000, summary.getReceived());
        assertEquals(998, summary.getLoaded());
        assertEquals(998, summary.getCreated());
        assertEquals(2, summary.getRejected());
        assertEquals(11, summary.getErrors(0).getRow());
        assertEquals("borrower_id", summary.getErrors(0).getField());
        assertEquals(501, summary.getErrors(1).getRow());
        assertEquals("lines[0].line_minor", summary.getErrors(1).getField());
        Profile stored = ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .get(GetProfileRequest.newBuilder().setBorrowerId("p999").build());
        assertEquals(rows[999], stored);
        LoadSummary again = load(profile("p1", 1));
        assertEquals(1, again.getUpdated());
    }

    @Test
    void shouldUpsertAndGetAndAnswerNotFoundForUnknownBorrowers() {
        ProfileServiceGrpc.ProfileServiceBlockingStub profiles = ProfileServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS);
        assertTrue(profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(profile("u1", 10)).build())
                .getCreated());
        assertFalse(profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(profile("u1", 20)).build())
                .getCreated());
        assertEquals(20, profiles.get(GetProfileRequest.newBuilder().setBorrowerId("u1").build())
                .getLines(0).getLineMinor());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> profiles.get(GetProfileRequest.newBuilder().setBorrowerId("nobody").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void shouldAnswerEveryStreamedDecisionByRequestIdAndReportBadOnesInStream() throws Exception {
        load(profile("s1", 1_000_000), profile("s2", 1_000_000), profile("s3", 1_000_000));
        Map<String, DecisionResponse> answers = new ConcurrentHashMap<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<DecisionRequest> requests = DecisionServiceGrpc.newStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS).decideStream(new StreamObserver<>() {
                    @Override
                    public void onNext(DecisionResponse r) {
                        answers.put(r.getRequestId(), r);
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
        int n = 300;
        for (int i = 0; i < n; i++) {
            requests.onNext(DecisionRequest.newBuilder().setRequestId("st-" + i).setBorrowerId("s" + (1 + i % 3))
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(i == 7 ? -1 : 1_000).build());
        }
        requests.onCompleted();
        done.get(30, TimeUnit.SECONDS);
        assertEquals(n, answers.size(), "one answer per request, the stream completed after all of them");
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), answers.get("st-7").getError().getCode());
        assertTrue(answers.get("st-7").getError().getMessage().startsWith("amount_minor:"));
        long approvals = answers.values().stream().filter(r -> r.getOutcome() == Outcome.APPROVE).count();
        assertEquals(n - 1, approvals);
    }
}
