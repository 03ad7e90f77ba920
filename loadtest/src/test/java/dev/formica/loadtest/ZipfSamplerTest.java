package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZipfSamplerTest {
    private static int[] histogram(ZipfSampler z, long seed, int draws) {
        int[] counts = new int[z.size()];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < draws; i++) {
            counts[z.sample(random)]++;
        }
        return counts;
    }

    @Test
    void shouldMakeRankOneTheMostFrequent() {
        int[] counts = histogram(new ZipfSampler(1000, 1.0), 7, 200_000);
        for (int k = 1; k < counts.length; k++) {
            assertTrue(counts[0] > counts[k], "rank " + k + " beat rank 0");
        }
        assertTrue(counts[1] > counts[10] && counts[10] > counts[500]);
        // with exponent 1, rank 1 is drawn about twice as often as rank 2
        double ratio = (double) counts[0] / counts[1];
        assertTrue(ratio > 1.8 && ratio < 2.2, "ratio " + ratio);
        // and about 1/H(1000) = 13.4 % of all draws
        assertEquals(0.134, counts[0] / 200_000.0, 0.01);
    }

    @Test
    void shouldBeUniformWithExponentZero() {
        int[] counts = histogram(new ZipfSampler(10, 0.0), 3, 100_000);
        for (int c : counts) {
            assertEquals(10_000, c, 600);
        }
    }

    @Test
    void shouldRepeatForTheSameSeed() {
        ZipfSampler z = new ZipfSampler(5000, 1.2);
        assertArrayEquals(histogram(z, 99, 10_000), histogram(z, 99, 10_000));
        assertTrue(!java.util.Arrays.equals(histogram(z, 99, 10_000), histogram(z, 100, 10_000)));
    }

    @Test
    void shouldMapTheEdgesOfTheUnitInterval() {
        ZipfSampler z = new ZipfSampler(100, 1.0);
        assertEquals(0, z.rankOf(0.0));
        assertEquals(99, z.rankOf(0.9999999999));
    }
}
