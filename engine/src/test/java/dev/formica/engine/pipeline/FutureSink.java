package dev.formica.engine.pipeline;

import dev.formica.engine.errors.Refused;
import dev.formica.engine.server.GrpcErrors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A sink a test can wait on. */
final class FutureSink<T> implements Sink<T> {
    final CompletableFuture<T> future = new CompletableFuture<>();

    @Override
    public void onResult(T result) {
        future.complete(result);
    }

    @Override
    public void onError(Refused error) {
        // the status a client would see: the server's one mapping of the engine's refusals
        future.completeExceptionally(GrpcErrors.toStatus(error));
    }

    T get() {
        try {
            return future.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (StatusRuntimeException) e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("no answer from the shard", e);
        }
    }

    Status.Code errorCode() {
        try {
            get();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }
}
