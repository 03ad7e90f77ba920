package dev.formica.engine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pipeline.StateDigest;
import dev.formica.engine.server.EngineServer;
import dev.formica.engine.server.Refusals;
import dev.formica.engine.server.RequestValidator;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes every unary RPC of the real Netty server with raw bytes: random field values of every
 * type (unknown enum numbers, negative and overflowing amounts, huge and non-ASCII strings), requests
 * with a guaranteed bad field, invalid UTF-8 in string fields, mutated and truncated encodings,
 * random bytes, messages over the size limit, and one long DecideStream of bad requests. Asserts that
 * each answer is a status allowed for that RPC (below) and that no ledger, hold, record or profile
 * changed.
 *
 * <p>CI runs {@value #CI_CASES} cases (about 10 s on 2 cores). The long form, a million cases:
 * {@code mvn -pl engine -am verify -Dtest=ApiFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dformica.fuzz.cases=1000000} (seed: {@code -Dformica.fuzz.seed=N}).
 *
 * <p>Allowed statuses: a request the validator rejects (every generated mutating request is made
 * so) gets INVALID_ARGUMENT; bytes that are no valid message get INVALID_ARGUMENT; a mutation may
 * yield a well-formed request naming an unknown hold or borrower: NOT_FOUND or FAILED_PRECONDITION;
 * the reads (GetCreditLine, Get, Echo) may also answer OK; AdminService without credentials is
 * always UNAUTHENTICATED; RESOURCE_EXHAUSTED (shedding, oversized) is allowed everywhere.
 */
class ApiFuzzTest {
    static final int CI_CASES = 50_000;
    private static final long CASES = Long.getLong("formica.fuzz.cases", CI_CASES);
    private static final long SEED = Long.getLong("formica.fuzz.seed", 8L);
    private static final int IN_FLIGHT = 64;
    private static final String INVALID_UTF8 = "invalid UTF-8";
    private static final Set<String> READS = Set.of("GetCreditLine", "Get", "Echo", "GetPartitionMap");
    private static final Set<Status.Code> REFUSED = Set.of(Status.Code.INVALID_ARGUMENT,
            Status.Code.RESOURCE_EXHAUSTED);
    private static final Set<Status.Code> MUTATED = Set.of(Status.Code.INVALID_ARGUMENT,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION);
    private static final Set<Status.Code> READ = Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.NOT_FOUND);
    private static final Set<Status.Code> ADMIN = Set.of(Status.Code.UNAUTHENTICATED);
    private static final long[] LONGS = {0, 1, -1, 2, 10_000_000_000_000L, 10_000_000_000_001L, Long.MAX_VALUE,
        Long.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 53, -(1L << 62)};
    private static final int[] INTS = {0, 1, -1, 3, 4, 5, 17, 36, 37, 3650, 3651, Integer.MAX_VALUE, Integer.MIN_VALUE};
    private static final String[] STRINGS = {"", "alice", "k1", "CNY", "USD", "cny", "5411", "54x1", "127.0.0.1",
        "::1", "999.1.1.1", "CN-31", "h0000000000000001", "has space", "tab\there", "nul\u0000", "借款人",
        "\uD83D\uDE00", "\uD800", "a".repeat(64), "a".repeat(65), "b".repeat(129), "c".repeat(300), "\u007f",
        "x.y_z", "-", "0"};

    @TempDir
    Path dataDir;

    /** One unary RPC under test, sent as raw bytes. */
    private record Target(MethodDescriptor<byte[], byte[]> raw, Message prototype, Set<Status.Code> allowed,
            boolean mutating, Method validator) {
    }

    @Test
    void shouldAnswerEveryBadRequestWithAnAllowedStatusAndChangeNoState() throws Exception {
        EngineConfiguration config = new EngineConfiguration().port(0).shards(2).dataDir(dataDir);
        try (EngineServer server = new EngineServer(config).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                    .maxInboundMessageSize(16 << 20).build();
            try {
                seed(channel);
                String before = StateDigest.of(server.pipeline());
                List<Target> targets = targets();
                SplittableRandom random = new SplittableRandom(SEED);
                Map<Status.Code, LongAdder> counts = new EnumMap<>(Status.Code.class);
                for (Status.Code c : Status.Code.values()) {
                    counts.put(c, new LongAdder());
                }
                AtomicReference<String> failure = new AtomicReference<>();
                Semaphore inFlight = new Semaphore(IN_FLIGHT);
                long started = System.nanoTime();
                for (long i = 0; i < CASES && failure.get() == null; i++) {
                    Target t = targets.get(random.nextInt(targets.size()));
                    Case c = makeCase(t, random);
                    inFlight.acquire();
                    send(channel, t, c, counts, failure, inFlight);
                }
                inFlight.acquire(IN_FLIGHT);
                inFlight.release(IN_FLIGHT);
                oversized(channel, counts, failure);
                long streamed = longStream(channel, (int) Math.min(20_000, Math.max(2_000, CASES / 10)), random);
                assertEquals(null, failure.get());
                assertEquals(before, StateDigest.of(server.pipeline()), "a rejected request changed state");
                // and the server still decides
                DecisionResponse ok = DecisionServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).decide(DecisionRequest.newBuilder()
                                .setRequestId("after-fuzz").setBorrowerId("alice").setProduct(Product.CONSUMER_CREDIT)
                                .setAmountMinor(1).build());
                assertEquals(Outcome.APPROVE, ok.getOutcome());
                StringBuilder summary = new StringBuilder();
                counts.forEach((code, n) -> {
                    if (n.sum() > 0) {
                        summary.append(' ').append(code).append('=').append(n.sum());
                    }
                });
                System.out.printf("fuzz: seed %d, %d unary cases + %d stream messages in %d ms, statuses:%s,"
                        + " violations 0%n", SEED, CASES + 3, streamed, (System.nanoTime() - started) / 1_000_000,
                        summary);
                assertTrue(counts.get(Status.Code.INVALID_ARGUMENT).sum() > CASES / 3, summary.toString());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void seed(ManagedChannel channel) {
        ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).upsert(
                UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder().setBorrowerId("alice")
                        .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                .setLineMinor(10_000_000))).build());
        DecisionResponse held = DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .decide(DecisionRequest.newBuilder().setRequestId("seed-1").setBorrowerId("alice")
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(5_000).build());
        assertEquals(Outcome.APPROVE, held.getOutcome());
    }

    private static List<Target> targets() throws Exception {
        List<Target> targets = new ArrayList<>();
        for (ServiceDescriptor service : List.of(DecisionServiceGrpc.getServiceDescriptor(),
                ProfileServiceGrpc.getServiceDescriptor(), DiagnosticsServiceGrpc.getServiceDescriptor(),
                AdminServiceGrpc.getServiceDescriptor())) {
            boolean admin = service.getName().equals(AdminServiceGrpc.SERVICE_NAME);
            for (MethodDescriptor<?, ?> m : service.getMethods()) {
                if (m.getType() != MethodDescriptor.MethodType.UNARY) {
                    continue;
                }
                Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller())
                        .getMessagePrototype();
                boolean read = READS.contains(m.getBareMethodName());
                Method validator = admin || read ? null
                        : RequestValidator.class.getMethod("check", prototype.getClass());
                Set<Status.Code> allowed = admin ? ADMIN : read ? READ : MUTATED;
                // admin calls stop at authentication: fewer of them, more of the rest
                for (int copies = admin ? 1 : 4; copies > 0; copies--) {
                    targets.add(new Target(MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
                            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(m.getFullMethodName())
                            .build(), prototype, allowed, !admin && !read, validator));
                }
            }
        }
        return targets;
    }

    /** Bytes to send, what they are (for messages), and the statuses allowed for them. */
    private record Case(byte[] bytes, String kind, Set<Status.Code> allowed) {
    }

    private Case makeCase(Target t, SplittableRandom r) throws Exception {
        int kind = r.nextInt(100);
        if (kind < 55) {
            Message m = poisoned(t, r, 1);
            return new Case(m.toByteArray(), "fields " + m, t.mutating() ? REFUSED : t.allowed());
        }
        if (kind < 70) {
            Message m = poisoned(t, r, 1);
            if (firstString(m.toBuilder()) == null) {
                return new Case(m.toByteArray(), "fields " + m, t.allowed());
            }
            return new Case(withInvalidUtf8(m, r), INVALID_UTF8, t.allowed() == ADMIN ? ADMIN : REFUSED);
        }
        if (kind < 85) {
            return new Case(mutate(poisoned(t, r, 2).toByteArray(), r), "mutated bytes", t.allowed());
        }
        if (kind < 99) {
            byte[] bytes = new byte[r.nextInt(257)];
            r.nextBytes(bytes);
            return new Case(bytes, "random bytes", t.allowed());
        }
        Message.Builder b = poisoned(t, r, 1).toBuilder();
        FieldDescriptor f = firstString(b);
        if (f != null) {
            b.setField(f, "x".repeat(1_000 + r.nextInt(200_000)));
        }
        Message m = b.build();
        return new Case(m.toByteArray(), "huge string", t.mutating() ? REFUSED : t.allowed());
    }

    /** A random message of the request type, made invalid in {@code poisons} id fields when the RPC mutates. */
    private Message poisoned(Target t, SplittableRandom r, int poisons) throws Exception {
        Message.Builder b = t.prototype().newBuilderForType();
        fill(b, r, 0);
        // what the server will see: a lone surrogate, for one, is encoded as '?'
        Message m = t.prototype().getParserForType().parseFrom(b.build().toByteArray());
        b = m.toBuilder();
        if (!t.mutating()) {
            return m;
        }
        if (poisons == 1 && violation(t, m) != null) {
            return m;
        }
        m = poisonIds(b, poisons, r);
        assertNotNull(violation(t, m), "the generator made a valid mutating request: " + m);
        return m;
    }

    /** Sets up to {@code n} string id fields (depth-first) to a value no id rule accepts and no bit flip repairs. */
    private static Message poisonIds(Message.Builder b, int n, SplittableRandom r) {
        int[] left = {n};
        poisonInto(b, left, r);
        return b.build();
    }

    private static void poisonInto(Message.Builder b, int[] left, SplittableRandom r) {
        for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
            if (left[0] == 0) {
                return;
            }
            if (f.getJavaType() == FieldDescriptor.JavaType.STRING && !f.isRepeated()
                    && (f.getName().endsWith("_id"))) {
                b.setField(f, "bad id ".repeat(10 + r.nextInt(5)));
                left[0]--;
            } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()) {
                Message.Builder child = ((Message) b.getField(f)).toBuilder();
                poisonInto(child, left, r);
                b.setField(f, child.build());
            }
        }
    }

    private static String violation(Target t, Message m) throws Exception {
        try {
            Object violations = t.validator().invoke(null, m);
            return violations == null ? null : violations.toString();
        } catch (InvocationTargetException e) {
            throw new AssertionError("validator threw on " + m, e.getCause());
        }
    }

    private void fill(Message.Builder b, SplittableRandom r, int depth) {
        for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
            if (r.nextInt(4) == 0) {
                continue;
            }
            if (f.isMapField()) {
                for (int i = r.nextInt(4); i > 0; i--) {
                    Message.Builder entry = b.newBuilderForField(f);
                    fill(entry, r, depth + 1);
                    b.addRepeatedField(f, entry.build());
                }
            } else if (f.isRepeated()) {
                for (int i = r.nextInt(4); i > 0; i--) {
                    b.addRepeatedField(f, value(b, f, r, depth));
                }
            } else {
                b.setField(f, value(b, f, r, depth));
            }
        }
    }

    private Object value(Message.Builder parent, FieldDescriptor f, SplittableRandom r, int depth) {
        return switch (f.getJavaType()) {
            case STRING -> STRINGS[r.nextInt(STRINGS.length)] + (r.nextBoolean() ? "" : Integer.toString(r.nextInt()));
            case LONG -> r.nextBoolean() ? LONGS[r.nextInt(LONGS.length)] : r.nextLong();
            case INT -> r.nextBoolean() ? INTS[r.nextInt(INTS.length)] : r.nextInt();
            case BOOLEAN -> r.nextBoolean();
            case DOUBLE -> r.nextBoolean() ? Double.NaN : r.nextDouble() * 1e300;
            case FLOAT -> (float) r.nextDouble();
            case BYTE_STRING -> {
                byte[] bytes = new byte[r.nextInt(10) == 0 ? 64 * 1024 + r.nextInt(2) : r.nextInt(64)];
                r.nextBytes(bytes);
                yield ByteString.copyFrom(bytes);
            }
            case ENUM -> f.getEnumType().findValueByNumberCreatingIfUnknown(
                    r.nextBoolean() ? INTS[r.nextInt(INTS.length)] : r.nextInt(6));
            case MESSAGE -> {
                Message.Builder child = parent.newBuilderForField(f);
                if (depth < 3) {
                    fill(child, r, depth + 1);
                }
                yield child.build();
            }
        };
    }

    private static FieldDescriptor firstString(Message.Builder b) {
        for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
            if (f.getJavaType() == FieldDescriptor.JavaType.STRING && !f.isRepeated()) {
                return f;
            }
        }
        return null;
    }

    /** The message with one of its string fields repeated at the end carrying malformed UTF-8 (last one wins). */
    private static byte[] withInvalidUtf8(Message m, SplittableRandom r) throws IOException {
        FieldDescriptor f = firstString(m.toBuilder());
        int number = f != null ? f.getNumber() : 1;
        byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {0x61, (byte) 0x80, 0x62}, {(byte) 0xC0, (byte) 0xAF}};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        m.writeTo(coded);
        coded.writeByteArray(number, bad[r.nextInt(bad.length)]);
        coded.flush();
        return out.toByteArray();
    }

    private static byte[] mutate(byte[] bytes, SplittableRandom r) {
        byte[] b = bytes.length == 0 ? new byte[] {0} : bytes.clone();
        for (int ops = 1 + r.nextInt(4); ops > 0; ops--) {
            switch (r.nextInt(5)) {
                case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 2 -> b = java.util.Arrays.copyOf(b, Math.max(1, r.nextInt(b.length + 1)));
                case 3 -> {
                    byte[] longer = java.util.Arrays.copyOf(b, b.length + 1);
                    int at = r.nextInt(longer.length);
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    longer[at] = (byte) r.nextInt(256);
                    b = longer;
                }
                default -> {
                    int at = r.nextInt(b.length);
                    b[at] = (byte) (r.nextBoolean() ? 0xFF : 0x80);
                }
            }
        }
        return b;
    }

    private static void send(ManagedChannel channel, Target t, Case c, Map<Status.Code, LongAdder> counts,
            AtomicReference<String> failure, Semaphore inFlight) {
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
        ClientCalls.asyncUnaryCall(channel.newCall(t.raw(), options), c.bytes(), new StreamObserver<>() {
                    @Override
                    public void onNext(byte[] value) {
                    }

                    @Override
                    public void onError(Throwable e) {
                        // every refusal says why in its details: an ErrorInfo of a known reason (errors.proto)
                        String reason = Refusals.reasonOf(e);
                        if (reason == null || ErrorReason.valueOf(reason) == ErrorReason.ERROR_REASON_UNSPECIFIED) {
                            failure.compareAndSet(null, t.raw().getBareMethodName() + " answered "
                                    + Status.fromThrowable(e) + " without an ErrorInfo reason to " + c.kind());
                        }
                        done(Status.fromThrowable(e));
                    }

                    @Override
                    public void onCompleted() {
                        done(Status.OK);
                    }

                    private void done(Status status) {
                        counts.get(status.getCode()).increment();
                        boolean named = !c.kind().equals(INVALID_UTF8) || c.allowed() == ADMIN
                                || String.valueOf(status.getDescription()).contains("UTF-8");
                        if (!c.allowed().contains(status.getCode()) || !named) {
                            failure.compareAndSet(null, t.raw().getBareMethodName() + " answered " + status
                                    + " to " + c.kind() + " (allowed " + c.allowed() + ")");
                        }
                        inFlight.release();
                    }
                });
    }

    /** Messages over maxInboundMessageBytes: the transport refuses them with RESOURCE_EXHAUSTED. */
    private static void oversized(ManagedChannel channel, Map<Status.Code, LongAdder> counts,
            AtomicReference<String> failure) throws Exception {
        MethodDescriptor<byte[], byte[]> decide = MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(DecisionServiceGrpc.getDecideMethod().getFullMethodName()).build();
        for (int i = 0; i < 3; i++) {
            byte[] big = DecisionRequest.newBuilder().setRequestId("big-" + i).setBorrowerId("alice")
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1)
                    .setRegion("r".repeat(EngineConfiguration.DEFAULT_MAX_INBOUND_MESSAGE_BYTES + i)).build()
                    .toByteArray();
            Status status;
            try {
                ClientCalls.blockingUnaryCall(channel, decide, CallOptions.DEFAULT.withDeadlineAfter(30,
                        TimeUnit.SECONDS), big);
                status = Status.OK;
            } catch (StatusRuntimeException e) {
                status = e.getStatus();
            }
            counts.get(status.getCode()).increment();
            if (status.getCode() != Status.Code.RESOURCE_EXHAUSTED) {
                failure.compareAndSet(null, "oversized Decide answered " + status);
            }
        }
    }

    /** One DecideStream of {@code n} bad requests: each answered in-stream with INVALID_ARGUMENT, then OK. */
    private long longStream(ManagedChannel channel, int n, SplittableRandom r) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong answered = new AtomicLong();
        Map<Integer, Long> codes = new ConcurrentHashMap<>();
        AtomicReference<Status> end = new AtomicReference<>();
        StreamObserver<DecisionRequest> requests = DecisionServiceGrpc.newStub(channel)
                .withDeadlineAfter(120, TimeUnit.SECONDS).decideStream(new StreamObserver<>() {
                    @Override
                    public void onNext(DecisionResponse response) {
                        answered.incrementAndGet();
                        if (response.hasError() && !hasInvalidFieldDetails(response)) {
                            end.compareAndSet(null, Status.INTERNAL.withDescription("no details: " + response));
                        }
                        codes.merge(response.hasError() ? response.getError().getCode() : 0, 1L, Long::sum);
                    }

                    @Override
                    public void onError(Throwable t) {
                        end.compareAndSet(null, Status.fromThrowable(t));
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        end.compareAndSet(null, Status.OK);
                        done.countDown();
                    }
                });
        Target decide = targets().get(0);
        for (int i = 0; i < n; i++) {
            requests.onNext((DecisionRequest) poisoned(decide, r, 1));
        }
        requests.onCompleted();
        assertTrue(done.await(120, TimeUnit.SECONDS), "the long stream did not finish");
        assertEquals(Status.Code.OK, end.get().getCode(), end.get().toString());
        assertEquals(n, answered.get());
        assertEquals(Map.of(Status.Code.INVALID_ARGUMENT.value(), (long) n), codes);
        return n;
    }

    /** A stream refusal carries the details a unary one would: ErrorInfo INVALID_FIELD and a BadRequest. */
    private static boolean hasInvalidFieldDetails(DecisionResponse response) {
        boolean info = false;
        boolean fields = false;
        try {
            for (com.google.protobuf.Any any : response.getError().getDetailsList()) {
                if (any.is(com.google.rpc.ErrorInfo.class)) {
                    info = any.unpack(com.google.rpc.ErrorInfo.class).getReason().equals("INVALID_FIELD");
                } else if (any.is(com.google.rpc.BadRequest.class)) {
                    fields = any.unpack(com.google.rpc.BadRequest.class).getFieldViolationsCount() > 0;
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return false;
        }
        return info && fields;
    }

    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw Status.INTERNAL.withCause(e).asRuntimeException();
            }
        }
    };
}
