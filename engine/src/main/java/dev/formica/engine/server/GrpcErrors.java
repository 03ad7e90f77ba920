package dev.formica.engine.server;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.v1.ErrorReason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;

/**
 * The one place where the engine's refusals ({@link Refused}, a {@link DomainError} each) become the gRPC statuses
 * clients see: the status code, the {@code ErrorInfo} reason and metadata, the {@code BadRequest} of the bad fields,
 * the {@code RetryInfo} and pushback of a shed request, and the owner trailer of a redirect ({@link Refusals} builds
 * the status). Both switches are exhaustive without a default: a new domain error does not compile until it is
 * mapped here.
 *
 * <p>Thread contract: stateless; any thread. Each call makes a new exception with its own trailers (one refusal
 * must never close two calls).
 */
public final class GrpcErrors {
    private GrpcErrors() {
    }

    /** The gRPC status code of {@code error}. */
    public static Status.Code code(DomainError error) {
        return switch (error) {
            case INVALID_FIELD, REQUEST_ID_REUSED, CURRENCY_NOT_SUPPORTED -> Status.Code.INVALID_ARGUMENT;
            case PARTITION_NOT_OWNED, HOLD_ALREADY_CONFIRMED, HOLD_CANCELLED, HOLD_EXPIRED, REPAYMENT_EXCEEDS_DRAWN ->
                    Status.Code.FAILED_PRECONDITION;
            case HOLD_NOT_FOUND, PROFILE_NOT_FOUND, LINE_NOT_FOUND, DECISION_NOT_FOUND -> Status.Code.NOT_FOUND;
            case SHARD_QUEUE_FULL, QUEUE_DELAY_EXCEEDED -> Status.Code.RESOURCE_EXHAUSTED;
            case DEADLINE_EXPIRED_IN_QUEUE -> Status.Code.DEADLINE_EXCEEDED;
            case SHUTTING_DOWN, LOG_UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case INTERNAL_ERROR -> Status.Code.INTERNAL;
            case STATE_UNREADABLE -> Status.Code.DATA_LOSS;
        };
    }

    /** The {@code ErrorInfo.reason} of {@code error} (formica.v1 errors.proto). */
    public static ErrorReason reason(DomainError error) {
        return switch (error) {
            case INVALID_FIELD -> ErrorReason.INVALID_FIELD;
            case REQUEST_ID_REUSED -> ErrorReason.REQUEST_ID_REUSED;
            case CURRENCY_NOT_SUPPORTED -> ErrorReason.CURRENCY_NOT_SUPPORTED;
            case PARTITION_NOT_OWNED -> ErrorReason.PARTITION_NOT_OWNED;
            case HOLD_ALREADY_CONFIRMED -> ErrorReason.HOLD_ALREADY_CONFIRMED;
            case HOLD_CANCELLED -> ErrorReason.HOLD_CANCELLED;
            case HOLD_EXPIRED -> ErrorReason.HOLD_EXPIRED;
            case REPAYMENT_EXCEEDS_DRAWN -> ErrorReason.REPAYMENT_EXCEEDS_DRAWN;
            case HOLD_NOT_FOUND -> ErrorReason.HOLD_NOT_FOUND;
            case PROFILE_NOT_FOUND -> ErrorReason.PROFILE_NOT_FOUND;
            case LINE_NOT_FOUND -> ErrorReason.LINE_NOT_FOUND;
            case DECISION_NOT_FOUND -> ErrorReason.DECISION_NOT_FOUND;
            case SHARD_QUEUE_FULL -> ErrorReason.SHARD_QUEUE_FULL;
            case QUEUE_DELAY_EXCEEDED -> ErrorReason.QUEUE_DELAY_EXCEEDED;
            case DEADLINE_EXPIRED_IN_QUEUE -> ErrorReason.DEADLINE_EXPIRED_IN_QUEUE;
            case SHUTTING_DOWN -> ErrorReason.SHUTTING_DOWN;
            case LOG_UNAVAILABLE -> ErrorReason.LOG_UNAVAILABLE;
            case INTERNAL_ERROR -> ErrorReason.INTERNAL_ERROR;
            case STATE_UNREADABLE -> ErrorReason.STATE_UNREADABLE;
        };
    }

    /** The status a client sees for {@code refused}: code, message, details and trailers. */
    public static StatusRuntimeException toStatus(Refused refused) {
        DomainError error = refused.error();
        Refusals.Builder b = Refusals.builder(code(error), reason(error), refused.getMessage());
        for (Map.Entry<String, String> e : refused.metadata().entrySet()) {
            b.metadata(e.getKey(), e.getValue());
        }
        if (refused.violations() != null) {
            b.violations(refused.violations());
        }
        if (refused.retryAfterMs() >= 0) {
            b.retryAfterMillis(refused.retryAfterMs());
        }
        if (error == DomainError.PARTITION_NOT_OWNED) {
            // for callers that do not read the status details (docs/cluster.md, "Redirects")
            b.trailer(PartitionTable.OWNER_ADDRESS, refused.metadata().getOrDefault("owner_address", ""));
        }
        return b.build();
    }
}
