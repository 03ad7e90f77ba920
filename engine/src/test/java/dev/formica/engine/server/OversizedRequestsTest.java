package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.ProfileLoads;
import dev.formica.engine.pipeline.StateDigest;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
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
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests larger than their state can hold, found by a client written from the .proto files alone. Fields this
 * server does not know are kept (protobuf's forward compatibility) and so reach the shard log with the request: a
 * Decide carrying 2 MB of them was approved while its frame, over the log's frame limit, was never appended (the
 * answer lost at the next {@code kill -9}). And a profile that keeps every field rule (64 attributes of 64-character
 * keys and 256-character values) is larger than a stored profile may be: INTERNAL. Both are bad input now, refused
 * with INVALID_ARGUMENT naming what is too large, and change nothing.
 */
class OversizedRequestsTest {
    /** Fixed ports in this helper's range (21700-21799), as this session's rule for tests asks. */
    private static final int PORT = 21754;
    private static final int SHARD_PORT_BASE = 21756;

    @TempDir
    Path dataDir;
    EngineServer server;
    ManagedChannel channel;
    DecisionServiceGrpc.DecisionServiceBlockingStub decisions;
    ProfileServiceGrpc.ProfileServiceBlockingStub profiles;

    @BeforeEach
    void start() {
        server = new EngineServer(LedgerOnlyRules.apply(new EngineConfiguration().port(PORT)
                .shardPortBase(SHARD_PORT_BASE).shards(2).dataDir(dataDir))).start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        decisions = DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        profiles = ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("alice")
                .setRegion("CN-31").addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                        .setLineMinor(1_000_000))).build());
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void shouldRefuseARequestWhoseUnknownFieldsWouldOutgrowItsLogFrame() throws Exception {
        DecisionRequest decide = DecisionRequest.newBuilder().setRequestId("d1").setBorrowerId("alice")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(10_000).build();
        // a newer client's small unknown field is kept and decided on, as protobuf promises
        DecisionResponse small = decisions.decide(decide.toBuilder().setUnknownFields(unknown(1_000)).build());
        assertEquals(Outcome.APPROVE, small.getOutcome(), small.toString());
        String before = StateDigest.of(server.pipeline());

        Profile bigProfile = Profile.newBuilder().setBorrowerId("bob").setRegion("CN-31")
                .setUnknownFields(unknown(2_000_000)).build();
        List<Executable> oversized = List.of(
                () -> decisions.decide(decide.toBuilder().setRequestId("d2").setUnknownFields(unknown(2_000_000))
                        .build()),
                () -> decisions.decide(decide.toBuilder().setRequestId("d3").setUnknownFields(unknown(
                        ParseErrorsAsInvalidArgument.MAX_STATE_REQUEST_BYTES)).build()),
                () -> profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(bigProfile).build()));
        for (Executable call : oversized) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
            assertEquals(List.of("request"), badFields(e), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().startsWith("request: at most "
                    + ParseErrorsAsInvalidArgument.MAX_STATE_REQUEST_BYTES + " bytes"), e.getStatus().toString());
        }
        assertEquals(before, StateDigest.of(server.pipeline()));
    }

    @Test
    void shouldRefuseAProfileLargerThanAStoredProfileNamingIt() throws Exception {
        Profile.Builder full = Profile.newBuilder().setBorrowerId("carol").setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000));
        for (int i = 0; i < 64; i++) {
            full.putAttributes(("k" + i + "_").repeat(32).substring(0, 64),
                    AttributeValue.newBuilder().setStringValue("v".repeat(256)).build());
        }
        Profile profile = full.build();
        assertTrue(profile.getSerializedSize() > StateConfig.MAX_PAYLOAD_BYTES, "the case needs a larger profile");
        String before = StateDigest.of(server.pipeline());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> profiles.upsert(
                UpsertProfileRequest.newBuilder().setProfile(profile).build()));
        assertEquals(List.of("profile"), badFields(e), e.getStatus().toString());
        LoadSummary summary = load(profile);
        assertEquals(1, summary.getRejected(), summary.toString());
        assertEquals("profile", summary.getErrors(0).getField(), summary.toString());
        assertEquals(before, StateDigest.of(server.pipeline()));
    }

    @Test
    void shouldRefuseAnApplicationWhoseAttributesWithTheProfilesOutgrowAStoredProfile() throws Exception {
        Profile.Builder half = Profile.newBuilder().setBorrowerId("dave").setRegion("CN-31")
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000));
        CreditApplication.Builder apply = CreditApplication.newBuilder().setRequestId("ap1").setBorrowerId("dave")
                .setProduct(Product.CONSUMER_CREDIT).setRequestedLineMinor(100_000).setRegion("CN-31")
                .setAnnualIncomeMinor(50_000_000);
        for (int i = 0; i < 40; i++) {
            AttributeValue value = AttributeValue.newBuilder().setStringValue("v".repeat(256)).build();
            half.putAttributes(("p" + i + "_").repeat(32).substring(0, 64), value);
            apply.putAttributes(("a" + i + "_").repeat(32).substring(0, 64), value);
        }
        profiles.upsert(UpsertProfileRequest.newBuilder().setProfile(half).build());
        String before = StateDigest.of(server.pipeline());

        // each side keeps the profile rules; together they are more than a stored profile holds (was INTERNAL)
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> decisions.apply(apply.build()));
        assertEquals(List.of("attributes"), badFields(e), e.getStatus().toString());
        assertEquals(before, StateDigest.of(server.pipeline()), "nothing written, the request id not used up");

        CreditOffer offer = decisions.apply(apply.clearAttributes().build());
        assertEquals(Outcome.APPROVE, offer.getOutcome(), offer.toString());
    }

    /** One length-delimited field, number 1000 (no formica.v1 message has it), of {@code bytes} bytes. */
    private static UnknownFieldSet unknown(int bytes) {
        return UnknownFieldSet.newBuilder().addField(1000, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFrom(new byte[bytes])).build()).build();
    }

    /** The INVALID_ARGUMENT refusal's bad fields (its reason INVALID_FIELD). */
    private static List<String> badFields(StatusRuntimeException e) throws Exception {
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        assertEquals("INVALID_FIELD", details.getDetails(0).unpack(ErrorInfo.class).getReason());
        return details.getDetails(1).unpack(BadRequest.class).getFieldViolationsList().stream()
                .map(BadRequest.FieldViolation::getField).toList();
    }

    private LoadSummary load(Profile... rows) throws Exception {
        return ProfileLoads.load(channel, rows);
    }
}
