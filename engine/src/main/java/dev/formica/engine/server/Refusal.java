package dev.formica.engine.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/** Ending a call at its start, before any request is read: the interceptors' one way to say no. */
final class Refusal {
    private Refusal() {
    }

    /** Closes {@code call} with {@code status} and returns a listener that ignores what follows. */
    static <ReqT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, ?> call, Status status) {
        return refuse(call, status, new Metadata());
    }

    /** Closes {@code call} with a prepared refusal (status details in new trailers); ignores what follows. */
    static <ReqT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, ?> call, Refusals.Prepared refusal) {
        return refuse(call, refusal.status(), refusal.trailers());
    }

    private static <ReqT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, ?> call, Status status,
            Metadata trailers) {
        call.close(status, trailers);
        return new ServerCall.Listener<>() {
        };
    }
}
