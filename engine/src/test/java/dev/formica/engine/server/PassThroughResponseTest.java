package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.journal.JournalEntry;
import dev.formica.engine.journal.Journals;
import dev.formica.engine.log.Durability;
import dev.formica.engine.replay.AuditTrail;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Decide, DecideStream and GetDecision answer with the shard's wire bytes passed through to gRPC: a client in any
 * language reads exactly protobuf's own serialisation of the expected message, for a fresh answer and a replayed one
 * (the replayed flag set in the bytes); and a Decide's request is journaled as the caller sent it. Read at the byte
 * level with a raw method descriptor, in both shard modes that answer on different threads.
 */
class PassThroughResponseTest {
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    @TempDir
    Path dataDir;

    @ParameterizedTest
    @EnumSource(value = EngineConfiguration.ShardMode.class, names = {"DEDICATED", "LOOP"})
    void shouldSendTheShardsBytesAsProtobufWouldSerialiseTheMessage(EngineConfiguration.ShardMode mode)
            throws Exception {
        DecisionRequest request = DecisionRequest.newBuilder().setRequestId("r-1").setBorrowerId("alice")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(12_345).setMerchantId("m-1").build();
        // the same request as another client may write it: fields out of order, a field this server does not know
        byte[] sent = concat(request.toBuilder().clearRequestId().build().toByteArray(),
                DecisionRequest.newBuilder().setRequestId("r-1").build().toByteArray(), unknownField());
        assertEquals(request.toBuilder().setUnknownFields(DecisionRequest.parseFrom(sent).getUnknownFields()).build(),
                DecisionRequest.parseFrom(sent));
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir).shards(2)
                .shardMode(mode).durability(Durability.PROCESS)
                // the shared test box's load delays loop timers: no shedding by lag here (AdmissionInterceptorTest's)
                .loopShedLag(java.time.Duration.ZERO)).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).upsert(
                        UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("alice")
                                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                        .setLineMinor(1_000_000))).build());

                byte[] fresh = call(channel, DecisionServiceGrpc.getDecideMethod(), sent);
                DecisionResponse answer = DecisionResponse.parseFrom(fresh);
                assertEquals(Outcome.APPROVE, answer.getOutcome(), answer.toString());
                assertEquals("r-1", answer.getRequestId());
                assertFalse(answer.getReplayed());
                assertTrue(answer.getServerNanos() > 0, "a field numbered above replayed is present");
                assertArrayEquals(answer.toByteArray(), fresh);

                byte[] replayed = call(channel, DecisionServiceGrpc.getDecideMethod(), sent);
                DecisionResponse expected = answer.toBuilder().setReplayed(true).build();
                assertArrayEquals(expected.toByteArray(), replayed);
                byte[] stored = call(channel, DecisionServiceGrpc.getGetDecisionMethod(), GetDecisionRequest
                        .newBuilder().setRequestId("r-1").setBorrowerId("alice").build().toByteArray());
                assertArrayEquals(expected.toByteArray(), stored);

                decideStream(channel, request);

                // the shard reads a request's attributes only when its bytes carry some: these do
                DecisionResponse foreign = DecisionServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).decide(request.toBuilder().setRequestId("r-ip")
                                .putAttributes("ip.country", dev.formica.v1.AttributeValue.newBuilder()
                                        .setStringValue("US").build()).build());
                assertTrue(foreign.getReasonsList().stream().anyMatch(r -> r.getCode().equals("IP_FOREIGN")),
                        foreign.toString());

                StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class,
                        () -> call(channel, DecisionServiceGrpc.getDecideMethod(), new byte[] {0x0a, 0x05, 'r'}));
                assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
                assertTrue(malformed.getStatus().getDescription().startsWith("request: not a valid protobuf message"),
                        malformed.getStatus().toString());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        JournalEntry journaled = journaled("r-1");
        assertEquals(DecisionRequest.parseFrom(sent), journaled.request());
    }

    /**
     * Answers travel in pooled buffers that come back once gRPC has copied them: in a busy stream of fresh requests and
     * retries answered from several shards, every answer still carries its own bytes (its request's id and amount, and
     * exactly the record GetDecision reads later), never those of an answer that reused its buffer.
     */
    @ParameterizedTest
    @EnumSource(value = EngineConfiguration.ShardMode.class, names = {"DEDICATED", "LOOP"})
    void shouldGiveEveryAnswerOfABusyStreamItsOwnBytes(EngineConfiguration.ShardMode mode) throws Exception {
        int borrowers = 4;
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir).shards(2)
                .shardMode(mode).durability(Durability.PROCESS).loopShedLag(java.time.Duration.ZERO)).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            try {
                for (int b = 0; b < borrowers; b++) {
                    ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).upsert(
                            UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("b" + b)
                                    .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                            .setLineMinor(100_000_000))).build());
                }
                List<DecisionRequest> sent = new ArrayList<>();
                for (int i = 0; i < 160; i++) {
                    sent.add(DecisionRequest.newBuilder().setRequestId("s-" + i).setBorrowerId("b" + (i % borrowers))
                            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(10_000 + i).setMerchantId("m-1")
                            .build());
                    if (i % 4 == 3) {
                        sent.add(sent.get(sent.size() - 3)); // a retry while later answers are in flight
                    }
                }
                List<DecisionResponse> answers = stream(channel, sent, 30);
                assertEquals(sent.size(), answers.size());
                java.util.Map<String, DecisionResponse> fresh = new java.util.HashMap<>();
                for (DecisionResponse a : answers) {
                    assertFalse(a.hasError(), a.toString());
                    if (a.getOutcome() == Outcome.APPROVE) {
                        long i = Long.parseLong(a.getRequestId().substring(2));
                        assertEquals(10_000 + i, a.getApprovedAmountMinor(), a.toString());
                    }
                    if (!a.getReplayed()) {
                        assertEquals(null, fresh.put(a.getRequestId(), a), "one fresh answer per request id");
                    }
                }
                assertEquals(160, fresh.size());
                for (DecisionResponse a : answers) {
                    DecisionRequest asked = DecisionRequest.newBuilder().setRequestId(a.getRequestId())
                            .setBorrowerId("b" + (Long.parseLong(a.getRequestId().substring(2)) % borrowers)).build();
                    byte[] stored = call(channel, DecisionServiceGrpc.getGetDecisionMethod(), GetDecisionRequest
                            .newBuilder().setRequestId(asked.getRequestId()).setBorrowerId(asked.getBorrowerId())
                            .build().toByteArray());
                    assertArrayEquals(fresh.get(a.getRequestId()).toBuilder().setReplayed(true).build().toByteArray(),
                            stored, a.getRequestId());
                    assertArrayEquals(stored, a.toBuilder().setReplayed(true).build().toByteArray());
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Sends {@code requests} on one DecideStream (deadline {@code seconds}) and returns its answers once the server
     * completes it.
     */
    private static List<DecisionResponse> stream(ManagedChannel channel, List<DecisionRequest> requests,
            long seconds) {
        List<DecisionResponse> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(1);
        io.grpc.stub.StreamObserver<DecisionRequest> out = DecisionServiceGrpc.newStub(channel)
                .withDeadlineAfter(seconds, TimeUnit.SECONDS).decideStream(new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(DecisionResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        requests.forEach(out::onNext);
        out.onCompleted();
        assertTrue(await(done));
        return new ArrayList<>(answers);
    }

    /** A stream's answers pass through too, and a refused request is still a message in the stream. */
    private static void decideStream(ManagedChannel channel, DecisionRequest first) {
        DecisionRequest second = first.toBuilder().setRequestId("r-2").setAmountMinor(2_000).build();
        DecisionRequest bad = first.toBuilder().setRequestId("r-3").setAmountMinor(-1).build();
        List<DecisionResponse> answers = stream(channel, List.of(first, second, bad), 10);
        assertEquals(3, answers.size(), answers.toString());
        DecisionResponse replay = answers.stream().filter(a -> a.getRequestId().equals("r-1")).findFirst().get();
        assertTrue(replay.getReplayed());
        DecisionResponse fresh = answers.stream().filter(a -> a.getRequestId().equals("r-2")).findFirst().get();
        assertEquals(Outcome.APPROVE, fresh.getOutcome());
        assertFalse(fresh.getReplayed());
        DecisionResponse refused = answers.stream().filter(a -> a.getRequestId().equals("r-3")).findFirst().get();
        assertEquals(Status.Code.INVALID_ARGUMENT.value(), refused.getError().getCode());
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private JournalEntry journaled(String requestId) {
        try (Journals.Merged journal = AuditTrail.open(dataDir)) {
            for (JournalEntry e = journal.next(); e != null; e = journal.next()) {
                if (e.request().getRequestId().equals(requestId)) {
                    return e;
                }
            }
        }
        throw new AssertionError("not journaled: " + requestId);
    }

    private static byte[] call(ManagedChannel channel, MethodDescriptor<?, ?> method, byte[] request) {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(RAW, RAW).build();
        return ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT.withDeadlineAfter(10,
                TimeUnit.SECONDS), request);
    }

    private static byte[] unknownField() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        coded.writeInt64(1000, 7);
        coded.flush();
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
