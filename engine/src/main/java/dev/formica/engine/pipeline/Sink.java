package dev.formica.engine.pipeline;

import io.grpc.StatusRuntimeException;

/**
 * Where a shard delivers the outcome of one command: a unary call, one message of a stream, or a row
 * of a bulk load.
 *
 * <p>Thread contract: called exactly once per command, from the thread that ran the command (a shard
 * agent or a draining caller). Implementations must not throw.
 */
public interface Sink<T> {
    void onResult(T result);

    void onError(StatusRuntimeException error);
}
