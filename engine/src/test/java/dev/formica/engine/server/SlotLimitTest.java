package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The adaptive admission limit on an injected clock: it rises while the round trips stay near their long-run
 * average and the slots are used, falls when the round trips rise, and stays inside its floor and ceiling.
 */
class SlotLimitTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The test's clock, in nanoseconds; only the test moves it. */
    private long now = 1_000 * MS;
    private final SlotLimit limit = SlotLimit.adaptive(16, 64, () -> now);

    @Test
    void shouldRaiseTheLimitWhileRoundTripsStayLowAndTheSlotsAreUsed() {
        assertEquals(16, limit.current(), "starts at its floor");
        int last = limit.current();
        int rises = 0;
        for (int w = 0; w < 80; w++) {
            window(MS, limit.current());
            assertTrue(limit.current() >= last, "never falls while round trips stay at 1 ms: " + limit.current());
            rises += limit.current() > last ? 1 : 0;
            last = limit.current();
        }
        assertEquals(64, limit.current(), "reached its ceiling, and no further");
        assertTrue(rises >= 10, "rose step by step, " + rises + " times");
    }

    @Test
    void shouldCutTheLimitWhenRoundTripsRiseAndNotBelowItsFloor() {
        for (int w = 0; w < 80; w++) {
            window(MS, limit.current());
        }
        assertEquals(64, limit.current());
        window(10 * MS, limit.current());
        window(10 * MS, limit.current()); // a window counts when the next one's first answer comes
        int afterOne = limit.current();
        assertTrue(afterOne < 64, "one window of 10 ms round trips cut it: " + afterOne);
        int last = afterOne;
        for (int w = 0; w < 40; w++) {
            window(10 * MS, limit.current());
            assertTrue(limit.current() <= last, "does not rise while round trips stay high: " + limit.current());
            last = limit.current();
        }
        assertEquals(16, limit.current(), "down to its floor and no further");
    }

    @Test
    void shouldNotRaiseTheLimitWhileFewerThanHalfTheSlotsAreUsed() {
        for (int w = 0; w < 40; w++) {
            window(MS, 7);
        }
        assertEquals(16, limit.current(), "7 calls in flight never tested 16 slots");
    }

    @Test
    void shouldKeepAFixedLimitAndReadNoClock() {
        SlotLimit fixed = SlotLimit.fixed(128);
        assertFalse(fixed.isAdaptive());
        assertEquals(0, fixed.now());
        for (int i = 0; i < 1_000; i++) {
            fixed.answered(0, 128);
        }
        assertEquals(128, fixed.current());
        assertThrows(IllegalArgumentException.class, () -> SlotLimit.fixed(0));
        assertThrows(IllegalArgumentException.class, () -> SlotLimit.adaptive(32, 16, () -> 0));
    }

    /**
     * One sampling window: 20 calls admitted with {@code inFlight} in flight, each answered {@code rtt} later, then
     * the clock moves past the window (the library's windows last at least 100 ms).
     */
    private void window(long rtt, int inFlight) {
        for (int i = 0; i < 20; i++) {
            long admitted = now;
            now += rtt;
            limit.answered(admitted, inFlight);
            now -= rtt - 1_000; // the next call was admitted 1 us later
        }
        now += 101 * MS;
    }
}
