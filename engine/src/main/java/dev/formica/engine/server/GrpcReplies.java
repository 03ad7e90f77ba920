package dev.formica.engine.server;

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

    /** Answers with INVALID_ARGUMENT naming the field, returning true, when {@code violation} is set. */
    static boolean rejected(String violation, StreamObserver<?> observer) {
        if (violation == null) {
            return false;
        }
        observer.onError(RequestValidator.invalid(violation));
        return true;
    }

    static void unimplemented(String method, String issue, StreamObserver<?> observer) {
        observer.onError(Status.UNIMPLEMENTED
                .withDescription(method + " is not implemented yet (" + issue + ")")
                .asRuntimeException());
    }
}
