package dev.formica.engine.server;

import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.CallDeadline;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Operation;
import dev.formica.v1.ErrorReason;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * Small helpers for answering calls with a status, and the one way a handler submits a mutating operation.
 *
 * <p>Thread contract: stateless; callers must respect the single-threaded contract of the observer.
 */
final class GrpcReplies {
    private GrpcReplies() {
    }

    /**
     * Answers with INVALID_ARGUMENT naming the first bad field, every one in the details, returning true, when
     * {@code violations} is set.
     */
    static boolean rejected(FieldViolations violations, StreamObserver<?> observer) {
        if (violations == null) {
            return false;
        }
        observer.onError(Refusals.invalid(violations));
        return true;
    }

    /** Answers with the status of {@code refused} ({@link GrpcErrors}), returning true, when it is set. */
    static boolean rejected(Refused refused, StreamObserver<?> observer) {
        if (refused == null) {
            return false;
        }
        observer.onError(GrpcErrors.toStatus(refused));
        return true;
    }

    /**
     * A mutating call: refuses the request's {@code violations} ({@link RequestValidator}) and a market or currency
     * the server does not serve ({@link RequestValidator#market}; "" for a call that names none), else submits the
     * {@code op} row to its shard, whose answer or refusal ends the call.
     */
    static <Q, R> void submit(DecisionPipeline pipeline, Operation<Q, R> op, Q request, FieldViolations violations,
            String market, String currency, StreamObserver<R> out) {
        if (!rejected(violations, out) && !rejected(RequestValidator.market(pipeline.markets(), market, currency),
                out)) {
            pipeline.submit(op, request, new UnarySink<>(out), deadline());
        }
    }

    /** The deadline of the call being handled, for the pipeline; null when it has none. */
    static CallDeadline deadline() {
        io.grpc.Deadline deadline = Context.current().getDeadline();
        return deadline == null ? null : deadline::isExpired;
    }

    static void unimplemented(String method, String issue, StreamObserver<?> observer) {
        observer.onError(Refusals.of(Status.Code.UNIMPLEMENTED, ErrorReason.NOT_IMPLEMENTED,
                method + " is not implemented yet (" + issue + ")"));
    }
}
