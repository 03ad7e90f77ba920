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
 * <p>The limit is {@code maxInFlightDecisions}, or with {@code admissionLimit: ADAPTIVE} where {@link SlotLimit}
 * has moved it from there by the admitted calls' round trips; a refusal names the limit it met.
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

    private final SlotLimit limit;
    private final long retryDelayMs;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** The refusal naming each limit, made when a refusal first names it (index: the limit). */
    private final Refusals.Prepared[] refusals;
    private final ShedCounter shed;

    /**
     * @param limit Decide calls admitted at once, at least 1
     * @param retryDelayMs the RetryInfo delay and {@code grpc-retry-pushback-ms} of a refusal, >= 0
     * @param shed counts each refusal ({@code formica_shed_total{reason="OVERLOADED"}})
     */
    public AdmissionInterceptor(int limit, long retryDelayMs, ShedCounter shed) {
        this(SlotLimit.fixed(limit), retryDelayMs, shed);
    }

    /** The same with a limit that may move ({@code admissionLimit: ADAPTIVE}). */
    AdmissionInterceptor(SlotLimit limit, long retryDelayMs, ShedCounter shed) {
        this.shed = shed;
        this.limit = limit;
        this.retryDelayMs = retryDelayMs;
        this.refusals = new Refusals.Prepared[limit.ceiling() + 1];
        refusal(limit.current());
    }

    /** Decide calls whose request arrived and that are not yet answered (the slots in use). */
    public int inFlight() {
        return inFlight.get();
    }

    /** Decide calls admitted at once now: {@code maxInFlightDecisions}, or where the adaptive limit stands. */
    public int limit() {
        return limit.current();
    }

    /** Today's refusal text and metadata for {@code n} slots, made once per value (a race makes an equal one). */
    private Refusals.Prepared refusal(int n) {
        int i = Math.min(n, refusals.length - 1);
        Refusals.Prepared r = refusals[i];
        if (r == null) {
            r = Refusals.builder(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.OVERLOADED, "overloaded: " + i
                    + " decisions already in progress (maxInFlightDecisions); retry with backoff")
                    .metadata("limit", Integer.toString(i)).retryAfterMillis(retryDelayMs).prepare();
            refusals[i] = r;
        }
        return r;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
        if (!DECIDE.equals(method.getFullMethodName())) {
            return next.startCall(call, headers);
        }
        int now = limit.current();
        if (inFlight.get() >= now) {
            shed.overloaded(); // full now: refused at the headers, nothing read or parsed
            return Refusal.refuse(call, refusal(now));
        }
        Slot<ReqT, RespT> slot = new Slot<>(call, inFlight, limit);
        try {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(slot, headers)) {
                /** The request came when the slots were full: the call is closed and the service sees nothing. */
                private boolean refused;

                @Override
                public void onMessage(ReqT message) {
                    int now = limit.current();
                    if (slot.take(now)) {
                        super.onMessage(message);
                    } else if (!refused) {
                        refused = true;
                        shed.overloaded();
                        Refusals.Prepared refusal = refusal(now);
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
                    slot.release(Status.Code.CANCELLED);
                    super.onCancel();
                }

                @Override
                public void onComplete() {
                    slot.release(Status.Code.OK); // after close(), which gave the slot back already
                    super.onComplete();
                }
            };
        } catch (RuntimeException e) {
            slot.release(Status.Code.INTERNAL);
            throw e;
        }
    }

    /**
     * The call past the headers' check; it holds a slot from its request's arrival, and closing it gives that back.
     * With an adaptive limit it times itself from the slot's taking to its end: an OK answer is a sample, a call
     * cancelled or past its deadline a drop, any other end (a refusal behind admission, bad input) no sample.
     */
    private static final class Slot<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
        private final AtomicInteger inFlight;
        private final SlotLimit limit;
        // guarded by this: close() may run on a shard thread, onCancel on the loop
        private boolean held;
        private boolean released;
        private long takenAt;
        private int inFlightAtTake;

        Slot(ServerCall<ReqT, RespT> call, AtomicInteger inFlight, SlotLimit limit) {
            super(call);
            this.inFlight = inFlight;
            this.limit = limit;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            release(status.getCode());
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
            int n = inFlight.incrementAndGet();
            if (n > limit) {
                inFlight.decrementAndGet();
                return false;
            }
            held = true;
            inFlightAtTake = n;
            takenAt = this.limit.now();
            return true;
        }

        /** Gives the slot back once, however the call ended ({@code code}: how). */
        void release(Status.Code code) {
            boolean sample;
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
                if (!held) {
                    return;
                }
                inFlight.decrementAndGet();
                sample = limit.isAdaptive();
            }
            if (sample) {
                if (code == Status.Code.OK) {
                    limit.answered(takenAt, inFlightAtTake);
                } else if (code == Status.Code.CANCELLED || code == Status.Code.DEADLINE_EXCEEDED) {
                    limit.dropped(takenAt, inFlightAtTake);
                }
            }
        }
    }
}
