package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PairSortTest {

    @Test
    void shouldOrderPairsByKeyThenValueAsASortOfPairObjectsDoes() {
        SplittableRandom random = new SplittableRandom(19);
        for (int size : new int[] {0, 1, 2, 23, 24, 25, 1000, 100_000}) {
            for (int keyRange : new int[] {1, 3, 1000, Integer.MAX_VALUE}) {
                long[] keys = new long[size];
                long[] values = new long[size];
                long[][] pairs = new long[size][];
                for (int i = 0; i < size; i++) {
                    keys[i] = random.nextInt(keyRange) - keyRange / 2;
                    values[i] = random.nextLong();
                    pairs[i] = new long[] {keys[i], values[i]};
                }
                Arrays.sort(pairs, Comparator.<long[]>comparingLong(p -> p[0]).thenComparingLong(p -> p[1]));
                PairSort.sort(keys, values, size);
                for (int i = 0; i < size; i++) {
                    assertArrayEquals(pairs[i], new long[] {keys[i], values[i]}, "size " + size + ", range "
                            + keyRange + ", index " + i);
                }
            }
        }
    }

    @Test
    void shouldSortOnlyTheFirstNAndHandleSortedAndReversedInput() {
        long[] keys = {5, 4, 3, 2, 1, 0};
        long[] values = {0, 1, 2, 3, 4, 5};
        PairSort.sort(keys, values, 4);
        assertArrayEquals(new long[] {2, 3, 4, 5, 1, 0}, keys);
        assertArrayEquals(new long[] {3, 2, 1, 0, 4, 5}, values);

        int n = 50_000;
        long[] descending = new long[n];
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            descending[i] = n - i;
            ids[i] = i;
        }
        PairSort.sort(descending, ids, n);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(new long[] {i + 1, n - 1 - i}, new long[] {descending[i], ids[i]});
        }
        PairSort.sort(descending, ids, n); // already sorted
        assertArrayEquals(new long[] {1, n - 1}, new long[] {descending[0], ids[0]});
    }

    @Test
    void shouldRefuseACountBeyondTheArrays() {
        assertThrows(IllegalArgumentException.class, () -> PairSort.sort(new long[2], new long[3], 3));
    }
}
