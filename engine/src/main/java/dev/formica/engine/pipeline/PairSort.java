package dev.formica.engine.pipeline;

/**
 * Sorts pairs of longs held in two parallel arrays by the first, then the second, without an object per pair
 * (the start-up's expiry and removal queues: 1.5 M holds of a shard sorted as {@code long[2]}s took a boxed array
 * each and a comparator call per comparison).
 *
 * <p>Thread contract: static, no shared state.
 */
final class PairSort {
    private static final int INSERTION = 24;

    private PairSort() {
    }

    /** Sorts {@code keys[0..n)} ascending, {@code values} moved with them; equal keys by ascending value. */
    static void sort(long[] keys, long[] values, int n) {
        if (n > keys.length || n > values.length) {
            throw new IllegalArgumentException("n must be at most the arrays' lengths, was " + n);
        }
        quicksort(keys, values, 0, n - 1);
    }

    private static void quicksort(long[] k, long[] v, int lo, int hi) {
        while (hi - lo >= INSERTION) {
            int mid = (lo + hi) >>> 1;
            // median of three as the pivot
            if (less(k, v, mid, lo)) {
                swap(k, v, mid, lo);
            }
            if (less(k, v, hi, lo)) {
                swap(k, v, hi, lo);
            }
            if (less(k, v, hi, mid)) {
                swap(k, v, hi, mid);
            }
            long pk = k[mid];
            long pv = v[mid];
            int i = lo;
            int j = hi;
            while (i <= j) { // Hoare's partition: equal pairs split evenly
                while (compare(k[i], v[i], pk, pv) < 0) {
                    i++;
                }
                while (compare(k[j], v[j], pk, pv) > 0) {
                    j--;
                }
                if (i <= j) {
                    swap(k, v, i++, j--);
                }
            }
            // recurse into the smaller side, loop on the larger: stack depth at most log2(n)
            if (j - lo < hi - i) {
                quicksort(k, v, lo, j);
                lo = i;
            } else {
                quicksort(k, v, i, hi);
                hi = j;
            }
        }
        for (int a = lo + 1; a <= hi; a++) {
            long ka = k[a];
            long va = v[a];
            int b = a - 1;
            while (b >= lo && compare(k[b], v[b], ka, va) > 0) {
                k[b + 1] = k[b];
                v[b + 1] = v[b];
                b--;
            }
            k[b + 1] = ka;
            v[b + 1] = va;
        }
    }

    private static int compare(long ka, long va, long kb, long vb) {
        int c = Long.compare(ka, kb);
        return c != 0 ? c : Long.compare(va, vb);
    }

    private static boolean less(long[] k, long[] v, int a, int b) {
        return compare(k[a], v[a], k[b], v[b]) < 0;
    }

    private static void swap(long[] k, long[] v, int a, int b) {
        long t = k[a];
        k[a] = k[b];
        k[b] = t;
        t = v[a];
        v[a] = v[b];
        v[b] = t;
    }
}
