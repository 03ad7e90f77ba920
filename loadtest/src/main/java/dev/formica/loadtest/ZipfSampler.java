package dev.formica.loadtest;

import java.util.SplittableRandom;

/**
 * Draws ranks 0..n-1 with Zipf popularity: rank {@code k} (0-based) has weight {@code 1/(k+1)^s},
 * so rank 0 is the most popular. Built once (O(n) doubles), sampled by binary search.
 *
 * <p>Immutable and thread-safe; the randomness comes from the caller's generator, so a seeded
 * generator gives a repeatable sequence.
 */
public final class ZipfSampler {
    private final double[] cumulative;

    public ZipfSampler(int n, double exponent) {
        if (n < 1) {
            throw new IllegalArgumentException("borrowers: must be >= 1, was " + n);
        }
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new IllegalArgumentException("zipf: exponent must be >= 0, was " + exponent);
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1.0 / Math.pow(k + 1, exponent);
            cumulative[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cumulative[k] /= sum;
        }
        cumulative[n - 1] = 1.0;
    }

    /** The number of ranks. */
    public int size() {
        return cumulative.length;
    }

    /** The rank drawn by the next value of {@code random}. */
    public int sample(SplittableRandom random) {
        return rankOf(random.nextDouble());
    }

    /** The rank at cumulative probability {@code u} in [0, 1). */
    public int rankOf(double u) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
