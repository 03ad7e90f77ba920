package dev.formica.engine.server;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.WindowedLimit;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How many Decide calls {@link AdmissionInterceptor} lets in at once: a fixed count, or one that Netflix's
 * concurrency-limits moves by the admitted calls' round trips ({@code admissionLimit: ADAPTIVE}).
 *
 * <p>The adaptive limit is the library's {@link Gradient2Limit} behind its {@link WindowedLimit}: each answered call
 * is a sample (its round trip from its request's arrival to its answer, and the calls in flight when it was
 * admitted); every window of at least 100 ms (the library's floor) the gradient compares the window's average round
 * trip with its long-run average (an exponential average over 600 windows): within 1.5 times it the limit grows by
 * a fifth of the square root of itself, beyond it the limit shrinks by up to a tenth; it does not grow while fewer
 * than half its slots were used. Its floor is {@code maxInFlightDecisions}, so under a flood it refuses no later than
 * the fixed limit does; its ceiling {@code admissionLimitMax}. The library's {@code SimpleLimiter} is not used: it
 * would count the calls a second time and allocate an {@code Optional} and a listener per call; the interceptor's
 * own counter and its per-call slot carry what a sample needs. What the window still allocates per sample (its
 * immutable sample window and the updating lambda) is in the perf note.
 *
 * <p>Public for {@code AdmissionLimitBenchmark} (what a sample costs); the server uses it through
 * {@link AdmissionInterceptor}.
 *
 * <p>Thread contract: any thread; {@link #current()} reads a volatile, {@link #answered} and {@link #dropped} are
 * the library's (a compare-and-set per sample, a lock once per window).
 */
public final class SlotLimit {
    private static final long MIN_WINDOW_MS = 100;
    /** Round trips shorter than this are still samples (the library's default drops those under 100 us). */
    private static final long MIN_RTT_NANOS = 1_000;
    private static final double RTT_TOLERANCE = 1.5;

    private final int fixed;
    private final int ceiling;
    /** Null for a fixed limit. */
    private final Limit adaptive;
    private final LongSupplier nanoClock;

    private SlotLimit(int fixed, int ceiling, Limit adaptive, LongSupplier nanoClock) {
        this.fixed = fixed;
        this.ceiling = ceiling;
        this.adaptive = adaptive;
        this.nanoClock = nanoClock;
    }

    /** Always {@code limit} calls at once; no clock is read. */
    public static SlotLimit fixed(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        return new SlotLimit(limit, limit, null, null);
    }

    /**
     * Starts at {@code floor} and moves between {@code floor} and {@code ceiling} by the round trips measured with
     * {@code nanoClock} (System::nanoTime; tests pass their own).
     */
    public static SlotLimit adaptive(int floor, int ceiling, LongSupplier nanoClock) {
        if (floor < 1 || ceiling < floor) {
            throw new IllegalArgumentException("need 1 <= floor <= ceiling, was " + floor + ".." + ceiling);
        }
        Gradient2Limit gradient = Gradient2Limit.newBuilder()
                .initialLimit(floor)
                .minLimit(floor)
                .maxConcurrency(ceiling)
                .queueSizeFunction(limit -> Math.max(4, (int) Math.sqrt(limit)))
                .rttTolerance(RTT_TOLERANCE)
                .build();
        Limit windowed = WindowedLimit.newBuilder()
                .minWindowTime(MIN_WINDOW_MS, TimeUnit.MILLISECONDS)
                .maxWindowTime(MIN_WINDOW_MS, TimeUnit.MILLISECONDS)
                .minRttThreshold(MIN_RTT_NANOS, TimeUnit.NANOSECONDS)
                .build(gradient);
        return new SlotLimit(floor, ceiling, windowed, nanoClock);
    }

    /** The calls admitted at once now. */
    public int current() {
        return adaptive == null ? fixed : adaptive.getLimit();
    }

    /** The most {@link #current()} can be. */
    public int ceiling() {
        return ceiling;
    }

    public boolean isAdaptive() {
        return adaptive != null;
    }

    /** The clock a call's admission is timed with; 0 for a fixed limit (nothing is measured). */
    public long now() {
        return adaptive == null ? 0 : nanoClock.getAsLong();
    }

    /** A call admitted at {@code admittedAt} with {@code inFlight} calls (itself included) was answered. */
    public void answered(long admittedAt, int inFlight) {
        sample(admittedAt, inFlight, false);
    }

    /** A call admitted at {@code admittedAt} ended unanswered (its caller cancelled it or its deadline passed). */
    public void dropped(long admittedAt, int inFlight) {
        sample(admittedAt, inFlight, true);
    }

    private void sample(long admittedAt, int inFlight, boolean dropped) {
        if (adaptive != null) {
            adaptive.onSample(admittedAt, Math.max(1, nanoClock.getAsLong() - admittedAt), inFlight, dropped);
        }
    }
}
