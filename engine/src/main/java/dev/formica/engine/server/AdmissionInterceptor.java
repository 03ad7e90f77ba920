package dev.formica.engine.server;

import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import io.grpc.Context;
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
 * <p>A call counts until it is <em>decided</em>, not until it is answered: its handler finds the call's slot with
 * {@link #admitted()} and gives it back as the shard fixes the outcome ({@code Sink.onDecided}), so a call that only
 * waits for its group's log sync no longer holds a slot. Held through the sync, 64 slots refused Decide at 3,125/s
 * with the box 60 % busy (BENCHMARKS.md, "Throughput vs Echo"); the calls waiting for a sync are bounded by the log's
 * window instead, which stops the shard once it is full. A call that is never decided gives its slot back when it
 * closes or is cancelled.
 *
 * <p>Thread contract: any event-loop thread; one atomic counter. Each admitted call gives its slot
 * back exactly once: when it is decided (the shard's thread), closes or is cancelled, whichever comes first.
 */
final class AdmissionInterceptor implements ServerInterceptor {
    private static final String DECIDE = DecisionServiceGrpc.getDecideMethod().getFullMethodName();
    /** The admitted Decide's slot, in its Context while its handler runs (the unary call's half-close). */
    private static final Context.Key<Slot<?, ?>> ADMITTED = Context.key("formica.admission.slot");

    private final int limit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Refusals.Prepared refusal;

    /** @param limit Decide calls admitted at once, at least 1; refusals ask for a retry after 50 ms */
    public AdmissionInterceptor(int limit) {
        this(limit, 50);
    }

    /**
     * @param limit Decide calls admitted at once, at least 1
     * @param retryDelayMs the RetryInfo delay and {@code grpc-retry-pushback-ms} of a refusal, >= 0
     */
    public AdmissionInterceptor(int limit, long retryDelayMs) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        this.limit = limit;
        this.refusal = Refusals.builder(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.OVERLOADED, "overloaded: " + limit
                + " decisions already in progress (maxInFlightDecisions); retry with backoff")
                .metadata("limit", Integer.toString(limit)).retryAfterMillis(retryDelayMs).prepare();
    }

    /** Decide calls admitted and not yet decided or answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * The slot of the Decide call whose handler runs on this thread now, or null when the call was not admitted by
     * this interceptor (limit off, another method). Its {@link Slot#release} gives it back early, at most once.
     */
    static Slot<?, ?> admitted() {
        return ADMITTED.get();
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
            return Refusal.refuse(call, refusal);
        }
        Slot<ReqT, RespT> slot = new Slot<>(call, inFlight);
        try {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(slot, headers)) {
                @Override
                public void onHalfClose() {
                    // a unary call's handler runs here, on this thread: it finds its slot in the Context
                    Context handler = Context.current().withValue(ADMITTED, slot);
                    Context previous = handler.attach();
                    try {
                        super.onHalfClose();
                    } finally {
                        handler.detach(previous);
                    }
                }

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

    /** The admitted call; closing it gives the slot back, if {@link #release} has not already. */
    static final class Slot<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
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

        /** Gives the slot back; only the first call (decided, closed or cancelled) counts. */
        synchronized void release() {
            if (!released) {
                released = true;
                inFlight.decrementAndGet();
            }
        }
    }
}
