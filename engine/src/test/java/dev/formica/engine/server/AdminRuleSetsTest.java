package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.ActivateRuleSetRequest;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.BlockListKind;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.ListRuleSetsRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.PublishRuleSetRequest;
import dev.formica.v1.RuleSetInfo;
import dev.formica.v1.SetRiskAppetiteRequest;
import dev.formica.v1.UpdateBlockListRequest;
import dev.formica.v1.UpsertProfileRequest;
import dev.formica.v1.ValidateRuleSetRequest;
import dev.formica.v1.ValidateRuleSetResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AdminService rule-set, risk-appetite and block-list calls over the real Netty server, with an admin token. */
class AdminRuleSetsTest {
    private static final String TOKEN = "admin-rule-sets-test-token-0123456";

    @TempDir
    Path dataDir;
    EngineServer server;
    ManagedChannel channel;
    AdminServiceGrpc.AdminServiceBlockingStub admin;

    @BeforeEach
    void start() throws Exception {
        Path tokens = Files.createFile(dataDir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, TOKEN + "\n");
        server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir.resolve("data"))
                .adminTokenFile(tokens)).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        admin = AdminServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void shouldValidatePublishActivateAndListRuleSets() {
        String broken = DefaultRuleSet.yaml().replace("when: \"blocked.ip\"", "when: \"blocked.ipp\"");
        ValidateRuleSetResponse v = admin.validateRuleSet(ValidateRuleSetRequest.newBuilder().setYaml(broken).build());
        assertFalse(v.getValid());
        assertTrue(v.getErrors(0).getLine() > 0 && v.getErrors(0).getColumn() > 0, v.toString());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> admin.publishRuleSet(
                PublishRuleSetRequest.newBuilder().setYaml(broken).setAuthor("ops").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().matches("yaml: \\d+:\\d+: .*blocked.*"),
                refused.getStatus().getDescription());

        String next = DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: next-1");
        assertEquals("next-1", admin.publishRuleSet(PublishRuleSetRequest.newBuilder().setYaml(next)
                .setAuthor("ops").build()).getVersion());
        assertEquals("default-2026.11.1", admin.activateRuleSet(ActivateRuleSetRequest.newBuilder()
                .setVersion("next-1").build()).getPreviousVersion());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> admin.activateRuleSet(
                ActivateRuleSetRequest.newBuilder().setVersion("nope").build())).getStatus().getCode());
        RuleSetInfo active = admin.listRuleSets(ListRuleSetsRequest.getDefaultInstance()).getRuleSetsList().stream()
                .filter(RuleSetInfo::getActive).findFirst().orElseThrow();
        assertEquals("next-1", active.getVersion());
        assertEquals("ops", active.getAuthor());
        assertTrue(active.getFraudRules() >= 30);
    }

    @Test
    void shouldApplyBlockListsAndRiskAppetiteToDecisionsAndExplainThemLater() {
        ProfileServiceGrpc.newBlockingStub(channel).upsert(UpsertProfileRequest.newBuilder().setProfile(Profile
                .newBuilder().setBorrowerId("p1").setAnnualIncomeMinor(30_000_000).addLines(ProductLine.newBuilder()
                        .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000))).build());
        var decisions = DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        admin.updateBlockList(UpdateBlockListRequest.newBuilder().setKind(BlockListKind.BLOCK_LIST_KIND_MERCHANT)
                .addAdd("m-bad").setReason("chargebacks").build());
        DecisionResponse blocked = decisions.decide(DecisionRequest.newBuilder().setRequestId("d1")
                .setBorrowerId("p1").setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000).setMerchantId("m-bad")
                .build());
        assertEquals(Outcome.DECLINE, blocked.getOutcome());
        assertEquals("BLOCKLIST_MERCHANT", blocked.getReasons(0).getCode());
        admin.setRiskAppetite(SetRiskAppetiteRequest.newBuilder().setFactorBps(1_000).setReason("drill").build());
        DecisionResponse limited = decisions.decide(DecisionRequest.newBuilder().setRequestId("d2")
                .setBorrowerId("p1").setProduct(Product.CONSUMER_CREDIT).setAmountMinor(200_000).build());
        assertEquals("RISK_APPETITE", limited.getReasons(0).getCode());
        DecisionResponse explained = decisions.getDecision(GetDecisionRequest.newBuilder().setRequestId("d1")
                .setBorrowerId("p1").build());
        assertEquals(blocked.getReasonsList(), explained.getReasonsList());
        assertTrue(explained.getReplayed());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> decisions.getDecision(
                GetDecisionRequest.newBuilder().setRequestId("never").setBorrowerId("p1").build())).getStatus()
                .getCode());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> decisions.getDecision(
                GetDecisionRequest.newBuilder().setRequestId("d1").setBorrowerId("p2").build())).getStatus()
                .getCode(), "another borrower's decision is not found under the same request id");
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(StatusRuntimeException.class,
                () -> decisions.getDecision(GetDecisionRequest.newBuilder().setRequestId("d1").build())).getStatus()
                .getCode(), "borrower_id is required");
    }
}
