package dev.formica.engine.pricing;

/**
 * The internal rate of return of a loan's cash flows and its annualised form. Stateless.
 *
 * <p>The borrower receives {@code advance} at month 0 and pays {@code payments[k]} at month {@code k}
 * ({@code k = 1..n}). The monthly IRR {@code i} solves {@code advance = Σ payments[k] / (1 + i)^k}; it is solved
 * on {@code double} (a rate, never money) by Newton's method inside a bisection bracket, which it falls back to
 * whenever a Newton step leaves the bracket, until a step moves {@code i} by less than 1e-13 (far below
 * 0.01 bp a year).
 */
final class AnnualisedRate {
    private static final double TOLERANCE = 1e-13;
    private static final int MAX_ITERATIONS = 200;

    private AnnualisedRate() {
    }

    /**
     * Monthly IRR; 0 when the payments add up to the advance. Requires {@code advance > 0} and
     * {@code Σ payments ≥ advance} (a loan never pays the borrower back more than it lends).
     */
    static double monthlyIrr(long advance, long[] payments, int n) {
        long paid = 0;
        for (int k = 1; k <= n; k++) {
            paid += payments[k];
        }
        if (paid <= advance) {
            return 0;
        }
        double lo = 0;
        double hi = 1;
        while (npv(advance, payments, n, hi) < 0) {
            lo = hi;
            hi *= 2;
            if (hi > 1e6) {
                return hi; // a rate beyond any display: the caller saturates the bps
            }
        }
        // first guess: simple interest on the average balance, roughly cost / (advance × n / 2)
        double i = Math.min(hi, Math.max(lo, 2.0 * (paid - advance) / ((double) advance * (n + 1))));
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            double v = 1 / (1 + i);
            double discount = 1;
            double value = advance;
            double slope = 0;
            for (int k = 1; k <= n; k++) {
                discount *= v;
                value -= payments[k] * discount;
                slope += k * payments[k] * discount * v;
            }
            if (value < 0) {
                lo = i;
            } else {
                hi = i;
            }
            double next = i - value / slope;
            if (!(next > lo && next < hi)) {
                next = (lo + hi) / 2;
            }
            if (Math.abs(next - i) < TOLERANCE || hi - lo < TOLERANCE) {
                return next;
            }
            i = next;
        }
        return i;
    }

    /** Advance minus the present value of the payments at monthly rate {@code i}; rises with {@code i}. */
    static double npv(long advance, long[] payments, int n, double i) {
        double v = 1 / (1 + i);
        double discount = 1;
        double value = advance;
        for (int k = 1; k <= n; k++) {
            discount *= v;
            value -= payments[k] * discount;
        }
        return value;
    }

    /** {@code (1 + monthly)^12 − 1}: the effective (compound) annual rate. */
    static double effectiveAnnual(double monthly) {
        return Math.pow(1 + monthly, 12) - 1;
    }

    /** A rate as basis points, rounded half-even, saturated to the int range. */
    static int toBps(double rate) {
        double bps = Math.rint(rate * 10_000);
        return bps >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) bps;
    }
}
