package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.BlockListKind;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventType;
import dev.formica.v1.SetRiskAppetiteRequest;
import dev.formica.v1.UpdateBlockListRequest;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed field gets INVALID_ARGUMENT naming the field, over the real Netty server. */
class RequestValidationTest {
    @TempDir
    static Path dataDir;
    static EngineServer server;
    static ManagedChannel channel;

    /** AdminService always needs credentials: the admin calls here carry this token. */
    private static final String ADMIN_TOKEN = "validation-test-admin-token-0123";

    @BeforeAll
    static void start() throws IOException {
        Path tokens = Files.createFile(dataDir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, ADMIN_TOKEN + "\n");
        server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir).adminTokenFile(tokens)).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    static DecisionRequest.Builder decision() {
        return DecisionRequest.newBuilder().setRequestId("r-1").setBorrowerId("b-1")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(329_900).setCurrency("CNY");
    }

    private static Arguments decide(String field, Consumer<DecisionRequest.Builder> breakIt) {
        DecisionRequest.Builder b = decision();
        breakIt.accept(b);
        DecisionRequest request = b.build();
        return Arguments.of("Decide " + field, field, (Runnable) () -> DecisionServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS).decide(request));
    }

    private static Arguments call(String name, String field, Runnable call) {
        return Arguments.of(name, field, call);
    }

    static Stream<Arguments> malformed() {
        List<Arguments> cases = new ArrayList<>();
        cases.add(decide("request_id", b -> b.clearRequestId()));
        cases.add(decide("request_id", b -> b.setRequestId("x".repeat(65))));
        cases.add(decide("request_id", b -> b.setRequestId("has space")));
        cases.add(decide("borrower_id", b -> b.clearBorrowerId()));
        cases.add(decide("borrower_id", b -> b.setBorrowerId("b\u00e9")));
        cases.add(decide("product", b -> b.clearProduct()));
        cases.add(decide("product", b -> b.setProductValue(99)));
        cases.add(decide("amount_minor", b -> b.setAmountMinor(0)));
        cases.add(decide("amount_minor", b -> b.setAmountMinor(-1)));
        cases.add(decide("amount_minor", b -> b.setAmountMinor(Long.MAX_VALUE)));
        cases.add(decide("currency", b -> b.setCurrency("cny")));
        cases.add(decide("currency", b -> b.setCurrency("CNYY")));
        cases.add(decide("merchant_id", b -> b.setMerchantId("m".repeat(65))));
        cases.add(decide("merchant_category", b -> b.setMerchantCategory("54A1")));
        cases.add(decide("channel", b -> b.setChannelValue(42)));
        cases.add(decide("device_id", b -> b.setDeviceId("d".repeat(129))));
        cases.add(decide("ip", b -> b.setIp("300.1.1.1")));
        cases.add(decide("ip", b -> b.setIp("evil.example")));
        cases.add(decide("region", b -> b.setRegion("R".repeat(17))));
        cases.add(decide("event_time_ms", b -> b.setEventTimeMs(-5)));
        cases.add(decide("installments", b -> b.setInstallments(37)));
        cases.add(decide("installments", b -> b.setInstallments(-1)));
        cases.add(decide("attributes", b -> b.putAttributes("bad key", AttributeValue.newBuilder().setIntValue(1)
                .build())));
        cases.add(decide("attributes[x]", b -> b.putAttributes("x", AttributeValue.getDefaultInstance())));
        cases.add(decide("attributes[nan]", b -> b.putAttributes("nan",
                AttributeValue.newBuilder().setDoubleValue(Double.NaN).build())));

        cases.add(call("Confirm request_id", "request_id", () -> stub().confirm(ConfirmRequest.newBuilder()
                .setHoldId("h-1").build())));
        cases.add(call("Confirm hold_id", "hold_id", () -> stub().confirm(ConfirmRequest.newBuilder()
                .setRequestId("r-1").build())));
        cases.add(call("Cancel hold_id", "hold_id", () -> stub().cancel(CancelRequest.newBuilder()
                .setRequestId("r-1").build())));
        cases.add(call("Repay amount_minor", "amount_minor", () -> stub().repay(RepayRequest.newBuilder()
                .setRequestId("r-1").setBorrowerId("b-1").setProduct(Product.CASH_LOAN).setAmountMinor(0).build())));
        cases.add(call("Repay product", "product", () -> stub().repay(RepayRequest.newBuilder()
                .setRequestId("r-1").setBorrowerId("b-1").setAmountMinor(10).build())));
        cases.add(call("GetCreditLine borrower_id", "borrower_id", () -> stub().getCreditLine(
                GetCreditLineRequest.newBuilder().setProduct(Product.CASH_LOAN).build())));
        cases.add(call("Apply annual_income_minor", "annual_income_minor", () -> stub().apply(
                CreditApplication.newBuilder().setRequestId("r").setBorrowerId("b").setProduct(Product.BUSINESS_LOAN)
                        .setAnnualIncomeMinor(-1).build())));
        cases.add(call("Upsert profile", "profile",
                () -> profiles().upsert(UpsertProfileRequest.getDefaultInstance())));
        cases.add(call("Upsert profile.lines[1].product", "profile.lines[1].product", () -> profiles().upsert(
                UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("b")
                        .addLines(ProductLine.newBuilder().setProduct(Product.CASH_LOAN).setLineMinor(1))
                        .addLines(ProductLine.newBuilder().setProduct(Product.CASH_LOAN).setLineMinor(2))).build())));
        cases.add(call("Upsert profile.lines[0].line_minor", "profile.lines[0].line_minor", () -> profiles().upsert(
                UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("b")
                        .addLines(ProductLine.newBuilder().setProduct(Product.CASH_LOAN).setLineMinor(-2))).build())));
        cases.add(call("Get borrower_id", "borrower_id", () -> profiles().get(GetProfileRequest.getDefaultInstance())));
        cases.add(call("ReportRiskEvent type", "type", () -> profiles().reportRiskEvent(RiskEvent.newBuilder()
                .setRequestId("r").setBorrowerId("b").build())));
        cases.add(call("ReportRiskEvent days_past_due", "days_past_due", () -> profiles().reportRiskEvent(
                RiskEvent.newBuilder().setRequestId("r").setBorrowerId("b")
                        .setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).build())));
        cases.add(call("SetRiskAppetite factor_bps", "factor_bps", () -> admin().setRiskAppetite(
                SetRiskAppetiteRequest.newBuilder().setFactorBps(0).setReason("downturn").build())));
        cases.add(call("UpdateBlockList kind", "kind", () -> admin().updateBlockList(
                UpdateBlockListRequest.newBuilder().addAdd("d-1").setReason("fraud ring").build())));
        cases.add(call("UpdateBlockList add[0]", "add[0]", () -> admin().updateBlockList(
                UpdateBlockListRequest.newBuilder().setKind(BlockListKind.BLOCK_LIST_KIND_DEVICE).addAdd("")
                        .setReason("fraud ring").build())));
        cases.add(call("Echo payload", "payload", () -> DiagnosticsServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS).echo(EchoRequest.newBuilder()
                        .setPayload(ByteString.copyFrom(new byte[64 * 1024 + 1])).build())));
        return cases.stream();
    }

    static DecisionServiceGrpc.DecisionServiceBlockingStub stub() {
        return DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    static ProfileServiceGrpc.ProfileServiceBlockingStub profiles() {
        return ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    static AdminServiceGrpc.AdminServiceBlockingStub admin() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN_TOKEN);
        return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void shouldRejectMalformedFieldWithInvalidArgumentNamingIt(String name, String field, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().startsWith(field + ":"),
                "description names " + field + ": " + e.getStatus().getDescription());
    }

    /**
     * Issue 19 (clients/python/adversary.py): Repay's and Apply's currency follow Decide's form rule, so a malformed
     * code ("cny") is INVALID_FIELD for its form, as on Decide, and not CURRENCY_NOT_SUPPORTED as if it were a
     * currency the server does not lend in; empty (the line's) and a well-formed code pass to the market check.
     */
    @Test
    void shouldCheckTheCurrencyFormOfRepayAndApplyAsDecideDoes() {
        RepayRequest repay = RepayRequest.newBuilder().setRequestId("r").setBorrowerId("b")
                .setProduct(Product.CASH_LOAN).setAmountMinor(10).build();
        CreditApplication apply = CreditApplication.newBuilder().setRequestId("r").setBorrowerId("b")
                .setProduct(Product.CASH_LOAN).build();
        String rule = "currency: three upper-case letters (ISO 4217), e.g. CNY";
        for (String bad : List.of("cny", "CNYX", "\u00a5")) {
            assertEquals(rule, RequestValidator.check(decision().setCurrency(bad).build()).first());
            assertEquals(List.of(rule), RequestValidator.check(repay.toBuilder().setCurrency(bad).build()).all());
            assertEquals(List.of(rule), RequestValidator.check(apply.toBuilder().setCurrency(bad).build()).all());
        }
        for (String good : List.of("", "CNY", "USD")) {
            assertNull(RequestValidator.check(repay.toBuilder().setCurrency(good).build()));
            assertNull(RequestValidator.check(apply.toBuilder().setCurrency(good).build()));
        }
    }

    @Test
    void shouldAcceptAWellFormedDecisionRequest() {
        assertNull(RequestValidator.check(decision().setMerchantId("m-42").setMerchantCategory("5411")
                .setDeviceId("dev-1").setIp("2001:db8::1").setRegion("CN-31").setInstallments(12)
                .putAttributes("bureau.active_lenders", AttributeValue.newBuilder().setIntValue(2).build())
                .build()));
        assertNull(RequestValidator.check(decision().setIp("192.168.0.1").build()));
    }
}
