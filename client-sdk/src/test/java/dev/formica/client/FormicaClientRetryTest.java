package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Product;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retries, request ids, deadlines and failures of unary calls against one in-process target. */
class FormicaClientRetryTest {
    private static final String TARGET = "engine-0:7000";
    private static final RetryPolicy FAST = RetryPolicy.builder()
            .initialBackoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(5)).build();

    private final FakeDecisionService decisions = new FakeDecisionService("a");
    private final FakeProfileService profiles = new FakeProfileService();
    private final FakeDiagnosticsService diagnostics = new FakeDiagnosticsService();
    private final InProcessTargets targets = new InProcessTargets();
    private final CountDownLatch release = new CountDownLatch(1);
    private ExecutorService hangExecutor;
    private FormicaClient client;

    private FormicaClient client(RetryPolicy policy) {
        targets.add(TARGET, decisions, profiles, diagnostics);
        client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor).retryPolicy(policy).build();
        return client;
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        if (client != null) {
            client.close();
        }
        targets.close();
        if (hangExecutor != null) {
            hangExecutor.shutdownNow();
        }
    }

    private static DecisionRequest request(String requestId) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId("b-1")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(329_900).build();
    }

    @Test
    void shouldRetryUnavailableAndResourceExhaustedWithTheSameRequestId() {
        decisions.failNext(Status.UNAVAILABLE, 1).failNext(Status.RESOURCE_EXHAUSTED, 2);
        DecisionResponse response = client(FAST).decide(request("req-1"));

        assertEquals("req-1", response.getRequestId());
        assertEquals(4, decisions.requestIds.size());
        assertEquals(Set.of("req-1"), Set.copyOf(decisions.requestIds));
    }

    @Test
    void shouldSurfaceTheLastRetryableStatusWhenAttemptsRunOut() {
        decisions.failNext(Status.UNAVAILABLE.withDescription("engine draining"), 10);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client(FAST).decide(request("req-2")));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals("engine draining", e.getStatus().getDescription());
        assertEquals(RetryPolicy.DEFAULT_MAX_ATTEMPTS, decisions.requestIds.size());
    }

    @Test
    void shouldNeverRetryInvalidArgument() {
        decisions.failNext(Status.INVALID_ARGUMENT.withDescription("amount_minor: must be > 0"), 1);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client(FAST).decide(request("req-3")));

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("amount_minor: must be > 0", e.getStatus().getDescription());
        assertEquals(1, decisions.requestIds.size());
    }

    @Test
    void shouldNotRetryFailedPrecondition() {
        decisions.failNext(Status.FAILED_PRECONDITION, 1);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client(FAST).confirm(ConfirmRequest.newBuilder().setHoldId("h-1").build()));

        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals(1, decisions.requestIds.size());
    }

    @Test
    void shouldGenerateOneRequestIdAndKeepItAcrossRetries() {
        decisions.failNext(Status.UNAVAILABLE, 2);
        DecisionResponse response = client(FAST).decide(request(""));

        assertEquals(3, decisions.requestIds.size());
        String generated = decisions.requestIds.get(0);
        assertFalse(generated.isEmpty());
        assertTrue(generated.length() <= 64);
        assertTrue(generated.chars().allMatch(c -> c >= 0x21 && c <= 0x7e), generated);
        assertEquals(Set.of(generated), Set.copyOf(decisions.requestIds));
        assertEquals(generated, response.getRequestId());
    }

    @Test
    void shouldGenerateRequestIdsForEveryMutatingCall() {
        FormicaClient c = client(FAST);
        c.confirm(ConfirmRequest.newBuilder().setHoldId("h-1").build());
        c.repay(RepayRequest.newBuilder().setBorrowerId("b-1").setProduct(Product.CASH_LOAN).setAmountMinor(1).build());
        c.apply(CreditApplication.newBuilder().setBorrowerId("b-1").setProduct(Product.CASH_LOAN).build());
        c.decide(request(""));
        c.decide(request(""));

        assertEquals(5, decisions.requestIds.size());
        assertTrue(decisions.requestIds.stream().noneMatch(String::isEmpty));
        assertEquals(5, Set.copyOf(decisions.requestIds).size(), "ids must differ between calls");
    }

    @Test
    void shouldRetryReadsToo() {
        decisions.failNext(Status.RESOURCE_EXHAUSTED, 1);
        profiles.failures.add(Status.UNAVAILABLE);
        diagnostics.failures.add(Status.UNAVAILABLE);
        FormicaClient c = client(FAST);

        CreditLine line = c.getCreditLine(GetCreditLineRequest.newBuilder().setBorrowerId("b-1")
                .setProduct(Product.CONSUMER_CREDIT).build());
        Profile profile = c.getProfile("b-7");
        ByteString echoed = c.echo(ByteString.copyFromUtf8("ping"));

        assertEquals("b-1", line.getBorrowerId());
        assertEquals(2, decisions.lineReads.size());
        assertEquals("b-7", profile.getBorrowerId());
        assertEquals(2, profiles.borrowers.size());
        assertEquals("ping", echoed.toStringUtf8());
        assertEquals(2, diagnostics.attempts.get());
    }

    @Test
    void shouldNotRetryUpsertBecauseItHasNoRequestId() {
        profiles.failures.add(Status.UNAVAILABLE);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client(FAST).upsertProfile(Profile.newBuilder().setBorrowerId("b-1").build()));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals(1, profiles.upserts.size());
    }

    @Test
    void shouldStopRetryingWhenTheNextBackoffWouldPassTheDeadline() {
        decisions.failNext(Status.UNAVAILABLE, 10_000);
        RetryPolicy patient = RetryPolicy.builder().maxAttempts(10_000)
                .initialBackoff(Duration.ofMillis(300)).maxBackoff(Duration.ofMillis(300)).build();
        targets.add(TARGET, decisions);
        // a wide margin between an attempt (about a millisecond in process) and the backoff: with 40 ms backoffs
        // and a 300 ms deadline, an attempt slowed by a busy 2-core box sometimes ran into the deadline itself
        client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor)
                .retryPolicy(patient).defaultDeadline(Duration.ofMillis(2000)).build();

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.decide(request("req-4")));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(decisions.requestIds.size() > 1, "should have retried");
        assertTrue(decisions.requestIds.size() < 10_000, "should have stopped at the deadline");
    }

    @Test
    void shouldFailWithDeadlineExceededWhenTheServerNeverAnswers() {
        CountDownLatch entered = new CountDownLatch(1);
        DecisionServiceGrpc.DecisionServiceImplBase hanging = new DecisionServiceGrpc.DecisionServiceImplBase() {
            @Override
            public void decide(DecisionRequest request, StreamObserver<DecisionResponse> responses) {
                entered.countDown();
                awaitQuietly(release);
            }
        };
        hangExecutor = Executors.newCachedThreadPool();
        targets.add(TARGET, hangExecutor, hanging);
        client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor)
                .defaultDeadline(Duration.ofMillis(200)).build();

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.decide(request("req-5")));

        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertEquals(0, entered.getCount(), "the server should have held the call");
    }

    @Test
    void shouldCompleteTheFutureOfAnAsyncDecide() throws Exception {
        decisions.failNext(Status.UNAVAILABLE, 1);
        CompletableFuture<DecisionResponse> future = client(FAST).decideAsync(request("req-6"));

        assertEquals("req-6", future.get(5, TimeUnit.SECONDS).getRequestId());
        assertEquals(2, decisions.requestIds.size());
    }

    @Test
    void shouldCompleteAnAsyncDecideExceptionallyWithTheStatus() {
        decisions.failNext(Status.INVALID_ARGUMENT.withDescription("borrower_id: required"), 1);
        CompletableFuture<DecisionResponse> future = client(FAST).decideAsync(request("req-7"));

        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
        StatusRuntimeException cause = assertInstanceOf(StatusRuntimeException.class, e.getCause());
        assertEquals(Status.Code.INVALID_ARGUMENT, cause.getStatus().getCode());
        assertEquals("borrower_id: required", cause.getStatus().getDescription());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
