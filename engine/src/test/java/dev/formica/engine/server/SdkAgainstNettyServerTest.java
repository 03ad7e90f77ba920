package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client SDK against the real Netty server: retries, deadlines and request ids end to end. */
class SdkAgainstNettyServerTest {
    @TempDir
    Path dataDir;

    /** Sees every Decide message; can shed the first N with RESOURCE_EXHAUSTED or hold calls forever. */
    static final class Gate implements ServerInterceptor {
        final List<String> requestIds = new CopyOnWriteArrayList<>();
        final AtomicInteger shedNext = new AtomicInteger();
        volatile boolean hold;

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            if (!call.getMethodDescriptor().getFullMethodName()
                    .equals(DecisionServiceGrpc.getDecideMethod().getFullMethodName())) {
                return next.startCall(call, headers);
            }
            if (shedNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                call.request(1);
                return new ServerCall.Listener<>() {
                    @Override
                    public void onMessage(Q message) {
                        requestIds.add(((DecisionRequest) message).getRequestId());
                    }

                    @Override
                    public void onHalfClose() {
                        call.close(Status.RESOURCE_EXHAUSTED.withDescription("test shedding"), new Metadata());
                    }
                };
            }
            if (hold) {
                return new ServerCall.Listener<>() {
                };
            }
            return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    requestIds.add(((DecisionRequest) message).getRequestId());
                    super.onMessage(message);
                }
            };
        }
    }

    final Gate gate = new Gate();
    EngineServer server;
    FormicaClient client;

    @BeforeEach
    void start() {
        server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir)
                .drainTimeout(Duration.ofSeconds(1)), List.of(gate)).start();
        client = FormicaClient.builder().target("127.0.0.1:" + server.port())
                .defaultDeadline(Duration.ofSeconds(5))
                .retryPolicy(RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofMillis(5)).build())
                .build();
        client.upsertProfile(Profile.newBuilder().setBorrowerId("alice").addLines(ProductLine.newBuilder()
                .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000)).build());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private static DecisionRequest.Builder request() {
        return DecisionRequest.newBuilder().setBorrowerId("alice").setProduct(Product.CONSUMER_CREDIT)
                .setAmountMinor(10_000);
    }

    @Test
    void shouldRetrySheddingWithTheSameRequestIdAndReserveOnce() {
        gate.shedNext.set(2);
        DecisionResponse r = client.decide(request().setRequestId("retry-me").build());
        assertEquals(Outcome.APPROVE, r.getOutcome());
        assertEquals(List.of("retry-me", "retry-me", "retry-me"), gate.requestIds);
        DecisionResponse again = client.decide(request().setRequestId("retry-me").build());
        assertTrue(again.getReplayed());
        assertEquals(r.getHoldId(), again.getHoldId());
        assertEquals(10_000, client.getCreditLine(dev.formica.v1.GetCreditLineRequest.newBuilder()
                .setBorrowerId("alice").setProduct(Product.CONSUMER_CREDIT).build()).getHeldMinor());
    }

    @Test
    void shouldNeverRetryInvalidArgument() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client.decide(request().setRequestId("bad").setAmountMinor(-1).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals(List.of("bad"), gate.requestIds, "exactly one attempt");
    }

    @Test
    void shouldGenerateOneRequestIdWhenNoneIsGivenAndKeepItAcrossRetries() {
        gate.shedNext.set(1);
        DecisionResponse r = client.decide(request().build());
        assertFalse(r.getRequestId().isEmpty());
        assertEquals(List.of(r.getRequestId(), r.getRequestId()), gate.requestIds);
    }

    @Test
    void shouldGiveUpWithDeadlineExceededWhenTheServerDoesNotAnswer() {
        gate.hold = true;
        try (FormicaClient quick = FormicaClient.builder().target("127.0.0.1:" + server.port())
                .defaultDeadline(Duration.ofMillis(300)).build()) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> quick.decide(request().setRequestId("slow").build()));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        }
    }
}
