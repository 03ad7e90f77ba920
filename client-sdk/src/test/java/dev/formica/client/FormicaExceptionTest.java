package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.formica.v1.DecisionError;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.Product;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK's typed errors: what a refusal's google.rpc.Status details say (reason, every bad field, retry delay)
 * read from real calls to an in-process server, and the retry delay obeyed before a retry.
 */
class FormicaExceptionTest {
    private static final String TARGET = "engine-0:7000";
    private static final Metadata.Key<String> PUSHBACK =
            Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
    private static final RetryPolicy FAST = RetryPolicy.builder()
            .initialBackoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(2)).build();

    private final FakeDecisionService decisions = new FakeDecisionService("a");
    private final InProcessTargets targets = new InProcessTargets();
    private FormicaClient client;

    private FormicaClient client(Duration deadline) {
        targets.add(TARGET, decisions, new FakeProfileService(), new FakeDiagnosticsService());
        client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor).retryPolicy(FAST)
                .defaultDeadline(deadline).build();
        return client;
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        targets.close();
    }

    private static DecisionRequest request(String id) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId("b-1").setProduct(Product.CONSUMER_CREDIT)
                .setAmountMinor(1_000).build();
    }

    private static com.google.protobuf.Duration millis(long ms) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000)
                .build();
    }

    private static ErrorInfo info(String reason) {
        return ErrorInfo.newBuilder().setDomain("formica.dev").setReason(reason).putMetadata("limit", "64").build();
    }

    /** A refusal as a Formica server sends it: status details in the trailers, optional pushback. */
    private static StatusRuntimeException refusal(Status.Code code, String message, String pushbackMs, Any... details) {
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder().setCode(code.value())
                .setMessage(message);
        for (Any d : details) {
            status.addDetails(d);
        }
        Metadata trailers = new Metadata();
        if (pushbackMs != null) {
            trailers.put(PUSHBACK, pushbackMs);
        }
        return StatusProto.toStatusRuntimeException(status.build(), trailers);
    }

    @Test
    void shouldReadTheReasonAndEveryBadFieldOfARefusal() {
        BadRequest bad = BadRequest.newBuilder()
                .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField("amount_minor")
                        .setDescription("must be > 0 (minor units), was 0"))
                .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField("ip")
                        .setDescription("not an IPv4 or IPv6 address"))
                .build();
        decisions.refusals.add(() -> refusal(Status.Code.INVALID_ARGUMENT,
                "amount_minor: must be > 0 (minor units), was 0 (and 1 more: ip)", null,
                Any.pack(info("INVALID_FIELD")), Any.pack(bad)));

        FormicaException e = assertThrows(FormicaException.class, () -> client(Duration.ofSeconds(5))
                .decide(request("r-1")));

        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertEquals(ErrorReason.INVALID_FIELD, e.reason());
        assertEquals(List.of(new FormicaException.FieldViolation("amount_minor", "must be > 0 (minor units), was 0"),
                new FormicaException.FieldViolation("ip", "not an IPv4 or IPv6 address")), e.fieldViolations());
        assertEquals(Map.of("limit", "64"), e.errorMetadata());
        assertTrue(e.retryDelay().isEmpty());
        assertFalse(e.isRetryable());
        assertEquals(1, decisions.requestIds.size(), "INVALID_ARGUMENT is not retried");
        assertTrue(e.getMessage().endsWith("[INVALID_FIELD]"), e.getMessage());
        // still a StatusRuntimeException for code written against the plain gRPC type
        assertEquals("amount_minor: must be > 0 (minor units), was 0 (and 1 more: ip)",
                ((StatusRuntimeException) e).getStatus().getDescription());
    }

    @Test
    void shouldWaitTheRetryDelayTheServerAskedForBeforeRetrying() {
        decisions.refusals.add(() -> refusal(Status.Code.RESOURCE_EXHAUSTED, "overloaded", "300",
                Any.pack(info("OVERLOADED")),
                Any.pack(RetryInfo.newBuilder().setRetryDelay(millis(300)).build())));
        FormicaClient c = client(Duration.ofSeconds(5));

        long start = System.nanoTime();
        DecisionResponse answer = c.decide(request("r-2"));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertEquals("r-2", answer.getRequestId());
        assertEquals(List.of("r-2", "r-2"), decisions.requestIds, "one retry, same request_id");
        assertTrue(elapsedMs >= 300, "retried after " + elapsedMs + " ms, before the 300 ms the server asked for");
    }

    @Test
    void shouldObeyThePushbackTrailerWhenThereIsNoRetryInfo() {
        decisions.refusals.add(() -> refusal(Status.Code.RESOURCE_EXHAUSTED, "queue full", "250",
                Any.pack(info("SHARD_QUEUE_FULL"))));
        FormicaClient c = client(Duration.ofSeconds(5));

        long start = System.nanoTime();
        c.decide(request("r-3"));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertEquals(2, decisions.requestIds.size());
        assertTrue(elapsedMs >= 250, "retried after " + elapsedMs + " ms");
    }

    @Test
    void shouldNotRetryWhenTheAskedDelayPassesTheDeadlineAndSayHowLongToWait() {
        decisions.refusals.add(() -> refusal(Status.Code.RESOURCE_EXHAUSTED, "overloaded", "5000",
                Any.pack(info("OVERLOADED")),
                Any.pack(RetryInfo.newBuilder().setRetryDelay(millis(5_000)).build())));

        CompletionException wrapped = assertThrows(CompletionException.class,
                () -> client(Duration.ofMillis(800)).decideAsync(request("r-4")).join());

        FormicaException e = (FormicaException) wrapped.getCause();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code());
        assertEquals(ErrorReason.OVERLOADED, e.reason());
        assertEquals(Duration.ofSeconds(5), e.retryDelay().orElseThrow());
        assertTrue(e.isRetryable());
        assertEquals(1, decisions.requestIds.size());
    }

    @Test
    void shouldTellAnUnknownReasonFromNoReason() {
        decisions.refusals.add(() -> refusal(Status.Code.FAILED_PRECONDITION, "new rule", null,
                Any.pack(info("A_REASON_FROM_THE_FUTURE"))));
        decisions.failNext(Status.UNAVAILABLE.withDescription("plain"), 1);
        FormicaClient c = client(Duration.ofSeconds(5));

        FormicaException future = assertThrows(FormicaException.class, () -> c.decide(request("r-5")));
        assertEquals(ErrorReason.UNRECOGNIZED, future.reason());
        assertEquals("A_REASON_FROM_THE_FUTURE", future.reasonName());

        FormicaException none = FormicaException.of(Status.UNAVAILABLE.asRuntimeException());
        assertEquals(ErrorReason.ERROR_REASON_UNSPECIFIED, none.reason());
        assertEquals("", none.reasonName());
        assertTrue(none.fieldViolations().isEmpty());
        assertTrue(none.isRetryable());
    }

    @Test
    void shouldReadADecideStreamError() {
        DecisionError error = DecisionError.newBuilder().setCode(Status.Code.RESOURCE_EXHAUSTED.value())
                .setMessage("overloaded").addDetails(Any.pack(info("QUEUE_DELAY_EXCEEDED")))
                .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(millis(50)).build()))
                .build();

        FormicaException e = FormicaException.of(error);

        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code());
        assertEquals(ErrorReason.QUEUE_DELAY_EXCEEDED, e.reason());
        assertEquals(Duration.ofMillis(50), e.retryDelay().orElseThrow());
        assertEquals("overloaded", e.getStatus().getDescription());
    }
}
