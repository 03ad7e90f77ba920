package dev.formica.engine.pipeline;

/**
 * When the caller stops waiting for an answer: a command whose deadline has passed while it was queued is refused
 * ({@link dev.formica.engine.errors.DomainError#DEADLINE_EXPIRED_IN_QUEUE}) rather than done for nobody. The server
 * passes the gRPC call's deadline; null = none.
 *
 * <p>Thread contract: read by the shard thread that runs the command; implementations are thread-safe.
 */
@FunctionalInterface
public interface CallDeadline {
    boolean isExpired();
}
