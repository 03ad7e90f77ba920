package dev.formica.engine.server;

import dev.formica.engine.metrics.ShedCounter;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission by depth: at most {@code limit} Decide calls are in the server at once (started, not yet
 * answered); a call over the limit is answered {@code RESOURCE_EXHAUSTED} at call start, before its
 * request is read or parsed, so refusing costs the server a fraction of serving. Under a flood the
 * backlog therefore stays in the server's bounded count instead of growing in socket buffers and the
 * event loops, where no later check could see how long a request had waited.
 *
 * <p>Only Decide is limited: it is the call that scales with traffic and reserves new exposure.
 * Confirm, Cancel and the other calls release or settle exposure and are never shed here (the shard's
 * {@code maxQueueDelay} still applies to them).
 *
 * <p>Thread contract: any event-loop thread; one atomic counter. Each admitted call gives its slot
 * back exactly once, when it closes or is cancelled.
 */
final class AdmissionInterceptor implements ServerInterceptor {
    private static final String DECIDE = DecisionServiceGrpc.getDecideMethod().getFullMethodName();

    private final int limit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Refusals.Prepared refusal;
    private final ShedCounter shed;

    /**
     * @param limit Decide calls admitted at once, at least 1
     * @param retryDelayMs the RetryInfo delay and {@code grpc-retry-pushback-ms} of a refusal, >= 0
     * @param shed counts each refusal ({@code formica_shed_total{reason="OVERLOADED"}})
     */
    public AdmissionInterceptor(int limit, long retryDelayMs, ShedCounter shed) {
        this.shed = shed;
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        this.limit = limit;
        this.refusal = Refusals.builder(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.OVERLOADED, "overloaded: " + limit
                + " decisions already in progress (maxInFlightDecisions); retry with backoff")
                .metadata("limit", Integer.toString(limit)).retryAfterMillis(retryDelayMs).prepare();
    }

    /** Decide calls admitted and not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
        if (!DECIDE.equals(method.getFullMethodName())) {
            return next.startCall(call, headers);
        }
        if (inFlight.incrementAndGet() > limit) {
            inFlight.decrementAndGet();
            shed.overloaded();
            return Refusal.refuse(call, refusal);
        }
        Slot<ReqT, RespT> slot = new Slot<>(call, inFlight);
        try {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(slot, headers)) {
                @Override
                public void onCancel() {
                    slot.release();
                    super.onCancel();
                }

                @Override
                public void onComplete() {
                    slot.release();
                    super.onComplete();
                }
            };
        } catch (RuntimeException e) {
            slot.release();
            throw e;
        }
    }

    /** The admitted call; closing it gives the slot back. */
    private static final class Slot<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
        private final AtomicInteger inFlight;
        private boolean released; // guarded by this: close() may run on a shard thread, onCancel on the loop

        Slot(ServerCall<ReqT, RespT> call, AtomicInteger inFlight) {
            super(call);
            this.inFlight = inFlight;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            release();
            super.close(status, trailers);
        }

        synchronized void release() {
            if (!released) {
                released = true;
                inFlight.decrementAndGet();
            }
        }
    }
}
