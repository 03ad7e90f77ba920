package dev.formica.engine.errors;

/**
 * Why the engine refuses a request, in its own terms: the pipeline, the shards and everything below them refuse
 * with one of these (a {@link Refused}) and never with a transport's status. The server maps each to a gRPC status
 * code and a {@code formica.v1.ErrorReason} in one place ({@code server/GrpcErrors}); the constants carry the names
 * of the reasons clients read, so a refusal keeps its reason across the mapping.
 *
 * <p>Adding a value fails to compile until {@code GrpcErrors} maps it (an exhaustive switch, no default).
 */
public enum DomainError {
    /** A field breaks a rule (the first bad field is named in the message; every one in the violations). */
    INVALID_FIELD,
    /** A request id already acted, for another call or with other fields. */
    REQUEST_ID_REUSED,
    /** An amount in a currency the market (or the server) does not lend in. */
    CURRENCY_NOT_SUPPORTED,
    /** The borrower's or hold's partition belongs to another node (the owner is in the metadata). */
    PARTITION_NOT_OWNED,
    HOLD_ALREADY_CONFIRMED,
    HOLD_CANCELLED,
    HOLD_EXPIRED,
    REPAYMENT_EXCEEDS_DRAWN,
    HOLD_NOT_FOUND,
    PROFILE_NOT_FOUND,
    LINE_NOT_FOUND,
    DECISION_NOT_FOUND,
    /** The shard's queue is full: retry after the delay. */
    SHARD_QUEUE_FULL,
    /** The request waited in the shard queue longer than allowed: retry after the delay. */
    QUEUE_DELAY_EXCEEDED,
    /** The caller's deadline passed while the request was queued; nothing was done. */
    DEADLINE_EXPIRED_IN_QUEUE,
    SHUTTING_DOWN,
    /** The shard log could not make the answer durable. */
    LOG_UNAVAILABLE,
    /** A bug: the message tells the caller nothing of the cause. */
    INTERNAL_ERROR,
    /** Stored state could not be read. */
    STATE_UNREADABLE
}
