package dev.formica.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.formica.v1.DecisionError;
import dev.formica.v1.ErrorReason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A failed call, with what the server's status details say about it (proto {@code formica/v1/errors.proto},
 * docs/api.md "Errors"): the stable {@link #reason()} of its {@code google.rpc.ErrorInfo} (domain
 * {@value #DOMAIN}), every bad field of the request from its {@code google.rpc.BadRequest}, and how long to wait
 * before a retry from its {@code google.rpc.RetryInfo} (or the {@code grpc-retry-pushback-ms} trailer).
 *
 * <p>Every failure of a {@link FormicaClient} call is one of these, thrown or as the cause of a future. It
 * extends {@link StatusRuntimeException}, so code that catches that and reads {@code getStatus()} keeps working.
 * A failure without details (a transport error, a deadline the client hit, an older server) has reason
 * {@link ErrorReason#ERROR_REASON_UNSPECIFIED}, no field violations and no retry delay; a reason newer than this
 * client is {@link ErrorReason#UNRECOGNIZED}, its text still in {@link #reasonName()}. Decide the reaction by the
 * reason where one is known, by {@link #getStatus()}'s code otherwise.
 *
 * <p>Thread contract: immutable once made; any thread.
 */
public final class FormicaException extends StatusRuntimeException {
    /** The {@code ErrorInfo.domain} of Formica's reasons. */
    public static final String DOMAIN = "formica.dev";
    private static final Metadata.Key<String> RETRY_PUSHBACK =
            Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);
    private static final long serialVersionUID = 1L;

    /** One bad field of a refused request: its path ({@code amount_minor}, {@code lines[0].product}) and rule. */
    public record FieldViolation(String field, String description) {
        public FieldViolation {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(description, "description");
        }

        @Override
        public String toString() {
            return field + ": " + description;
        }
    }

    private final transient ErrorReason reason;
    private final String reasonName;
    private final transient Map<String, String> errorMetadata;
    private final transient List<FieldViolation> fieldViolations;
    private final transient Duration retryDelay;

    private FormicaException(Status status, Metadata trailers, com.google.rpc.Status details) {
        super(status, trailers);
        ErrorInfo info = errorInfo(details);
        List<FieldViolation> violations = new ArrayList<>();
        Duration delay = null;
        if (details != null) {
            for (Any any : details.getDetailsList()) {
                try {
                    if (any.is(BadRequest.class)) {
                        for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
                            violations.add(new FieldViolation(v.getField(), v.getDescription()));
                        }
                    } else if (any.is(RetryInfo.class) && delay == null) {
                        com.google.protobuf.Duration d = any.unpack(RetryInfo.class).getRetryDelay();
                        delay = Duration.ofSeconds(d.getSeconds(), d.getNanos());
                    }
                } catch (InvalidProtocolBufferException e) {
                    // a detail we cannot read tells us nothing; the status still does
                }
            }
        }
        if (delay == null && trailers != null) {
            delay = pushback(trailers.get(RETRY_PUSHBACK));
        }
        this.reasonName = reasonNameOf(info);
        this.reason = reasonOf(reasonName);
        this.errorMetadata = info == null ? Map.of() : Map.copyOf(info.getMetadataMap());
        this.fieldViolations = List.copyOf(violations);
        this.retryDelay = delay;
    }

    /** The failure of a call that ended with {@code status} and {@code trailers} (null = none). */
    public static FormicaException of(Status status, Metadata trailers) {
        Objects.requireNonNull(status, "status");
        return new FormicaException(status, trailers, details(status, trailers));
    }

    /**
     * The {@link #reasonName()} of {@code of(status, trailers)}, read without building the exception: for a caller
     * that only counts refusals by reason at a high rate (the load tool at twice saturation, where an exception
     * per refusal filled in stack traces for 15 % of its event loops' CPU).
     */
    public static String reasonName(Status status, Metadata trailers) {
        Objects.requireNonNull(status, "status");
        return reasonNameOf(errorInfo(details(status, trailers)));
    }

    /** The status details carried in {@code trailers}, or null when there are none or they cannot be read. */
    private static com.google.rpc.Status details(Status status, Metadata trailers) {
        if (trailers == null) {
            return null;
        }
        try {
            return StatusProto.fromStatusAndTrailers(status, trailers);
        } catch (RuntimeException e) {
            return null; // unreadable details: keep the status alone
        }
    }

    /** The first readable {@code ErrorInfo} of {@code details} (an unreadable one tells nothing), or null. */
    private static ErrorInfo errorInfo(com.google.rpc.Status details) {
        if (details != null) {
            for (Any any : details.getDetailsList()) {
                if (any.is(ErrorInfo.class)) {
                    try {
                        return any.unpack(ErrorInfo.class);
                    } catch (InvalidProtocolBufferException e) {
                        // the next ErrorInfo may be readable
                    }
                }
            }
        }
        return null;
    }

    /** The reason text of {@code info} when it is Formica's ({@link #DOMAIN}), else empty. */
    private static String reasonNameOf(ErrorInfo info) {
        return info == null || !DOMAIN.equals(info.getDomain()) ? "" : info.getReason();
    }

    /**
     * {@code error} as a FormicaException: itself when it is one, else its status and trailers (a
     * {@link StatusRuntimeException} or {@link StatusException} anywhere in its causes; UNKNOWN otherwise).
     */
    public static FormicaException of(Throwable error) {
        Objects.requireNonNull(error, "error");
        if (error instanceof FormicaException f) {
            return f;
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException sre) {
                return of(sre.getStatus(), sre.getTrailers());
            }
            if (t instanceof StatusException se) {
                return of(se.getStatus(), se.getTrailers());
            }
        }
        return of(Status.fromThrowable(error), null);
    }

    /** The refusal of one request of a DecideStream ({@code DecisionResponse.error}), with its details. */
    public static FormicaException of(DecisionError error) {
        Objects.requireNonNull(error, "error");
        Status status = Status.fromCodeValue(error.getCode()).withDescription(error.getMessage());
        com.google.rpc.Status details = com.google.rpc.Status.newBuilder().setCode(error.getCode())
                .setMessage(error.getMessage()).addAllDetails(error.getDetailsList()).build();
        return new FormicaException(status, null, details);
    }

    /** The status code. */
    public Status.Code code() {
        return getStatus().getCode();
    }

    /**
     * Why, as a stable reason: {@link ErrorReason#ERROR_REASON_UNSPECIFIED} when the failure carries none (not
     * from a Formica server's refusal), {@link ErrorReason#UNRECOGNIZED} when this client does not know it yet.
     */
    public ErrorReason reason() {
        return reason;
    }

    /** The {@code ErrorInfo.reason} text as sent ({@code "PROFILE_NOT_FOUND"}); empty when there is none. */
    public String reasonName() {
        return reasonName;
    }

    /** The {@code ErrorInfo.metadata} (for example {@code partition}, {@code owner_address}); empty when none. */
    public Map<String, String> errorMetadata() {
        return errorMetadata;
    }

    /** Every bad field of the refused request (INVALID_ARGUMENT), in the request's field order; empty otherwise. */
    public List<FieldViolation> fieldViolations() {
        return fieldViolations;
    }

    /** How long the server asks the caller to wait before retrying; empty when it did not say (do not assume). */
    public Optional<Duration> retryDelay() {
        return Optional.ofNullable(retryDelay);
    }

    /**
     * Whether the same request may succeed when sent again (with the same request_id): UNAVAILABLE and
     * RESOURCE_EXHAUSTED except a full block list, and a redirect to the partition's owner (send it there).
     */
    public boolean isRetryable() {
        if (reason == ErrorReason.BLOCK_LIST_FULL) {
            return false;
        }
        return RetryPolicy.isRetryable(code()) || reason == ErrorReason.PARTITION_NOT_OWNED;
    }

    private static ErrorReason reasonOf(String name) {
        if (name.isEmpty()) {
            return ErrorReason.ERROR_REASON_UNSPECIFIED;
        }
        try {
            ErrorReason r = ErrorReason.valueOf(name);
            return r == ErrorReason.UNRECOGNIZED ? ErrorReason.UNRECOGNIZED : r;
        } catch (IllegalArgumentException e) {
            return ErrorReason.UNRECOGNIZED;
        }
    }

    private static Duration pushback(String millis) {
        if (millis == null) {
            return null;
        }
        try {
            long ms = Long.parseLong(millis.strip());
            // gRFC A6: a negative pushback means "do not retry"; treat as no advice here
            return ms >= 0 ? Duration.ofMillis(ms) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public String getMessage() {
        StringBuilder b = new StringBuilder(super.getMessage());
        if (!reasonName.isEmpty()) {
            b.append(" [").append(reasonName).append(']');
        }
        return b.toString();
    }
}
