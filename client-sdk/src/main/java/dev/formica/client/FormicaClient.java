package dev.formica.client;

import com.google.protobuf.ByteString;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import dev.formica.v1.UpsertProfileRequest;
import dev.formica.v1.UpsertProfileResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Client of a Formica engine: deadlines on every call, idempotent retries, routing by borrower.
 *
 * <p>Thread-safe: share one instance across the application and close it once at shutdown. Blocking
 * methods park the calling thread; {@code *Async} methods never block, and their futures complete on
 * a gRPC callback thread, so chain slow work with the {@code *Async} stages of
 * {@link CompletableFuture}. Failures of unary calls surface as {@link FormicaException} (a
 * {@link StatusRuntimeException}) holding the server's original status and what its details say: the stable
 * reason, every bad field, the retry delay (thrown, or as the future's cause); a DecideStream answer with
 * {@code error} set reads the same through {@link FormicaException#of(dev.formica.v1.DecisionError)}.
 *
 * <p>Retries: calls that carry a request_id (Decide, Confirm, Cancel, Repay, Apply,
 * ReportRiskEvent) and the reads (GetCreditLine, GetProfile, Echo) are retried on UNAVAILABLE and
 * RESOURCE_EXHAUSTED per the {@link RetryPolicy}, always with the same request and within the one
 * deadline of the call, waiting at least the delay the server asked for (RetryInfo). A missing
 * request_id is generated before the first attempt. Upsert and the streams are never retried: an upsert
 * has no request_id, and a retried replace could undo a later writer's.
 *
 * <p>Routing (docs/cluster.md): every borrower belongs to one of 256 partitions, computed as the engine does, and
 * every hold id names its partition. Calls keyed by a borrower (Decide, DecideStream per message, Repay,
 * GetCreditLine, Apply, GetDecision, Upsert, GetProfile, Load per profile, ReportRiskEvent) and calls keyed by a
 * hold (Confirm, Cancel) go to the node that owns the partition, so a hold is confirmed where it was issued. The
 * owners start as ranges over the targets in order (partition {@code p} on target {@code p * n / 256}, what a
 * cluster configured with the same node list assigns); when a node refuses a call with FAILED_PRECONDITION naming
 * the owner (a redirect), the client fetches that node's partition map ({@code GetPartitionMap}), routes by it
 * from then on, and sends the call to the owner, without counting a retry. So one target of a cluster is enough:
 * the others are learnt from the first redirects. Streams route by the map known when they open and do not follow
 * redirects. Echo, and a hold id that is not one, go to the first target. With one target and a server without
 * cluster settings everything goes there, as before.
 */
public final class FormicaClient implements AutoCloseable {
    /** Deadline of every unary call unless set. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(2);
    /** Deadline of DecideStream and Load unless set: a stream lives far longer than one call. */
    public static final Duration DEFAULT_STREAM_DEADLINE = Duration.ofMinutes(5);
    /** How long {@link #close()} waits for calls in flight before cutting them off. */
    static final long CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ClusterRouter router;
    private final int targetCount;
    private final boolean ownsChannels;
    private final long deadlineNanos;
    private final long streamDeadlineNanos;
    private final RetryPolicy retryPolicy;
    private final RetryScheduler scheduler = new RetryScheduler();
    private final AtomicBoolean closed = new AtomicBoolean();

    private FormicaClient(ClusterRouter router, int targetCount, boolean ownsChannels, Builder builder) {
        this.router = router;
        this.targetCount = targetCount;
        this.ownsChannels = ownsChannels;
        this.deadlineNanos = builder.deadline.toNanos();
        this.streamDeadlineNanos = builder.streamDeadline.toNanos();
        this.retryPolicy = builder.retryPolicy;
    }

    /**
     * The partition (0..255) of a borrower, as the engine places it; with the partition map's
     * {@code partition_ports} it names the shard port that serves the borrower (load tools that route themselves).
     */
    public static int partitionOf(String borrowerId) {
        return BorrowerRouter.partition(Objects.requireNonNull(borrowerId, "borrowerId"));
    }

    /** A builder with the defaults: plaintext, 2 s deadline, {@link RetryPolicy#defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    // ---- DecisionService ----

    /** Decides one transaction; retried on UNAVAILABLE/RESOURCE_EXHAUSTED with the same request_id. */
    public DecisionResponse decide(DecisionRequest request) {
        return await(decideAsync(request));
    }

    /** Asynchronous {@link #decide}. */
    public CompletableFuture<DecisionResponse> decideAsync(DecisionRequest request) {
        DecisionRequest withId = RequestIds.ensure(Objects.requireNonNull(request, "request"));
        return unary(byBorrower(withId.getBorrowerId()), DecisionServiceGrpc.getDecideMethod(), withId);
    }

    /**
     * Opens a decision stream. Each request gets a request_id if it has none, and goes to its
     * borrower's target (one stream per target, opened on first use). Responses of all targets
     * arrive on {@code responses}, one at a time, in any order. Not retried. The returned observer
     * is not thread-safe, like any gRPC request observer.
     */
    public StreamObserver<DecisionRequest> decideStream(StreamObserver<DecisionResponse> responses) {
        Objects.requireNonNull(responses, "responses");
        checkOpen();
        return new DecisionStreamRouter(router.snapshot(), streamOptions(), responses);
    }

    /** Turns a hold into drawn balance, on the node that owns the hold's partition. */
    public ConfirmResponse confirm(ConfirmRequest request) {
        return await(confirmAsync(request));
    }

    /** Asynchronous {@link #confirm}. */
    public CompletableFuture<ConfirmResponse> confirmAsync(ConfirmRequest request) {
        ConfirmRequest withId = RequestIds.ensure(Objects.requireNonNull(request, "request"));
        String holdId = withId.getHoldId();
        return unary(() -> router.forHold(holdId), DecisionServiceGrpc.getConfirmMethod(), withId);
    }

    /** Releases a hold, on the node that owns the hold's partition. */
    public CancelResponse cancel(CancelRequest request) {
        return await(cancelAsync(request));
    }

    /** Asynchronous {@link #cancel}. */
    public CompletableFuture<CancelResponse> cancelAsync(CancelRequest request) {
        CancelRequest withId = RequestIds.ensure(Objects.requireNonNull(request, "request"));
        String holdId = withId.getHoldId();
        return unary(() -> router.forHold(holdId), DecisionServiceGrpc.getCancelMethod(), withId);
    }

    /** Repays drawn balance. */
    public RepayResponse repay(RepayRequest request) {
        return await(repayAsync(request));
    }

    /** Asynchronous {@link #repay}. */
    public CompletableFuture<RepayResponse> repayAsync(RepayRequest request) {
        RepayRequest withId = RequestIds.ensure(Objects.requireNonNull(request, "request"));
        return unary(byBorrower(withId.getBorrowerId()), DecisionServiceGrpc.getRepayMethod(), withId);
    }

    /** Reads the borrower's line on one product. */
    public CreditLine getCreditLine(GetCreditLineRequest request) {
        return await(getCreditLineAsync(request));
    }

    /** Asynchronous {@link #getCreditLine}. */
    public CompletableFuture<CreditLine> getCreditLineAsync(GetCreditLineRequest request) {
        Objects.requireNonNull(request, "request");
        return unary(byBorrower(request.getBorrowerId()), DecisionServiceGrpc.getGetCreditLineMethod(), request);
    }

    /** Applies for a credit line. */
    public CreditOffer apply(CreditApplication application) {
        return await(applyAsync(application));
    }

    /** Asynchronous {@link #apply}. */
    public CompletableFuture<CreditOffer> applyAsync(CreditApplication application) {
        CreditApplication withId = RequestIds.ensure(Objects.requireNonNull(application, "application"));
        return unary(byBorrower(withId.getBorrowerId()), DecisionServiceGrpc.getApplyMethod(), withId);
    }

    /**
     * The stored answer to an earlier Decide (replayed = true), by request_id and borrower_id, from the borrower's
     * node. NOT_FOUND when no such Decide is on record.
     */
    public DecisionResponse getDecision(GetDecisionRequest request) {
        return await(getDecisionAsync(request));
    }

    /** Asynchronous {@link #getDecision}. */
    public CompletableFuture<DecisionResponse> getDecisionAsync(GetDecisionRequest request) {
        Objects.requireNonNull(request, "request");
        return unary(byBorrower(request.getBorrowerId()), DecisionServiceGrpc.getGetDecisionMethod(), request);
    }

    // ---- ProfileService ----

    /** Creates or replaces one profile. Not retried (no request_id to make a replay safe). */
    public UpsertProfileResponse upsertProfile(Profile profile) {
        return await(upsertProfileAsync(profile));
    }

    /** Asynchronous {@link #upsertProfile}. */
    public CompletableFuture<UpsertProfileResponse> upsertProfileAsync(Profile profile) {
        Objects.requireNonNull(profile, "profile");
        UpsertProfileRequest request = UpsertProfileRequest.newBuilder().setProfile(profile).build();
        return call(byBorrower(profile.getBorrowerId()), ProfileServiceGrpc.getUpsertMethod(), request,
                RetryPolicy.none());
    }

    /** Reads one profile. */
    public Profile getProfile(String borrowerId) {
        return await(getProfileAsync(borrowerId));
    }

    /** Asynchronous {@link #getProfile}. */
    public CompletableFuture<Profile> getProfileAsync(String borrowerId) {
        Objects.requireNonNull(borrowerId, "borrowerId");
        GetProfileRequest request = GetProfileRequest.newBuilder().setBorrowerId(borrowerId).build();
        return unary(byBorrower(borrowerId), ProfileServiceGrpc.getGetMethod(), request);
    }

    /** Pushes an early-warning or lifecycle event. */
    public RiskEventResponse reportRiskEvent(RiskEvent event) {
        return await(reportRiskEventAsync(event));
    }

    /** Asynchronous {@link #reportRiskEvent}. */
    public CompletableFuture<RiskEventResponse> reportRiskEventAsync(RiskEvent event) {
        RiskEvent withId = RequestIds.ensure(Objects.requireNonNull(event, "event"));
        return unary(byBorrower(withId.getBorrowerId()), ProfileServiceGrpc.getReportRiskEventMethod(), withId);
    }

    /**
     * Bulk-loads profiles, blocking until every target has answered. Reads {@code profiles} on the
     * calling thread, only as fast as the targets accept them. With several targets the summaries
     * are added up and the rows in {@code errors} are positions in {@code profiles} (1-based), as
     * with one target. Not retried: rerun the load, upserts are replaces.
     */
    public LoadSummary loadProfiles(Iterator<Profile> profiles) {
        Objects.requireNonNull(profiles, "profiles");
        checkOpen();
        return ProfileLoader.load(router.snapshot(), streamOptions(), profiles);
    }

    // ---- DiagnosticsService ----

    /** Echoes {@code payload}; goes to the first target. */
    public ByteString echo(ByteString payload) {
        return await(echoAsync(payload));
    }

    /** Asynchronous {@link #echo}. */
    public CompletableFuture<ByteString> echoAsync(ByteString payload) {
        Objects.requireNonNull(payload, "payload");
        EchoRequest request = EchoRequest.newBuilder().setPayload(payload).build();
        return unary(router::first, DiagnosticsServiceGrpc.getEchoMethod(), request)
                .thenApply(response -> response.getPayload());
    }

    // ---- lifecycle ----

    /**
     * Stops retries (calls waiting to retry fail with CANCELLED), then, for channels this client
     * made, shuts them down, waits up to 5 s for calls in flight, and cuts off the rest. Channels
     * passed to {@link Builder#channel} are left open. Idempotent; blocks the caller.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.close();
        java.util.Collection<ManagedChannel> channels = router.close();
        if (!ownsChannels) {
            return;
        }
        for (ManagedChannel channel : channels) {
            channel.shutdown();
        }
        long end = System.nanoTime() + CLOSE_GRACE_NANOS;
        try {
            for (ManagedChannel channel : channels) {
                channel.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (ManagedChannel channel : channels) {
                if (!channel.isTerminated()) {
                    channel.shutdownNow();
                }
            }
        }
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Number of targets given to the builder (1 with {@link Builder#channel}); nodes learnt from a map not counted. */
    public int targetCount() {
        return targetCount;
    }

    // ---- internals ----

    /** The target index serving {@code borrowerId} before any map is learnt; package-private for tests. */
    int targetIndex(String borrowerId) {
        return BorrowerRouter.index(borrowerId, targetCount);
    }

    /** The routes in use (tests). */
    PartitionRoutes routes() {
        return router.routes();
    }

    private Supplier<Channel> byBorrower(String borrowerId) {
        return () -> router.forBorrower(borrowerId);
    }

    private <ReqT, RespT> CompletableFuture<RespT> unary(Supplier<? extends Channel> route,
            MethodDescriptor<ReqT, RespT> method, ReqT request) {
        return call(route, method, request, retryPolicy);
    }

    private <ReqT, RespT> CompletableFuture<RespT> call(Supplier<? extends Channel> route,
            MethodDescriptor<ReqT, RespT> method, ReqT request, RetryPolicy policy) {
        checkOpen();
        Deadline deadline = Deadline.after(deadlineNanos, TimeUnit.NANOSECONDS);
        return new RetryingCall<>(route, router, method, request, deadline, policy, scheduler).start();
    }

    private CallOptions streamOptions() {
        return CallOptions.DEFAULT.withDeadlineAfter(streamDeadlineNanos, TimeUnit.NANOSECONDS);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("FormicaClient is closed: build a new one");
        }
    }

    /** Waits for {@code future}, rethrowing its status on the caller's stack. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw FormicaException.of(Status.CANCELLED.withDescription("interrupted while waiting for the call")
                    .withCause(e), null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof StatusRuntimeException sre) {
                // A fresh exception so the stack trace shows the caller, with the same status and trailers.
                throw FormicaException.of(sre.getStatus(), sre.getTrailers());
            }
            if (cause instanceof StatusException se) {
                throw FormicaException.of(se.getStatus(), se.getTrailers());
            }
            throw FormicaException.of(Status.fromThrowable(cause), null);
        }
    }

    /**
     * Collects a {@link FormicaClient}'s settings; not thread-safe. Setters reject bad values and
     * conflicting options at once, so the message points at the line that caused it.
     */
    public static final class Builder {
        private final List<String> targets = new ArrayList<>();
        private ManagedChannel channel;
        private Function<String, ManagedChannel> channelFactory;
        private ChannelCredentials credentials = InsecureChannelCredentials.create();
        private Duration deadline = DEFAULT_DEADLINE;
        private Duration streamDeadline = DEFAULT_STREAM_DEADLINE;
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private boolean tls;
        private boolean shardPorts = true;
        private Path trustCertificates;
        private Path clientCertChain;
        private Path clientPrivateKey;
        private String bearerToken;

        private Builder() {
        }

        /**
         * Adds a target, {@code host:port} or a gRPC target URI such as {@code dns:///host:port}.
         * The order of targets is the routing order until a node's partition map is learnt: list the nodes as
         * the cluster's {@code clusterNodes} does, or give one node and let redirects teach the rest.
         */
        public Builder target(String target) {
            if (channel != null) {
                throw new IllegalStateException("target(" + target
                        + ") conflicts with channel(...): use one or the other");
            }
            String checked = checkTarget(target);
            if (targets.contains(checked)) {
                throw new IllegalArgumentException("target " + checked + " given twice: each target at most once");
            }
            targets.add(checked);
            return this;
        }

        /** Adds each of {@code targets}, in order. */
        public Builder targets(List<String> targets) {
            Objects.requireNonNull(targets, "targets");
            for (String target : targets) {
                target(target);
            }
            return this;
        }

        /** Uses this channel for every call (tests, custom transports); the client will not close it. */
        public Builder channel(ManagedChannel channel) {
            Objects.requireNonNull(channel, "channel");
            if (!targets.isEmpty()) {
                throw new IllegalStateException("channel(...) conflicts with target(...) " + targets
                        + ": use one or the other");
            }
            if (channelFactory != null) {
                throw new IllegalStateException("channel(...) conflicts with channelFactory(...)");
            }
            if (this.channel != null) {
                throw new IllegalStateException("channel(...) already set");
            }
            if (tls || bearerToken != null) {
                throw new IllegalStateException("channel(...) conflicts with the TLS / bearer token options: "
                        + "configure that channel instead");
            }
            this.channel = channel;
            return this;
        }

        /** Plaintext HTTP/2, the default. Conflicts with the TLS options. */
        public Builder usePlaintext() {
            if (tls) {
                throw new IllegalStateException("usePlaintext() conflicts with useTls() / trustCertificates(...) / "
                        + "clientCertificate(...): use one or the other");
            }
            this.credentials = InsecureChannelCredentials.create();
            return this;
        }

        /** TLS, trusting the JVM's default CA certificates; the server's name must match the target host. */
        public Builder useTls() {
            noOwnChannel("useTls()");
            this.tls = true;
            return this;
        }

        /** TLS, trusting only the CA certificate(s) in this PEM file (a private CA). */
        public Builder trustCertificates(Path caPem) {
            noOwnChannel("trustCertificates(...)");
            this.trustCertificates = Objects.requireNonNull(caPem, "caPem");
            this.tls = true;
            return this;
        }

        /** Mutual TLS: present this PEM certificate chain and PKCS#8 PEM private key to the server. */
        public Builder clientCertificate(Path certChainPem, Path privateKeyPem) {
            noOwnChannel("clientCertificate(...)");
            this.clientCertChain = Objects.requireNonNull(certChainPem, "certChainPem");
            this.clientPrivateKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
            this.tls = true;
            return this;
        }

        /**
         * Sends {@code authorization: Bearer <token>} with every call. Over plaintext the token is
         * only sent to loopback targets; elsewhere the call fails with UNAUTHENTICATED.
         */
        public Builder bearerToken(String token) {
            noOwnChannel("bearerToken(...)");
            Objects.requireNonNull(token, "token");
            if (token.isEmpty() || token.chars().anyMatch(c -> c <= 0x20 || c > 0x7e)) {
                throw new IllegalArgumentException("bearerToken must be printable ASCII without spaces");
            }
            this.bearerToken = token;
            return this;
        }

        private void noOwnChannel(String option) {
            if (channel != null) {
                throw new IllegalStateException(option + " conflicts with channel(...): configure that channel");
            }
        }

        private ChannelCredentials channelCredentials() {
            ChannelCredentials creds = credentials;
            if (tls) {
                try {
                    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
                    if (trustCertificates != null) {
                        b.trustManager(trustCertificates.toFile());
                    }
                    if (clientCertChain != null) {
                        b.keyManager(clientCertChain.toFile(), clientPrivateKey.toFile());
                    }
                    creds = b.build();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the TLS files (trust " + trustCertificates
                            + ", client certificate " + clientCertChain + "): " + e.getMessage(), e);
                }
            }
            return bearerToken == null ? creds
                    : CompositeChannelCredentials.create(creds, new BearerTokenCredentials(bearerToken));
        }

        /** Deadline of every unary call, retries included; > 0, default 2 s. */
        public Builder defaultDeadline(Duration deadline) {
            this.deadline = positive(deadline, "defaultDeadline");
            return this;
        }

        /** Deadline of DecideStream and Load streams; > 0, default 5 min. */
        public Builder streamDeadline(Duration deadline) {
            this.streamDeadline = positive(deadline, "streamDeadline");
            return this;
        }

        /** Retry policy of retryable calls; default {@link RetryPolicy#defaults()}. */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /**
         * Routes each call to the port of its shard's own event loop where the server has them ({@code shardMode:
         * LOOP}, the server default: the partition map's {@code partition_ports}), so the call is read, decided and
         * answered on one server thread. {@link #build} then asks each {@code host:port} target for its map, waiting
         * at most the default deadline; a server without shard ports ({@code DEDICATED}, a replicated node, an
         * older server), one that does not answer in time, and partitions the map names no port for are called on
         * the target's address as before. A shard port that stops answering (a restart on other free ports) sends
         * its calls back to the routes of another node's map, the main port's. Default on; off calls every
         * target on its own address only (e.g. when only the main port is reachable through a load balancer).
         */
        public Builder shardPorts(boolean enabled) {
            this.shardPorts = enabled;
            return this;
        }

        /** Test hook: makes the channel of each target; the client owns and closes them. */
        Builder channelFactory(Function<String, ManagedChannel> factory) {
            Objects.requireNonNull(factory, "factory");
            if (channel != null) {
                throw new IllegalStateException("channelFactory(...) conflicts with channel(...)");
            }
            this.channelFactory = factory;
            return this;
        }

        /** The client; fails when no target or channel was given. */
        public FormicaClient build() {
            if (channel != null) {
                return new FormicaClient(new ClusterRouter(List.of("channel"), new ManagedChannel[] {channel}, null),
                        1, false, this);
            }
            if (targets.isEmpty()) {
                throw new IllegalStateException("no target: call target(\"host:port\") or channel(...)");
            }
            ChannelCredentials creds = channelCredentials();
            Function<String, ManagedChannel> factory = channelFactory != null ? channelFactory
                    : target -> Grpc.newChannelBuilder(target, creds).build();
            ManagedChannel[] made = new ManagedChannel[targets.size()];
            try {
                for (int i = 0; i < made.length; i++) {
                    made[i] = Objects.requireNonNull(factory.apply(targets.get(i)), "channel for " + targets.get(i));
                }
            } catch (RuntimeException e) {
                for (ManagedChannel m : made) {
                    if (m != null) {
                        m.shutdownNow();
                    }
                }
                throw e;
            }
            ClusterRouter router = new ClusterRouter(targets, made, factory);
            if (shardPorts) {
                router.learnShardPorts(io.grpc.Deadline.after(deadline.toNanos(), TimeUnit.NANOSECONDS));
            }
            return new FormicaClient(router, made.length, true, this);
        }

        private static String checkTarget(String target) {
            Objects.requireNonNull(target, "target");
            String t = target.strip();
            if (t.isEmpty() || !t.equals(target) || t.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("target must be host:port without spaces, got '" + target + "'");
            }
            if (t.contains(":/")) {
                return t;
            }
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw new IllegalArgumentException("target must be host:port, got '" + target + "'");
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("target port must be a number, got '" + target + "'", e);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("target port must be 1..65535, got '" + target + "'");
            }
            return t;
        }

        private static Duration positive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be > 0, got " + value);
            }
            return value;
        }
    }
}
