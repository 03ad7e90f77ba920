package dev.formica.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link FormicaClient} retries a unary call: capped exponential backoff with full jitter.
 *
 * <p>Immutable and thread-safe; share one instance between clients. Only {@code UNAVAILABLE} and
 * {@code RESOURCE_EXHAUSTED} are ever retried: the server answers both before changing state or
 * replays by request_id, while every other code (INVALID_ARGUMENT, FAILED_PRECONDITION, ...) would
 * come back the same. Retries also stop when the next backoff would end past the call's deadline.
 */
public final class RetryPolicy {
    /** Attempts including the first, unless set. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** Upper bound of the first backoff, unless set. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(20);
    /** Upper bound of any backoff, unless set. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(1);
    /** Growth of the backoff bound per retry, unless set. */
    public static final double DEFAULT_MULTIPLIER = 2.0;

    private static final RetryPolicy DEFAULTS = builder().build();
    private static final RetryPolicy NONE = builder().maxAttempts(1).build();

    private final int maxAttempts;
    private final long initialBackoffNanos;
    private final long maxBackoffNanos;
    private final double multiplier;

    private RetryPolicy(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoffNanos = builder.initialBackoff.toNanos();
        this.maxBackoffNanos = builder.maxBackoff.toNanos();
        this.multiplier = builder.multiplier;
    }

    /** The defaults: 4 attempts, backoff bound 20 ms doubling up to 1 s. */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /** One attempt, no retries. */
    public static RetryPolicy none() {
        return NONE;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Attempts including the first; 1 means no retries. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** Upper bound of the first backoff. */
    public Duration initialBackoff() {
        return Duration.ofNanos(initialBackoffNanos);
    }

    /** Upper bound of any backoff. */
    public Duration maxBackoff() {
        return Duration.ofNanos(maxBackoffNanos);
    }

    /** Growth of the backoff bound per retry. */
    public double multiplier() {
        return multiplier;
    }

    /** True for the codes worth another attempt with the same request: UNAVAILABLE, RESOURCE_EXHAUSTED. */
    public static boolean isRetryable(Status.Code code) {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
    }

    /**
     * The wait before retry number {@code retry} (1 = after the first failed attempt), full jitter:
     * {@code random * min(maxBackoff, initialBackoff * multiplier^(retry - 1))}.
     *
     * @param random uniform in [0, 1), passed in so tests can pin it
     */
    long backoffNanos(int retry, double random) {
        double bound = initialBackoffNanos * Math.pow(multiplier, retry - 1);
        double capped = Math.min(bound, maxBackoffNanos);
        return (long) (random * capped);
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff()
                + ", maxBackoff=" + maxBackoff() + ", multiplier=" + multiplier + '}';
    }

    /** Collects the settings of a {@link RetryPolicy}; not thread-safe. Each setter validates at once. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private double multiplier = DEFAULT_MULTIPLIER;

        private Builder() {
        }

        /** Attempts including the first, >= 1. */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be >= 1 (1 = no retries), got " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Upper bound of the first backoff, > 0. */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = positive(initialBackoff, "initialBackoff");
            return this;
        }

        /** Upper bound of any backoff, > 0 and >= initialBackoff (checked in build). */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = positive(maxBackoff, "maxBackoff");
            return this;
        }

        /** Growth of the backoff bound per retry, finite and >= 1. */
        public Builder multiplier(double multiplier) {
            if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("multiplier must be finite and >= 1, got " + multiplier);
            }
            this.multiplier = multiplier;
            return this;
        }

        /** The policy; fails when maxBackoff is below initialBackoff. */
        public RetryPolicy build() {
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalStateException("maxBackoff (" + maxBackoff + ") is below initialBackoff ("
                        + initialBackoff + "): raise maxBackoff or lower initialBackoff");
            }
            return new RetryPolicy(this);
        }

        private static Duration positive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be > 0, got " + value);
            }
            return value;
        }
    }
}
