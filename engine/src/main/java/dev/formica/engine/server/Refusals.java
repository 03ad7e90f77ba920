package dev.formica.engine.server;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.formica.engine.errors.FieldViolations;
import dev.formica.v1.ErrorReason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The refusals of the formica.v1 API, each a gRPC status whose details ({@code grpc-status-details-bin}, a
 * {@code google.rpc.Status}) a program can read: an {@code ErrorInfo} with a stable {@link ErrorReason} and
 * {@link #DOMAIN}, a {@code BadRequest} with every bad field, and on load shedding a {@code RetryInfo} plus the
 * {@link #RETRY_PUSHBACK} trailer that gRPC's own retries obey (proto/.../errors.proto, docs/api.md "Errors").
 *
 * <p>Every refusal made here is a new exception with new trailers: gRPC writes the status into the trailers when
 * it closes a call, so one refusal must never close two calls. {@link Prepared} serves refusals that are the same
 * every time (shedding at call start) with the details serialised once.
 *
 * <p>Thread contract: static and stateless; {@link Prepared} is immutable; any thread.
 */
public final class Refusals {
    /** {@code ErrorInfo.domain} of every refusal. */
    public static final String DOMAIN = "formica.dev";
    /** gRPC's retry pushback trailer: milliseconds to wait before a retry (gRFC A6). */
    public static final Metadata.Key<String> RETRY_PUSHBACK =
            Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<byte[]> STATUS_DETAILS =
            Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

    private Refusals() {
    }

    /** A refusal with only an {@code ErrorInfo}. */
    public static StatusRuntimeException of(Status.Code code, ErrorReason reason, String message) {
        return builder(code, reason, message).build();
    }

    /** A refusal to complete with metadata, field violations, a retry delay or trailers. */
    public static Builder builder(Status.Code code, ErrorReason reason, String message) {
        return new Builder(code, reason, message);
    }

    /** INVALID_ARGUMENT {@link ErrorReason#INVALID_FIELD}: the first violation as message, all in BadRequest. */
    public static StatusRuntimeException invalid(FieldViolations violations) {
        return builder(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD, violations.message())
                .violations(violations).build();
    }

    /** INVALID_ARGUMENT {@link ErrorReason#INVALID_FIELD} for one {@code "field: rule"}. */
    public static StatusRuntimeException invalid(String violation) {
        return invalid(FieldViolations.of(violation));
    }

    /** INVALID_ARGUMENT with {@code reason}, naming one bad field in the message and the BadRequest. */
    public static StatusRuntimeException invalid(ErrorReason reason, String violation) {
        FieldViolations v = FieldViolations.of(violation);
        return builder(Status.Code.INVALID_ARGUMENT, reason, v.message()).violations(v).build();
    }

    /** NOT_FOUND with {@code reason}. */
    public static StatusRuntimeException notFound(ErrorReason reason, String message) {
        return of(Status.Code.NOT_FOUND, reason, message);
    }

    /** FAILED_PRECONDITION with {@code reason}. */
    public static StatusRuntimeException failedPrecondition(ErrorReason reason, String message) {
        return of(Status.Code.FAILED_PRECONDITION, reason, message);
    }

    /** RESOURCE_EXHAUSTED with {@code reason}, worth a retry after {@code retryDelayMs}. */
    public static StatusRuntimeException shed(ErrorReason reason, String message, long retryDelayMs) {
        return builder(Status.Code.RESOURCE_EXHAUSTED, reason, message).retryAfterMillis(retryDelayMs).build();
    }

    /** UNAVAILABLE {@link ErrorReason#SHUTTING_DOWN}. */
    public static StatusRuntimeException shuttingDown() {
        return of(Status.Code.UNAVAILABLE, ErrorReason.SHUTTING_DOWN, "shutting down");
    }

    /** INTERNAL {@link ErrorReason#INTERNAL_ERROR} with a message that tells the caller nothing of the cause. */
    public static StatusRuntimeException internal(String message) {
        return of(Status.Code.INTERNAL, ErrorReason.INTERNAL_ERROR, message);
    }

    /** DATA_LOSS {@link ErrorReason#STATE_UNREADABLE}. */
    public static StatusRuntimeException unreadable(String message) {
        return of(Status.Code.DATA_LOSS, ErrorReason.STATE_UNREADABLE, message);
    }

    /**
     * The details of {@code error} as {@code Any}s (for {@code DecisionError.details} of DecideStream), empty when
     * it has none.
     */
    public static List<Any> details(StatusRuntimeException error) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        return status == null ? List.of() : status.getDetailsList();
    }

    /** The {@code ErrorInfo.reason} of {@code error}'s details, or null (tests, logs). */
    public static String reasonOf(Throwable error) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        if (status == null) {
            return null;
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    return any.unpack(ErrorInfo.class).getReason();
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** One {@code FieldViolation} per violation: the field path, and the rule it breaks. */
    static BadRequest badRequest(FieldViolations violations) {
        BadRequest.Builder b = BadRequest.newBuilder();
        for (String v : violations.all()) {
            b.addFieldViolations(BadRequest.FieldViolation.newBuilder().setField(FieldViolations.field(v))
                    .setDescription(FieldViolations.rule(v)));
        }
        return b.build();
    }

    /** Collects one refusal; not thread-safe. */
    public static final class Builder {
        private final Status.Code code;
        private final ErrorReason reason;
        private final String message;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private FieldViolations violations;
        private long retryDelayMs = -1;
        private Metadata trailers;

        private Builder(Status.Code code, ErrorReason reason, String message) {
            this.code = code;
            this.reason = reason;
            this.message = message;
        }

        /** An {@code ErrorInfo.metadata} entry (lower_snake_case key; never personal data). */
        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        /** The bad fields, as a {@code BadRequest}. */
        public Builder violations(FieldViolations violations) {
            this.violations = violations;
            return this;
        }

        /** A {@code RetryInfo} and the {@link #RETRY_PUSHBACK} trailer: retry after this many milliseconds. */
        public Builder retryAfterMillis(long delayMs) {
            if (delayMs < 0) {
                throw new IllegalArgumentException("retry delay must be >= 0 ms, was " + delayMs);
            }
            this.retryDelayMs = delayMs;
            return this;
        }

        /** Another trailer. */
        public <T> Builder trailer(Metadata.Key<T> key, T value) {
            if (trailers == null) {
                trailers = new Metadata();
            }
            trailers.put(key, value);
            return this;
        }

        /** The {@code google.rpc.Status} of the refusal. */
        public com.google.rpc.Status status() {
            com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder().setCode(code.value())
                    .setMessage(message)
                    .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(reason.name())
                            .putAllMetadata(metadata).build()));
            if (violations != null) {
                s.addDetails(Any.pack(badRequest(violations)));
            }
            if (retryDelayMs >= 0) {
                s.addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(Duration.newBuilder()
                        .setSeconds(retryDelayMs / 1000).setNanos((int) (retryDelayMs % 1000) * 1_000_000)).build()));
            }
            return s.build();
        }

        /** The refusal, with its own trailers. */
        public StatusRuntimeException build() {
            Metadata t = new Metadata();
            if (trailers != null) {
                t.merge(trailers);
            }
            if (retryDelayMs >= 0) {
                t.put(RETRY_PUSHBACK, Long.toString(retryDelayMs));
            }
            return StatusProto.toStatusRuntimeException(status(), t);
        }

        /** The refusal as a {@link Prepared} one, to send many times. */
        public Prepared prepare() {
            return new Prepared(Status.fromCodeValue(code.value()).withDescription(message), status().toByteArray(),
                    retryDelayMs);
        }
    }

    /**
     * A refusal that is the same every time, its details serialised once; each use gets its own trailers. For the
     * refusals at call start, so shedding stays a fraction of serving.
     */
    public static final class Prepared {
        private final Status status;
        private final byte[] details;
        private final String pushback;

        private Prepared(Status status, byte[] details, long retryDelayMs) {
            this.status = status;
            this.details = details;
            this.pushback = retryDelayMs >= 0 ? Long.toString(retryDelayMs) : null;
        }

        public Status status() {
            return status;
        }

        /** New trailers carrying the details (and the pushback): one set per call. */
        public Metadata trailers() {
            Metadata t = new Metadata();
            t.put(STATUS_DETAILS, details);
            if (pushback != null) {
                t.put(RETRY_PUSHBACK, pushback);
            }
            return t;
        }

        /** The refusal as an exception with its own trailers. */
        public StatusRuntimeException exception() {
            return status.asRuntimeException(trailers());
        }
    }
}
