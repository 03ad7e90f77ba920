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

    /**
     * The command's outcome is fixed and, when it changes state, its frame is appended to the shard log; the answer
     * itself follows through {@link #onResult} or {@link #onError} once the log has made it durable (a group's
     * {@code fdatasync} in {@code durability: fsync}). Admission control gives a call's slot back here: a decided
     * call costs the server no more work while it waits for its group's sync, so it must not count against the
     * decisions still to take (BENCHMARKS.md, "Throughput vs Echo": with the slot held through the sync, Decide was
     * refused at 3,125/s with the box 60 % busy).
     *
     * <p>Called at most once, before the answer, on the thread that ran the command, and only for an answer that waits
     * for the log; must not block or throw. The default does nothing.
     */
    default void onDecided() {
    }
}
