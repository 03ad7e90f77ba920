package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.formica.client.FormicaClient;
import dev.formica.client.FormicaException;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.ActivateRuleSetRequest;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.GetLatencyRequest;
import dev.formica.v1.ListRuleSetsRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.PublishRuleSetRequest;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals a program can read: real calls to the Netty server on loopback, each answered with a status whose
 * details carry an ErrorInfo of a stable reason (domain formica.dev), a BadRequest with every bad field, and
 * nothing that is not true (no RetryInfo where a retry cannot help). Also read through the SDK's
 * {@link FormicaException}, unary and in DecideStream.
 */
class RefusalDetailsTest {
    private static final int PORT = 20411;
    private static final String ADMIN_TOKEN = "refusal-details-admin-token-0123456";

    @TempDir
    static Path dataDir;
    static EngineServer server;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        Path tokens = Files.createFile(dataDir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, ADMIN_TOKEN + "\n");
        server = new EngineServer(new EngineConfiguration().port(PORT).shards(1).dataDir(dataDir.resolve("data"))
                .adminTokenFile(tokens)).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        profiles().upsert(UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("alice")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(10_000_000)))
                .build());
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static DecisionServiceGrpc.DecisionServiceBlockingStub decisions() {
        return DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ProfileServiceGrpc.ProfileServiceBlockingStub profiles() {
        return ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static AdminServiceGrpc.AdminServiceBlockingStub admin(String token) {
        AdminServiceGrpc.AdminServiceBlockingStub stub = AdminServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        if (token == null) {
            return stub;
        }
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static DecisionRequest.Builder decision(String requestId, long amount) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId("alice")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount);
    }

    /** The refusal of {@code call}, which must fail with {@code code}. */
    private static StatusRuntimeException refusal(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }

    private static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException e, Class<T> type) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return null;
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                try {
                    return any.unpack(type);
                } catch (InvalidProtocolBufferException ex) {
                    throw new AssertionError(ex);
                }
            }
        }
        return null;
    }

    private static ErrorInfo reason(StatusRuntimeException e, ErrorReason expected) {
        ErrorInfo info = detail(e, ErrorInfo.class);
        assertTrue(info != null, "no ErrorInfo in " + e.getStatus());
        assertEquals("formica.dev", info.getDomain());
        assertEquals(expected.name(), info.getReason(), e.getStatus().toString());
        return info;
    }

    private static List<String> fields(StatusRuntimeException e) {
        BadRequest bad = detail(e, BadRequest.class);
        assertTrue(bad != null, "no BadRequest in " + e.getStatus());
        return bad.getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList();
    }

    private static void noRetryAdvice(StatusRuntimeException e) {
        assertNull(detail(e, RetryInfo.class), "RetryInfo on " + e.getStatus());
        assertNull(e.getTrailers().get(Refusals.RETRY_PUSHBACK), "pushback on " + e.getStatus());
    }

    @Test
    void shouldNameEveryBadFieldOfARequestInOrderAndTheFirstInTheMessage() {
        StatusRuntimeException e = refusal(Status.Code.INVALID_ARGUMENT, () -> decisions().decide(
                decision("", 0).setIp("999.1.1.1").setMerchantCategory("54x1").build()));

        reason(e, ErrorReason.INVALID_FIELD);
        assertEquals(List.of("request_id", "amount_minor", "merchant_category", "ip"), fields(e));
        assertEquals("request_id: required (and 3 more: amount_minor, merchant_category, ip)",
                e.getStatus().getDescription());
        BadRequest bad = detail(e, BadRequest.class);
        assertEquals("must be > 0 (minor units), was 0", bad.getFieldViolations(1).getDescription());
        noRetryAdvice(e);
    }

    @Test
    void shouldNameEveryBadFieldOfAnAdminRequest() {
        StatusRuntimeException e = refusal(Status.Code.INVALID_ARGUMENT, () -> admin(ADMIN_TOKEN).getLatency(
                GetLatencyRequest.newBuilder().addNames("total").addNames("nope").addNames("bogus").build()));

        reason(e, ErrorReason.INVALID_FIELD);
        assertEquals(List.of("names", "names"), fields(e));
        assertTrue(e.getStatus().getDescription().startsWith("names: 'nope'"), e.getStatus().getDescription());
    }

    @Test
    void shouldSayWhyAStateConflictOrAMissingThingRefusedTheCall() {
        DecisionResponse approved = decisions().decide(decision("d-hold", 5_000).build());
        assertEquals(Outcome.APPROVE, approved.getOutcome());
        decisions().cancel(CancelRequest.newBuilder().setRequestId("c-hold").setHoldId(approved.getHoldId()).build());

        StatusRuntimeException cancelled = refusal(Status.Code.FAILED_PRECONDITION, () -> decisions().confirm(
                ConfirmRequest.newBuilder().setRequestId("k-hold").setHoldId(approved.getHoldId()).build()));
        reason(cancelled, ErrorReason.HOLD_CANCELLED);
        noRetryAdvice(cancelled);

        DecisionResponse drawn = decisions().decide(decision("d-drawn", 5_000).build());
        decisions().confirm(ConfirmRequest.newBuilder().setRequestId("k-drawn").setHoldId(drawn.getHoldId()).build());
        StatusRuntimeException tooMuch = refusal(Status.Code.FAILED_PRECONDITION, () -> decisions().repay(
                RepayRequest.newBuilder().setRequestId("r-1").setBorrowerId("alice")
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(6_000).build()));
        assertEquals("5000", reason(tooMuch, ErrorReason.REPAYMENT_EXCEEDS_DRAWN).getMetadataOrThrow("drawn_minor"));

        StatusRuntimeException reused = refusal(Status.Code.INVALID_ARGUMENT,
                () -> decisions().decide(decision("d-hold", 7_000).build()));
        reason(reused, ErrorReason.REQUEST_ID_REUSED);
        assertEquals(List.of("request_id"), fields(reused));

        StatusRuntimeException currency = refusal(Status.Code.INVALID_ARGUMENT,
                () -> decisions().decide(decision("d-usd", 5_000).setCurrency("USD").build()));
        assertEquals("CNY", reason(currency, ErrorReason.CURRENCY_NOT_SUPPORTED).getMetadataOrThrow("currency"));
        assertEquals(List.of("currency"), fields(currency));

        reason(refusal(Status.Code.NOT_FOUND, () -> decisions().getCreditLine(GetCreditLineRequest.newBuilder()
                .setBorrowerId("nobody").setProduct(Product.CONSUMER_CREDIT).build())), ErrorReason.PROFILE_NOT_FOUND);
        reason(refusal(Status.Code.NOT_FOUND, () -> decisions().getDecision(GetDecisionRequest.newBuilder()
                .setRequestId("never").setBorrowerId("alice").build())), ErrorReason.DECISION_NOT_FOUND);
    }

    @Test
    void shouldTellAdminRefusalsApart() {
        reason(refusal(Status.Code.UNAUTHENTICATED, () -> admin(null).listRuleSets(ListRuleSetsRequest
                .getDefaultInstance())), ErrorReason.CREDENTIALS_MISSING);
        reason(refusal(Status.Code.UNAUTHENTICATED, () -> admin("not-a-token-this-server-knows-0000").listRuleSets(
                ListRuleSetsRequest.getDefaultInstance())), ErrorReason.TOKEN_INVALID);
        reason(refusal(Status.Code.NOT_FOUND, () -> admin(ADMIN_TOKEN).activateRuleSet(ActivateRuleSetRequest
                .newBuilder().setVersion("no-such-version").build())), ErrorReason.RULE_SET_NOT_FOUND);

        String broken = DefaultRuleSet.yaml().replace("when: \"blocked.ip\"", "when: \"blocked.ipp\"")
                .replace("when: \"blocked.device\"", "when: \"blocked.devicee\"");
        StatusRuntimeException invalid = refusal(Status.Code.INVALID_ARGUMENT, () -> admin(ADMIN_TOKEN)
                .publishRuleSet(PublishRuleSetRequest.newBuilder().setYaml(broken).setAuthor("test").build()));
        reason(invalid, ErrorReason.RULE_SET_INVALID);
        BadRequest problems = detail(invalid, BadRequest.class);
        assertEquals(2, problems.getFieldViolationsCount(), problems.toString());
        for (BadRequest.FieldViolation v : problems.getFieldViolationsList()) {
            assertEquals("yaml", v.getField());
            assertTrue(v.getDescription().matches("\\d+:\\d+: .*blocked.*"), v.getDescription());
        }
        assertTrue(invalid.getStatus().getDescription().startsWith("yaml: "), invalid.getStatus().getDescription());
    }

    @Test
    void shouldCarryTheSameDetailsInADecideStreamAnswer() throws Exception {
        CompletableFuture<DecisionResponse> answer = new CompletableFuture<>();
        StreamObserver<DecisionRequest> requests = DecisionServiceGrpc.newStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).decideStream(new StreamObserver<>() {
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
                        answer.completeExceptionally(new AssertionError("no answer"));
                    }
                });
        requests.onNext(decision("s-1", -5).setBorrowerId("").build());
        requests.onCompleted();
        DecisionResponse response = answer.get(10, TimeUnit.SECONDS);

        assertTrue(response.hasError());
        FormicaException e = FormicaException.of(response.getError());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertEquals(ErrorReason.INVALID_FIELD, e.reason());
        assertEquals(List.of("borrower_id", "amount_minor"),
                e.fieldViolations().stream().map(FormicaException.FieldViolation::field).toList());
        assertFalse(e.isRetryable());
    }

    @Test
    void shouldSurfaceTheDetailsAsTypedErrorsInTheSdk() {
        try (FormicaClient client = FormicaClient.builder().target("127.0.0.1:" + PORT).build()) {
            FormicaException bad = assertThrows(FormicaException.class, () -> client.decide(
                    decision("sdk-1", 0).setInstallments(99).build()));
            assertEquals(ErrorReason.INVALID_FIELD, bad.reason());
            assertEquals(List.of(
                    new FormicaException.FieldViolation("amount_minor", "must be > 0 (minor units), was 0"),
                    new FormicaException.FieldViolation("installments", "must be 0..36, was 99")),
                    bad.fieldViolations());
            assertTrue(bad.retryDelay().isEmpty());

            FormicaException missing = assertThrows(FormicaException.class, () -> client.getCreditLine(
                    GetCreditLineRequest.newBuilder().setBorrowerId("nobody").setProduct(Product.CASH_LOAN).build()));
            assertEquals(ErrorReason.PROFILE_NOT_FOUND, missing.reason());
            assertEquals("PROFILE_NOT_FOUND", missing.reasonName());
            assertTrue(missing.fieldViolations().isEmpty());

            Throwable async = client.getCreditLineAsync(GetCreditLineRequest.newBuilder().setBorrowerId("nobody")
                    .setProduct(Product.CASH_LOAN).build()).handle((v, t) -> t).join();
            assertTrue(async instanceof FormicaException f && f.reason() == ErrorReason.PROFILE_NOT_FOUND,
                    String.valueOf(async));
        }
    }
}
