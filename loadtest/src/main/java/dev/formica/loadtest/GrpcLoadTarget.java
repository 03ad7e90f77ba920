package dev.formica.loadtest;

import com.google.protobuf.ByteString;
import dev.formica.client.FormicaClient;
import dev.formica.client.FormicaException;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.EchoResponse;
import dev.formica.v1.Outcome;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Sends Decide (unary or over DecideStream) or Echo straight through grpc-java on several channels,
 * round-robin by request index, so that the client library adds nothing to what is measured.
 * Approvals are followed by Confirm or Cancel calls in the configured shares.
 *
 * <p>Thread-safe: {@link #send} may be called from several sender threads, or (the loop sender) from the event loop
 * its channels run on. Answers are handled on the channels' transport threads (direct executor), which only record
 * and never block. Each
 * DecideStream lane is guarded by its own lock because a gRPC request observer is not thread-safe.
 * Echo has no streaming form, so in stream mode Echo stays unary.
 *
 * <p>The load tool shares the machine with the server, so what it spends per call is taken from the server: a
 * Decide answer is read only as far as the tool acts on it ({@link DecisionSummary}: outcome, hold id), follow-ups
 * are counted in arrays indexed by status, not by strings built per call, and unary calls are driven through a
 * {@link ClientCall.Listener} of their own rather than the stub's {@code StreamObserver} adapter, so that a refused
 * call is a status and a reason ({@link FormicaException#reasonName(Status, Metadata)}), not two exceptions with
 * stack traces.
 */
public final class GrpcLoadTarget implements LoadTarget {
    /** The RPC under load. */
    public enum Rpc {
        DECIDE, ECHO
    }

    private static final long CONFIRM_SALT = 0xC0F1L;
    /** Decide with the answer read as a {@link DecisionSummary}; the request goes out as before. */
    static final MethodDescriptor<DecisionRequest, DecisionSummary> DECIDE = DecisionServiceGrpc.getDecideMethod()
            .toBuilder(DecisionServiceGrpc.getDecideMethod().getRequestMarshaller(), DecisionSummary.UNARY_MARSHALLER)
            .build();
    static final MethodDescriptor<DecisionRequest, DecisionSummary> DECIDE_STREAM = DecisionServiceGrpc
            .getDecideStreamMethod().toBuilder(DecisionServiceGrpc.getDecideStreamMethod().getRequestMarshaller(),
                    DecisionSummary.STREAM_MARSHALLER).build();
    private static final Status.Code[] CODES = Status.Code.values();
    /** Set, Netty's leak detection level wins over the load tool's choice (off). */
    static final String LEAK_DETECTION_PROPERTY = "io.grpc.netty.shaded.io.netty.leakDetection.level";

    static {
        // Netty tracks 1 in 128 buffers by default, each with a stack trace taken at allocation and at release: in
        // a load tool's profile at 2,000 calls/s that was 1.3 % of its CPU, taken from the server beside it. The
        // load tool's buffers are Netty's own; a leak there is Netty's or gRPC's to find, not this tool's.
        if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }
    private static final int CONFIRM = 0;
    private static final int CANCEL = 1;
    private static final String[] FOLLOW_UP = {"confirm", "cancel"};

    private final Rpc rpc;
    private final boolean stream;
    private final List<ManagedChannel> channels;
    private final RequestFactory requests;
    private final long deadlineNanos;
    private final double confirmShare;
    private final double cancelShare;
    private final EchoRequest echoRequest;
    private final StreamLane[] lanes;
    /** Follow-up answers by {@code kind * CODES.length + status}. */
    private final AtomicLongArray followUps = new AtomicLongArray(FOLLOW_UP.length * CODES.length);
    /** The channel index of each partition (shard ports); null: round-robin by request index. */
    private int[] laneOfPartition;
    /** Indices this target is given are this far apart (a loop lane's): round-robin over index / stride. */
    private int stride = 1;

    /**
     * @param rpc what to call
     * @param stream Decide over one DecideStream per channel instead of unary calls
     * @param channels open channels to the server; not closed by this target
     * @param requests builds each request
     * @param deadlineNanos deadline of each unary call
     * @param echoPayloadBytes size of the Echo payload
     * @param confirmShare share of approvals followed by Confirm, 0..1
     * @param cancelShare share of approvals followed by Cancel, 0..1 (after the confirm share)
     */
    public GrpcLoadTarget(Rpc rpc, boolean stream, List<ManagedChannel> channels, RequestFactory requests,
            long deadlineNanos, int echoPayloadBytes, double confirmShare, double cancelShare) {
        this.rpc = rpc;
        this.stream = stream && rpc == Rpc.DECIDE;
        this.channels = List.copyOf(channels);
        this.requests = requests;
        this.deadlineNanos = deadlineNanos;
        this.confirmShare = confirmShare;
        this.cancelShare = cancelShare;
        this.echoRequest = EchoRequest.newBuilder().setPayload(ByteString.copyFrom(new byte[echoPayloadBytes])).build();
        this.lanes = new StreamLane[this.stream ? channels.size() : 0];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new StreamLane(channels.get(i), i);
        }
    }

    /**
     * Sends each Decide (and its follow-ups) on the channel of its borrower's partition, {@code lanes[partition]}
     * (a server's shard ports); Echo stays round-robin. Null: round-robin for all.
     */
    public GrpcLoadTarget routeByPartition(int[] lanes) {
        this.laneOfPartition = lanes == null ? null : lanes.clone();
        return this;
    }

    /**
     * This target is sent every {@code lanes}-th index (a loop sender's lane): round-robin over {@code index / lanes},
     * so that all its channels take their share.
     */
    public GrpcLoadTarget stride(int lanes) {
        this.stride = Math.max(1, lanes);
        return this;
    }

    @Override
    public String name() {
        return rpc == Rpc.ECHO ? "echo" : stream ? "decide-stream" : "decide";
    }

    @Override
    public void send(long index, Completion completion) {
        int lane = (int) ((index / stride) % channels.size());
        ManagedChannel channel = channels.get(lane);
        if (rpc == Rpc.ECHO) {
            unary(channel.newCall(DiagnosticsServiceGrpc.getEchoMethod(), options()), echoRequest,
                    new UnaryAnswer<EchoResponse>(completion, index, lane, false));
            return;
        }
        DecisionRequest request = requests.decision(index);
        if (laneOfPartition != null) {
            lane = laneOfPartition[FormicaClient.partitionOf(request.getBorrowerId())];
            channel = channels.get(lane);
        }
        if (stream) {
            lanes[lane].send(request, index, completion);
        } else {
            unary(channel.newCall(DECIDE, options()), request,
                    new UnaryAnswer<DecisionSummary>(completion, index, lane, true));
        }
    }

    /** Follow-up calls so far by "rpc STATUS". */
    public Map<String, Long> followUpCounts() {
        Map<String, Long> m = new TreeMap<>();
        for (int i = 0; i < followUps.length(); i++) {
            long n = followUps.get(i);
            if (n > 0) {
                m.put(FOLLOW_UP[i / CODES.length] + " " + CODES[i % CODES.length], n);
            }
        }
        return m;
    }

    /** The follow-up calls of several targets (a loop sender's lanes) so far, summed by "rpc STATUS". */
    public static Map<String, Long> followUpCounts(List<GrpcLoadTarget> targets) {
        Map<String, Long> m = new TreeMap<>();
        for (GrpcLoadTarget t : targets) {
            t.followUpCounts().forEach((k, n) -> m.merge(k, n, Long::sum));
        }
        return m;
    }

    @Override
    public void close() {
        for (StreamLane lane : lanes) {
            lane.close();
        }
    }

    private CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS);
    }

    private void onDecision(long index, int lane, DecisionSummary answer) {
        if (!answer.approvedWithHold()) {
            return;
        }
        double u = requests.uniform(index, CONFIRM_SALT);
        ManagedChannel channel = channels.get(lane); // a hold is on its borrower's shard
        if (u < confirmShare) {
            followUp(CONFIRM, channel, DecisionServiceGrpc.getConfirmMethod(), ConfirmRequest.newBuilder()
                    .setRequestId(requests.requestId(index) + "-c").setHoldIdBytes(answer.holdId()).build());
        } else if (u < confirmShare + cancelShare) {
            followUp(CANCEL, channel, DecisionServiceGrpc.getCancelMethod(), CancelRequest.newBuilder()
                    .setRequestId(requests.requestId(index) + "-x").setHoldIdBytes(answer.holdId()).build());
        }
    }

    private <Q, R> void followUp(int kind, ManagedChannel channel, MethodDescriptor<Q, R> method, Q request) {
        unary(channel.newCall(method, options()), request, new FollowUpAnswer<R>(kind));
    }

    /**
     * Starts a unary call answered to {@code listener}, as {@code ClientCalls.asyncUnaryCall} does but without its
     * {@code StreamObserver} adapter (which turns every failed status into an exception); a call that cannot start
     * is cancelled and its error thrown to the sender, as there.
     */
    private static <Q, R> void unary(ClientCall<Q, R> call, Q request, ClientCall.Listener<R> listener) {
        try {
            call.start(listener, new Metadata());
            call.request(2); // as the stub: a unary call that answers twice is failed by gRPC, not taken
            call.sendMessage(request);
            call.halfClose();
        } catch (RuntimeException | Error e) {
            call.cancel(null, e);
            throw e;
        }
    }

    private void count(int kind, Status.Code code) {
        followUps.incrementAndGet(kind * CODES.length + code.value());
    }

    /** A unary call's status: {@code status}, but INTERNAL for an OK without an answer, as in the stub. */
    private static Status.Code codeOf(Status status, boolean answered) {
        return status.isOk() && !answered ? Status.Code.INTERNAL : status.getCode();
    }

    /** Answer of one Confirm or Cancel: only its status is counted. */
    private final class FollowUpAnswer<R> extends ClientCall.Listener<R> {
        private final int kind;
        private boolean answered;

        FollowUpAnswer(int kind) {
            this.kind = kind;
        }

        @Override
        public void onMessage(R value) {
            answered = true;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            count(kind, codeOf(status, answered));
        }
    }

    /** Answer of one unary call; gRPC calls it serially (on the transport thread: the channels' direct executor). */
    private final class UnaryAnswer<R> extends ClientCall.Listener<R> {
        private final Completion completion;
        private final long index;
        private final int lane;
        private final boolean decide;
        private boolean answered;
        private Outcome outcome;

        UnaryAnswer(Completion completion, long index, int lane, boolean decide) {
            this.completion = completion;
            this.index = index;
            this.lane = lane;
            this.decide = decide;
        }

        @Override
        public void onMessage(R value) {
            answered = true;
            if (decide) {
                DecisionSummary d = (DecisionSummary) value;
                outcome = d.outcome();
                onDecision(index, lane, d);
            }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            Status.Code code = codeOf(status, answered);
            if (code == Status.Code.OK) {
                completion.complete(code, outcome);
            } else {
                // the reason the SDK would read from the status details (errors only: a success is not looked at)
                completion.fail(code, FormicaException.reasonName(status, trailers));
            }
        }
    }

    /** One DecideStream on one channel; answers matched to requests by request_id. */
    private final class StreamLane implements StreamObserver<DecisionSummary> {
        private final ManagedChannel channel;
        private final int lane;
        private final Map<String, Pending> pending = new ConcurrentHashMap<>();
        private StreamObserver<DecisionRequest> requestsOut;

        StreamLane(ManagedChannel channel, int lane) {
            this.channel = channel;
            this.lane = lane;
        }

        synchronized void send(DecisionRequest request, long index, Completion completion) {
            if (requestsOut == null) {
                // no per-message deadline on a stream: the run's drain bound limits the wait instead
                requestsOut = ClientCalls.asyncBidiStreamingCall(channel.newCall(DECIDE_STREAM, CallOptions.DEFAULT),
                        this);
            }
            pending.put(request.getRequestId(), new Pending(index, completion));
            requestsOut.onNext(request);
        }

        @Override
        public void onNext(DecisionSummary response) {
            Pending p = response.requestId() == null ? null : pending.remove(response.requestId());
            if (p == null) {
                return;
            }
            if (response.hasError()) {
                p.completion.complete(response.status(), null);
            } else {
                onDecision(p.index, lane, response);
                p.completion.complete(Status.Code.OK, response.outcome());
            }
        }

        @Override
        public void onError(Throwable t) {
            failAll(Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            failAll(Status.Code.UNAVAILABLE);
        }

        synchronized void close() {
            if (requestsOut != null) {
                requestsOut.onCompleted();
                requestsOut = null;
            }
        }

        private void failAll(Status.Code code) {
            synchronized (this) {
                requestsOut = null;
            }
            for (String id : pending.keySet()) {
                Pending p = pending.remove(id);
                if (p != null) {
                    p.completion.complete(code, null);
                }
            }
        }
    }

    /** A stream request awaiting its answer. */
    private record Pending(long index, Completion completion) {
    }
}
