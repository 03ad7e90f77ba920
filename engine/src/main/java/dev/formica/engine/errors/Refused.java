package dev.formica.engine.errors;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal of one request by the engine: a {@link DomainError}, the message the caller reads, and what a program
 * may need to act on it (the bad fields, key/value metadata, a retry delay). Thrown by the shard's commands and
 * handed to a {@code Sink}; the server turns it into the gRPC status its clients see ({@code server/GrpcErrors}).
 *
 * <p>No stack trace: a refusal is an answer, not a bug, and it is made on the shard thread.
 *
 * <p>Thread contract: filled in by the thread that makes it, before it is thrown or handed on; read-only after.
 */
public final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final DomainError error;
    private final transient FieldViolations violations;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private long retryAfterMs = -1;

    private Refused(DomainError error, String message, FieldViolations violations) {
        super(message, null, false, false);
        this.error = error;
        this.violations = violations;
    }

    /** A refusal with only a reason and a message. */
    public static Refused of(DomainError error, String message) {
        return new Refused(error, message, null);
    }

    /** {@link DomainError#INVALID_FIELD}: the first violation as message, all of them as the bad fields. */
    public static Refused invalid(FieldViolations violations) {
        return new Refused(DomainError.INVALID_FIELD, violations.message(), violations);
    }

    /** {@link DomainError#INVALID_FIELD} for one {@code "field: rule"}. */
    public static Refused invalid(String violation) {
        return invalid(FieldViolations.of(violation));
    }

    /** {@code error} (an INVALID_ARGUMENT kind of refusal) naming one bad field in the message and the fields. */
    public static Refused invalid(DomainError error, String violation) {
        FieldViolations v = FieldViolations.of(violation);
        return new Refused(error, v.message(), v);
    }

    /** {@code error} that is worth a retry after {@code retryAfterMs} (load shedding). */
    public static Refused shed(DomainError error, String message, long retryAfterMs) {
        return of(error, message).retryAfterMillis(retryAfterMs);
    }

    /**
     * This refusal with {@code prefix} put before the path of each bad field it names ({@code "profile."}: the check
     * of a profile names {@code market}, a field of Upsert's request is {@code profile.market}); this one when it names
     * no field. Reason, metadata and retry advice are kept.
     */
    public Refused withFieldPrefix(String prefix) {
        if (violations == null || prefix.isEmpty()) {
            return this;
        }
        FieldViolations prefixed = null;
        for (String violation : violations.all()) {
            prefixed = FieldViolations.add(prefixed, prefix + violation);
        }
        Refused refused = new Refused(error, prefixed.message(), prefixed);
        refused.metadata.putAll(metadata);
        refused.retryAfterMs = retryAfterMs;
        return refused;
    }

    /** Adds a metadata entry (lower_snake_case key; never personal data); returns this. */
    public Refused metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Asks the caller to retry after {@code delayMs}; returns this. */
    public Refused retryAfterMillis(long delayMs) {
        if (delayMs < 0) {
            throw new IllegalArgumentException("retry delay must be >= 0 ms, was " + delayMs);
        }
        this.retryAfterMs = delayMs;
        return this;
    }

    public DomainError error() {
        return error;
    }

    /** The bad fields, or null when the refusal names none. */
    public FieldViolations violations() {
        return violations;
    }

    /** The metadata entries, in the order they were added. */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Milliseconds the caller should wait before retrying; -1 = no retry advice. */
    public long retryAfterMs() {
        return retryAfterMs;
    }

    @Override
    public String toString() {
        return error + ": " + getMessage();
    }
}
