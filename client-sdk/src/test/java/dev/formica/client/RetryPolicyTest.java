package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Backoff arithmetic and which codes are retried. */
class RetryPolicyTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldHaveTheDocumentedDefaults() {
        RetryPolicy p = RetryPolicy.defaults();
        assertEquals(4, p.maxAttempts());
        assertEquals(Duration.ofMillis(20), p.initialBackoff());
        assertEquals(Duration.ofSeconds(1), p.maxBackoff());
        assertEquals(2.0, p.multiplier());
        assertEquals(1, RetryPolicy.none().maxAttempts());
    }

    @Test
    void shouldGrowTheBackoffBoundExponentiallyUpToTheCap() {
        RetryPolicy p = RetryPolicy.defaults();
        // random just below 1 shows the bound: 20, 40, 80 ms ... capped at 1 s.
        double top = Math.nextDown(1.0);
        assertEquals(20 * MS, p.backoffNanos(1, top), MS / 1000.0);
        assertEquals(40 * MS, p.backoffNanos(2, top), MS / 1000.0);
        assertEquals(80 * MS, p.backoffNanos(3, top), MS / 1000.0);
        assertEquals(1000 * MS, p.backoffNanos(10, top), MS / 1000.0);
        assertEquals(1000 * MS, p.backoffNanos(200, top), MS / 1000.0);
    }

    @Test
    void shouldJitterOverTheWholeRange() {
        RetryPolicy p = RetryPolicy.defaults();
        assertEquals(0, p.backoffNanos(3, 0.0));
        assertEquals(40 * MS, p.backoffNanos(3, 0.5));
    }

    @Test
    void shouldRetryOnlyUnavailableAndResourceExhausted() {
        for (Status.Code code : Status.Code.values()) {
            boolean expected = code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
            assertEquals(expected, RetryPolicy.isRetryable(code), code.name());
        }
        assertTrue(RetryPolicy.isRetryable(Status.Code.UNAVAILABLE));
        assertFalse(RetryPolicy.isRetryable(Status.Code.INVALID_ARGUMENT));
    }
}
