package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.FundingShare;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RowError;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, deliverable 5, through a real server on a free port: CN and ID served at once, each borrower decided in
 * its market's currency, by its market's rule set and funders; a request in another currency than the line's, or
 * for a market the server does not serve, is refused with the field named and changes nothing.
 */
class MarketsServerTest {
    @TempDir
    Path dataDir;

    @Test
    void shouldServeCnAndIdInOneServer() throws Exception {
        EngineConfiguration config = new EngineConfiguration().port(0).dataDir(dataDir).shards(2)
                .markets(MarketsTest.cnAndId());
        try (EngineServer server = new EngineServer(config).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                DecisionServiceGrpc.DecisionServiceBlockingStub decisions = DecisionServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(20, TimeUnit.SECONDS);
                ProfileServiceGrpc.ProfileServiceBlockingStub profiles = ProfileServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(20, TimeUnit.SECONDS);
                profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(RegulationBindsTest.gradeB("chen"))
                        .build());
                profiles.upsert(UpsertProfileRequest.newBuilder()
                        .setProfile(MarketsTest.idGradeB("budi", 10_000_000_000L)).build());

                // below the night-time cash-out threshold of either rule set, so the wall clock's hour does not matter
                DecisionResponse cn = decisions.decide(DecisionRequest.newBuilder().setRequestId("c1")
                        .setBorrowerId("chen").setProduct(Product.CASH_LOAN).setAmountMinor(100_000).setInstallments(3)
                        .setRegion("CN-31").setCurrency("CNY").build());
                assertEquals(Outcome.APPROVE, cn.getOutcome(), cn.toString());
                assertEquals("default-2026.11.1", cn.getRuleSetVersion());
                DecisionResponse id = decisions.decide(DecisionRequest.newBuilder().setRequestId("i1")
                        .setBorrowerId("budi").setProduct(Product.CASH_LOAN).setAmountMinor(500_000_000L)
                        .setInstallments(3).setRegion("ID-JK").setCurrency("IDR").setMarket("ID").build());
                assertEquals(Outcome.APPROVE, id.getOutcome(), id.toString());
                assertEquals("id-2026.12.1", id.getRuleSetVersion());
                assertEquals(List.of("platform", "lender_a", "lender_b"),
                        id.getFundingList().stream().map(FundingShare::getFunderId).toList());
                // issue 19: a retry that leaves market and currency to the profile is the same request, held once
                DecisionResponse retry = decisions.decide(DecisionRequest.newBuilder().setRequestId("i1")
                        .setBorrowerId("budi").setProduct(Product.CASH_LOAN).setAmountMinor(500_000_000L)
                        .setInstallments(3).setRegion("ID-JK").build());
                assertTrue(retry.getReplayed(), retry.toString());
                assertEquals(id.getHoldId(), retry.getHoldId());

                String before = StateDigest.of(server.pipeline());
                DecisionRequest wrongCurrency = DecisionRequest.newBuilder().setRequestId("i2").setBorrowerId("budi")
                        .setProduct(Product.CASH_LOAN).setAmountMinor(500_000_000L).setCurrency("CNY").build();
                assertEquals(List.of("currency"), refusedFields(() -> decisions.decide(wrongCurrency)));
                assertEquals(List.of("market"), refusedFields(() -> decisions.decide(wrongCurrency.toBuilder()
                        .setCurrency("").setMarket("TH").build())));
                assertEquals(before, StateDigest.of(server.pipeline()));

                CreditLine line = decisions.getCreditLine(GetCreditLineRequest.newBuilder().setBorrowerId("budi")
                        .setProduct(Product.CASH_LOAN).build());
                assertEquals("IDR", line.getCurrency());
                assertEquals("ID", line.getMarket());
                assertEquals(500_000_000L, line.getHeldMinor());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A profile's market is a field of the profile like its lines: Upsert's refusal names {@code profile.market} (as
     * it names {@code profile.lines[0].product}), whether the server does not serve the market or the borrower has a
     * line in another one, and a bulk Load's rejected row names {@code market}, not the status code. Found by a
     * client written from the .proto files alone; nothing is changed by either refusal.
     */
    @Test
    void shouldNameTheProfilesMarketFieldWhenAnUpsertOrALoadRowIsRefusedForIt() throws Exception {
        // fixed ports in this helper's range (21700-21799) rather than free ones: the rule for this session's tests
        EngineConfiguration config = new EngineConfiguration().port(21750).shardPortBase(21752).dataDir(dataDir)
                .shards(2).markets(MarketsTest.cnAndId());
        try (EngineServer server = new EngineServer(config).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                ProfileServiceGrpc.ProfileServiceBlockingStub profiles = ProfileServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(20, TimeUnit.SECONDS);
                profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(RegulationBindsTest.gradeB("chen"))
                        .build());
                String before = StateDigest.of(server.pipeline());
                Profile unserved = RegulationBindsTest.gradeB("tan").toBuilder().setMarket("TH").build();
                Profile moved = MarketsTest.idGradeB("chen", 10_000_000_000L);
                assertEquals(List.of("profile.market"), refusedFields(() -> profiles.upsert(UpsertProfileRequest
                        .newBuilder().setProfile(unserved).build())));
                assertEquals(List.of("profile.market"), refusedFields(() -> profiles.upsert(UpsertProfileRequest
                        .newBuilder().setProfile(moved).build())));

                LoadSummary summary = ProfileLoads.load(channel, unserved, moved);
                assertEquals(2, summary.getRejected(), summary.toString());
                assertEquals(List.of("market", "market"), summary.getErrorsList().stream().map(RowError::getField)
                        .toList(), summary.toString());
                assertTrue(summary.getErrors(0).getReason().startsWith("'TH' is not served here"), summary.toString());
                assertTrue(summary.getErrors(1).getReason().startsWith("the borrower has a "), summary.toString());
                assertEquals(before, StateDigest.of(server.pipeline()));
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The fields the INVALID_ARGUMENT refusal's BadRequest names. */
    static List<String> refusedFields(org.junit.jupiter.api.function.Executable call) throws Exception {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        for (com.google.protobuf.Any any : details.getDetailsList()) {
            if (any.is(BadRequest.class)) {
                return any.unpack(BadRequest.class).getFieldViolationsList().stream()
                        .map(BadRequest.FieldViolation::getField).toList();
            }
        }
        throw new AssertionError("no BadRequest in " + details);
    }
}
