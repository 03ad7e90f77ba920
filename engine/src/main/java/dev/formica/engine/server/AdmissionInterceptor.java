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
 * Admission by depth: at most {@code limit} Decide calls are in the server at once (their request arrived, not yet
 * answered). A call that starts while the limit is reached is answered {@code RESOURCE_EXHAUSTED} at call start,
 * before its request is read or parsed, so refusing costs the server a fraction of serving. Under a flood the backlog
 * therefore stays in the server's bounded count instead of growing in socket buffers and the event loops, where no
 * later check could see how long a request had waited.
 *
 * <p>A call takes its slot when its request arrives, not at its headers: HTTP/2 flow-controls a request's body but
 * not its headers, so behind a client's or a connection's backlog the headers of a call can run seconds ahead of
 * its body. A slot taken at the headers was held by a call the server could not work on, and at twice saturation
 * every slot came to be held that way: the shard idle, no log write waiting, the loops reading, and every new call
 * refused for seconds (docs/perf-notes/2026-12-07-overload-collapse.md). A call whose body arrives when the slots
 * are full is refused then, parsed but not decided; the limit on calls with a request stays exact.
 *
 * <p>Only Decide is limited: it is the call that scales with traffic and reserves new exposure.
 * Confirm, Cancel and the other calls release or settle exposure and are never shed here (the shard's
 * {@code maxQueueDelay} still applies to them).
 *
 * <p>Thread contract: any event-loop thread; one atomic counter. Each call that took a slot gives it back exactly
 * once, when it closes or is cancelled.
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

    /** Decide calls whose request arrived and that are not yet answered (the slots in use). */
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
        if (inFlight.get() >= limit) {
            shed.overloaded(); // full now: refused at the headers, nothing read or parsed
            return Refusal.refuse(call, refusal);
        }
        Slot<ReqT, RespT> slot = new Slot<>(call, inFlight);
        try {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(slot, headers)) {
                /** The request came when the slots were full: the call is closed and the service sees nothing. */
                private boolean refused;

                @Override
                public void onMessage(ReqT message) {
                    if (slot.take(limit)) {
                        super.onMessage(message);
                    } else if (!refused) {
                        refused = true;
                        shed.overloaded();
                        slot.close(refusal.status(), refusal.trailers());
                    }
                }

                @Override
                public void onHalfClose() {
                    if (!refused) {
                        super.onHalfClose(); // a refused call's handler must not answer it (it has no request)
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

    /** The call past the headers' check; it holds a slot from its request's arrival, and closing it gives that back. */
    private static final class Slot<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
        private final AtomicInteger inFlight;
        // guarded by this: close() may run on a shard thread, onCancel on the loop
        private boolean held;
        private boolean released;

        Slot(ServerCall<ReqT, RespT> call, AtomicInteger inFlight) {
            super(call);
            this.inFlight = inFlight;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            release();
            super.close(status, trailers);
        }

        /** Takes a slot for the arrived request unless {@code limit} are taken (or the call already ended). */
        synchronized boolean take(int limit) {
            if (held) {
                return true; // a second message: a unary handler refuses it itself
            }
            if (released) {
                return false;
            }
            if (inFlight.incrementAndGet() > limit) {
                inFlight.decrementAndGet();
                return false;
            }
            held = true;
            return true;
        }

        synchronized void release() {
            if (!released) {
                released = true;
                if (held) {
                    inFlight.decrementAndGet();
                }
            }
        }
    }
}
