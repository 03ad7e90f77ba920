package dev.formica.engine.server;

import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.errors.Refusals;
import dev.formica.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * Small helpers for answering calls with a status.
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

    static void unimplemented(String method, String issue, StreamObserver<?> observer) {
        observer.onError(Refusals.of(Status.Code.UNIMPLEMENTED, ErrorReason.NOT_IMPLEMENTED,
                method + " is not implemented yet (" + issue + ")"));
    }
}
