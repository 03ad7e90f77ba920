package dev.formica.engine.server.tracing;

import dev.formica.engine.metrics.Stage;
import dev.formica.engine.metrics.StageTrace;
import dev.formica.engine.server.DecisionReply;
import dev.formica.v1.DecisionResponse;
import io.grpc.Status;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.util.concurrent.TimeUnit;

/**
 * The server span of one sampled call, and the stage timings its shard measured ({@link StageTrace}), added as
 * span events when the call closes. Carries no borrower, device or IP: only the method, the gRPC status, a
 * decision's outcome and the stages.
 *
 * <p>Thread contract: {@link #stage} runs on the shard writer; {@link #answered} and {@link #end} on the call's
 * thread after the answer was handed over (which publishes the stages); {@link #end} at most once takes effect.
 */
final class CallSpan implements StageTrace {
    static final AttributeKey<Long> STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("formica.decision.outcome");
    static final AttributeKey<Boolean> REPLAYED = AttributeKey.booleanKey("formica.decision.replayed");
    static final AttributeKey<Long> STAGE_NANOS = AttributeKey.longKey("formica.stage.duration_ns");
    private static final Stage[] STAGES = Stage.values();

    private final Span span;
    private final long startEpochNanos;
    private final long startNanos;
    /** Per stage: when it ended (nanoTime) and how long it took; 0 = not measured. */
    private final long[] ends = new long[STAGES.length];
    private final long[] durations = new long[STAGES.length];
    private boolean ended;

    CallSpan(Span span, long startEpochNanos, long startNanos) {
        this.span = span;
        this.startEpochNanos = startEpochNanos;
        this.startNanos = startNanos;
    }

    @Override
    public void stage(Stage stage, long endNanos, long nanos) {
        ends[stage.ordinal()] = endNanos;
        durations[stage.ordinal()] = Math.max(1, nanos);
    }

    /** A response of the call: a decision's outcome goes on the span. */
    void answered(Object response) {
        // a Decide's answer travels as wire bytes: parsed here only because this call is sampled
        Object answer = response instanceof DecisionReply reply ? reply.message() : response;
        if (answer instanceof DecisionResponse d) {
            span.setAttribute(OUTCOME, d.getOutcome().name());
            span.setAttribute(REPLAYED, d.getReplayed());
        }
    }

    /** Adds the measured stages as events (at the time each ended), the status, and ends the span. */
    synchronized void end(Status status) {
        if (ended) {
            return;
        }
        ended = true;
        for (Stage stage : STAGES) {
            long nanos = durations[stage.ordinal()];
            if (nanos > 0) {
                span.addEvent(stage.label(), Attributes.of(STAGE_NANOS, nanos),
                        startEpochNanos + (ends[stage.ordinal()] - startNanos), TimeUnit.NANOSECONDS);
            }
        }
        span.setAttribute(STATUS_CODE, (long) status.getCode().value());
        if (serverError(status.getCode())) {
            span.setStatus(StatusCode.ERROR, status.getCode().name());
        }
        span.end(startEpochNanos + (System.nanoTime() - startNanos), TimeUnit.NANOSECONDS);
    }

    /** The codes OpenTelemetry's RPC conventions count as a server span's error. */
    private static boolean serverError(Status.Code code) {
        return switch (code) {
            case UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS -> true;
            default -> false;
        };
    }
}
