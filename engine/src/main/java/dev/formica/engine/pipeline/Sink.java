package dev.formica.engine.pipeline;

import dev.formica.engine.errors.Refused;

/**
 * Where a shard delivers the outcome of one command: a unary call, one message of a stream, or a row
 * of a bulk load. A refusal arrives as the engine's own {@link Refused}; the server maps it to a gRPC status.
 *
 * <p>Thread contract: called exactly once per command, from the thread that ran the command (a shard
 * agent or a draining caller). Implementations must not throw.
 */
public interface Sink<T> {
    void onResult(T result);

    void onError(Refused error);
}
