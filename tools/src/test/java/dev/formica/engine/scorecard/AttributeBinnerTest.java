package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Binning: quantile pre-bins, merging for size and for a monotone WoE, nominal grouping, missing values. */
class AttributeBinnerTest {
    private static final AttributeBinner.Options TEN_BINS = new AttributeBinner.Options(10, 0.05, true, 0.5);

    /** 100 rows with values 0..99; in the tens-block {@code b} the first {@code goodsPerBlock[b]} rows are good. */
    private static boolean[] labels(int[] goodsPerBlock) {
        boolean[] good = new boolean[100];
        for (int i = 0; i < 100; i++) {
            good[i] = i % 10 < goodsPerBlock[i / 10];
        }
        return good;
    }

    private static int[] all(int n) {
        return IntStream.range(0, n).toArray();
    }

    @Test
    void shouldCutAtQuantilesAndMergeBinsThatBreakTheTrend() {
        double[] values = IntStream.range(0, 100).asDoubleStream().toArray();
        boolean[] good = labels(new int[] {2, 4, 3, 5, 6, 5, 7, 8, 9, 9});
        AttributeBinning b = AttributeBinner.numeric("x", "x", FittedFeatureType.INT, values, all(100), good, TEN_BINS);
        // the dips at blocks 2 and 5 are pooled into their left neighbours (equal WoE, as in blocks 8 and 9, is
        // not a break)
        assertArrayEquals(new double[] {10, 30, 40, 60, 70, 80, 90}, b.upperBounds());
        for (int i = 1; i < b.binCount(); i++) {
            assertTrue(b.woe(i) >= b.woe(i - 1), "WoE rises: " + b.woe(i - 1) + " then " + b.woe(i));
        }
        assertEquals(7, b.goods(1));
        assertEquals(13, b.bads(1));
        assertEquals(0, b.binOf(9.0));
        assertEquals(1, b.binOf(10.0));
        assertEquals(b.woe(b.binCount() - 1), b.encode(99.0));
        assertTrue(b.informationValue() > 0.3, "a strong trend has a high IV: " + b.informationValue());
    }

    @Test
    void shouldFollowAFallingTrendWhenThatKeepsMoreInformation() {
        double[] values = IntStream.range(0, 100).asDoubleStream().toArray();
        boolean[] good = labels(new int[] {9, 9, 8, 8, 7, 7, 6, 5, 6, 2});
        AttributeBinning b = AttributeBinner.numeric("x", "x", FittedFeatureType.INT, values, all(100), good, TEN_BINS);
        for (int i = 1; i < b.binCount(); i++) {
            assertTrue(b.woe(i) <= b.woe(i - 1), "WoE falls");
        }
        assertEquals(90, b.upperBounds()[b.binCount() - 2], 0, "the steep last block stays its own bin");
    }

    @Test
    void shouldMergeBinsBelowTheMinimumShare() {
        double[] values = IntStream.range(0, 100).asDoubleStream().toArray();
        boolean[] good = labels(new int[] {1, 9, 1, 9, 1, 9, 1, 9, 1, 9});
        var options = new AttributeBinner.Options(10, 0.25, false, 0.5);
        AttributeBinning b = AttributeBinner.numeric("x", "x", FittedFeatureType.INT, values, all(100), good, options);
        for (int i = 0; i < b.binCount(); i++) {
            assertTrue(b.goods(i) + b.bads(i) >= 25, "bin " + i + " holds at least 25 % of the rows");
        }
    }

    @Test
    void shouldCutTiedValuesOnlyBetweenDistinctValues() {
        // 60 rows of 1, 40 rows of 2: quantile cuts collapse onto the single boundary 2
        double[] values = IntStream.range(0, 100).mapToDouble(i -> i < 60 ? 1 : 2).toArray();
        boolean[] good = IntStream.range(0, 100).collect(() -> new boolean[100], (a, i) -> a[i] = i % 3 != 0,
                (a, c) -> { });
        var options = new AttributeBinner.Options(10, 0.05, false, 0.5);
        AttributeBinning b = AttributeBinner.numeric("x", "x", FittedFeatureType.INT, values, all(100), good, options);
        assertArrayEquals(new double[] {2}, b.upperBounds());
    }

    @Test
    void shouldGiveMissingValuesTheirOwnWoeOnlyWhenThereAreEnoughOfThem() {
        double[] values = IntStream.range(0, 100).mapToDouble(i -> i < 10 ? Double.NaN : i).toArray();
        boolean[] good = labels(new int[] {1, 4, 5, 5, 6, 6, 7, 7, 8, 8});
        AttributeBinning many = AttributeBinner.numeric("x", "x", FittedFeatureType.INT, values, all(100), good,
                TEN_BINS);
        assertEquals(10, many.missingRows());
        assertTrue(many.missingWoe() < -1, "mostly bad missing rows: " + many.missingWoe());
        assertEquals(many.missingWoe(), many.encode(Double.NaN));

        double[] few = IntStream.range(0, 100).mapToDouble(i -> i < 2 ? Double.NaN : i).toArray();
        AttributeBinning b = AttributeBinner.numeric("x", "x", FittedFeatureType.INT, few, all(100), good, TEN_BINS);
        assertEquals(0, b.missingWoe(), "2 % missing is below the 5 % minimum: no evidence");
    }

    @Test
    void shouldGroupNominalCategoriesByWoeAndFoldARareOneIntoTheClosestNeighbour() {
        // a: 30 good / 10 bad, b: 10 / 30, c: 2 / 1 (3 rows, rare), d: 10 / 7
        String[] column = new String[100];
        boolean[] good = new boolean[100];
        int r = 0;
        r = fill(column, good, r, "a", 30, 10);
        r = fill(column, good, r, "b", 10, 30);
        r = fill(column, good, r, "c", 2, 1);
        r = fill(column, good, r, "d", 10, 7);
        assertEquals(100, r);
        AttributeBinning b = AttributeBinner.nominal("k", "k", column, List.of("a", "b", "c", "d", "e"), all(100),
                good, TEN_BINS);
        // WoE: b −1.14, d 0.26, c 0.43, a 0.99 -> c is closer to d than to a
        assertEquals(List.of(List.of("b"), List.of("c", "d"), List.of("a")), b.groups());
        assertEquals(12, b.goods(1));
        assertEquals(8, b.bads(1));
        assertEquals(0, b.encode("e"), "a category not seen in training carries no evidence");
        assertEquals(b.woe(0), b.encode("b"));
    }

    private static int fill(String[] column, boolean[] good, int from, String value, int goods, int bads) {
        for (int i = 0; i < goods + bads; i++) {
            column[from + i] = value;
            good[from + i] = i < goods;
        }
        return from + goods + bads;
    }
}
