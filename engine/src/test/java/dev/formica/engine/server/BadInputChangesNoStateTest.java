package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.StateDigest;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Malformed or refused requests leave every ledger, hold and record exactly as it was. */
class BadInputChangesNoStateTest {
    @TempDir
    Path dataDir;

    @Test
    void shouldChangeNoStateOnRejectedRequests() throws Exception {
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir)).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            DecisionServiceGrpc.DecisionServiceBlockingStub decisions = DecisionServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).upsert(
                    UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("alice")
                            .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                    .setLineMinor(100_000))).build());
            DecisionResponse approved = decisions.decide(DecisionRequest.newBuilder().setRequestId("ok-1")
                    .setBorrowerId("alice").setProduct(Product.CONSUMER_CREDIT).setAmountMinor(10_000).build());
            assertEquals(Outcome.APPROVE, approved.getOutcome());
            String before = StateDigest.of(server.pipeline());

            DecisionRequest good = DecisionRequest.newBuilder().setRequestId("bad-1").setBorrowerId("alice")
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(10_000).build();
            List<Executable> rejected = List.of(
                    () -> decisions.decide(good.toBuilder().setAmountMinor(-10_000).build()),
                    () -> decisions.decide(good.toBuilder().setAmountMinor(Long.MAX_VALUE).build()),
                    () -> decisions.decide(good.toBuilder().clearRequestId().build()),
                    () -> decisions.decide(good.toBuilder().setProductValue(17).build()),
                    () -> decisions.decide(good.toBuilder().setCurrency("USD").build()),
                    () -> decisions.confirm(ConfirmRequest.newBuilder().setRequestId("c").setHoldId("zzz").build()),
                    () -> decisions.confirm(ConfirmRequest.newBuilder().setRequestId("c").setHoldId("h12345").build()),
                    () -> decisions.confirm(ConfirmRequest.newBuilder().setRequestId("ok-1")
                            .setHoldId(approved.getHoldId()).build()),
                    () -> decisions.cancel(CancelRequest.newBuilder().setRequestId("x").setHoldId("h-1").build()),
                    () -> decisions.repay(RepayRequest.newBuilder().setRequestId("p").setBorrowerId("alice")
                            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1).build()),
                    () -> decisions.repay(RepayRequest.newBuilder().setRequestId("p").setBorrowerId("alice")
                            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(0).build()));
            for (Executable call : rejected) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
                assertNotEquals(Status.Code.OK, e.getStatus().getCode());
                assertNotEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getStatus().toString());
                assertNotEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), e.getStatus().toString());
            }
            assertEquals(before, StateDigest.of(server.pipeline()));
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
