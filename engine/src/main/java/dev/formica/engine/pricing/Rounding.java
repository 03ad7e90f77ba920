package dev.formica.engine.pricing;

/** Exact integer rounding for minor-unit arithmetic. Stateless. */
final class Rounding {
    private Rounding() {
    }

    /** {@code numerator / denominator} rounded half to even; both ≥ 0 (denominator > 0). */
    static long divideHalfEven(long numerator, long denominator) {
        long quotient = numerator / denominator;
        long twice = 2 * (numerator - quotient * denominator);
        if (twice > denominator || (twice == denominator && (quotient & 1) == 1)) {
            quotient++;
        }
        return quotient;
    }
}
