package dev.formica.engine.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A reported double's text in a reason value: what {@code String.format(Locale.ROOT, "%.2f", v)} writes. */
class ScorecardRenderTest {

    private static void assertFormattedLikeTheFormatter(double v) {
        StringBuilder out = new StringBuilder("x=");
        Scorecard.appendTwoDecimals(v, out);
        assertEquals("x=" + String.format(Locale.ROOT, "%.2f", v), out.toString(), "value " + v);
    }

    @Test
    void shouldWriteTwoDecimalsAsTheFormatterDoesForTiesSignsAndEdges() {
        double[] edges = {0.0, -0.0, 0.001, -0.001, 0.004999, 0.005, 0.015, 0.125, -0.125, 1.005, 2.675, 1.115, 4.0,
            4.005, 9.995, 99.995, 0.5, 0.05, 1e-9, -1e-9, 123456.785, 9_999_999.994, 9_999_999.995, 1e7, -1e7, 3.5e12,
            Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY};
        for (double v : edges) {
            assertFormattedLikeTheFormatter(v);
        }
        for (int cents = -100_000; cents <= 100_000; cents++) {
            assertFormattedLikeTheFormatter(cents / 100.0); // exact hundredths
            assertFormattedLikeTheFormatter(cents / 100.0 + 0.005); // halves, as the nearest doubles
            assertFormattedLikeTheFormatter(cents / 1000.0);
        }
    }

    @Test
    void shouldWriteRandomDoublesAsTheFormatterDoes() {
        SplittableRandom random = new SplittableRandom(19);
        for (int i = 0; i < 200_000; i++) {
            double scale = Math.pow(10, random.nextInt(-4, 9));
            double v = (random.nextDouble() * 2 - 1) * scale;
            assertFormattedLikeTheFormatter(v);
            assertFormattedLikeTheFormatter(Math.round(v * 1000) / 1000.0); // three decimals: ties near every step
        }
    }
}
