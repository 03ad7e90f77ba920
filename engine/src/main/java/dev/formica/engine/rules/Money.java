package dev.formica.engine.rules;

/** Overflow-safe money arithmetic on minor units and basis points. */
public final class Money {
    private Money() {
    }

    /** {@code amount × bps / 10000}, rounded down, saturating at Long.MAX_VALUE instead of overflowing. */
    public static long applyBps(long amountMinor, long bps) {
        long hi = Math.multiplyHigh(amountMinor, bps);
        long lo = amountMinor * bps;
        if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) {
            return Math.floorDiv(lo, 10_000L);
        }
        return amountMinor >= 0 == bps >= 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }

    /** a + b, saturating. */
    public static long add(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }
}
