package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** AUC and KS against examples worked out by hand. */
class RankMetricsTest {
    private static final boolean G = true;
    private static final boolean B = false;

    @Test
    void shouldCountTiesAsHalfInTheAuc() {
        // goods 3, 4, 5 against bads 1, 2, 3: the good 3 beats two bads and ties one (2.5), 4 and 5 beat all
        // three: 8.5 of 9 pairs
        double[] scores = {3, 4, 5, 1, 2, 3};
        boolean[] good = {G, G, G, B, B, B};
        assertEquals(8.5 / 9, RankMetrics.auc(scores, good), 1e-12);
    }

    @Test
    void shouldTakeKsAtTheWidestGapBetweenDistinctScores() {
        // F_bad − F_good at t = 1, 2, 3, 4, 5: 1/3, 2/3, 1 − 1/3, 1 − 2/3, 0 -> 2/3
        double[] scores = {3, 4, 5, 1, 2, 3};
        boolean[] good = {G, G, G, B, B, B};
        assertEquals(2.0 / 3, RankMetrics.ks(scores, good), 1e-12);
    }

    @Test
    void shouldScoreAPerfectSplitOneAndAReversedSplitZero() {
        double[] scores = {10, 20, 30, 40};
        assertEquals(1, RankMetrics.auc(scores, new boolean[] {B, B, G, G}), 1e-12);
        assertEquals(1, RankMetrics.ks(scores, new boolean[] {B, B, G, G}), 1e-12);
        assertEquals(0, RankMetrics.auc(scores, new boolean[] {G, G, B, B}), 1e-12);
        assertEquals(1, RankMetrics.ks(scores, new boolean[] {G, G, B, B}), 1e-12);
    }

    @Test
    void shouldScoreAllTiesAsChance() {
        double[] scores = {7, 7, 7, 7, 7};
        boolean[] good = {G, B, G, B, G};
        assertEquals(0.5, RankMetrics.auc(scores, good), 1e-12);
        assertEquals(0, RankMetrics.ks(scores, good), 1e-12);
    }

    @Test
    void shouldMatchAnUnevenHandExample() {
        // goods 2, 6, 6, 9; bads 1, 6, 8. Pairs won: 2 -> 1; 6 -> 1 + 0.5 (tie) twice; 9 -> 3; = 1 + 3 + 3 = 7 of 12.
        double[] scores = {2, 6, 6, 9, 1, 6, 8};
        boolean[] good = {G, G, G, G, B, B, B};
        assertEquals(7.0 / 12, RankMetrics.auc(scores, good), 1e-12);
        // t=1: 1/3 − 0; t=2: 1/3 − 1/4 ; t=6: 2/3 − 3/4; t=8: 1 − 3/4; t=9: 0 -> max |.| = 1/3
        assertEquals(1.0 / 3, RankMetrics.ks(scores, good), 1e-12);
    }

    @Test
    void shouldRefuseASingleClass() {
        assertThrows(IllegalArgumentException.class, () -> RankMetrics.auc(new double[] {1, 2}, new boolean[] {G, G}));
    }
}
