package dev.formica.engine.server;

import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.Sink;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

/**
 * Completes a unary call from whichever thread ran the command; a refusal becomes its gRPC status
 * ({@link GrpcErrors}).
 *
 * <p>Thread contract: used once, by one thread. A call the client already cancelled is ignored.
 */
final class UnarySink<T> implements Sink<T> {
    private final StreamObserver<T> observer;

    UnarySink(StreamObserver<T> observer) {
        this.observer = observer;
    }

    @Override
    public void onResult(T result) {
        try {
            observer.onNext(result);
            observer.onCompleted();
        } catch (StatusRuntimeException | IllegalStateException cancelled) {
            // The client cancelled or the deadline passed while we worked: nobody to answer.
        }
    }

    @Override
    public void onError(Refused error) {
        fail(GrpcErrors.toStatus(error));
    }

    /** Ends the call with {@code error} (a refusal made in the server). */
    void fail(StatusRuntimeException error) {
        try {
            observer.onError(error);
        } catch (StatusRuntimeException | IllegalStateException cancelled) {
            // as above
        }
    }
}
