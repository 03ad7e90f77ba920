package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** WoE and IV against tables worked out by hand. */
class WeightOfEvidenceTest {
    @Test
    void shouldMatchTheHandComputedWoeAndIvOfAThreeBinTable() {
        // 100 goods and 50 bads: %good = .6 .3 .1, %bad = .2 .4 .4
        long[] goods = {60, 30, 10};
        long[] bads = {10, 20, 20};
        // ln(.6/.2) = ln 3, ln(.3/.4) = ln .75, ln(.1/.4) = ln .25
        assertArrayEquals(new double[] {1.0986122886681098, -0.2876820724517809, -1.3862943611198906},
                WeightOfEvidence.woe(goods, bads, 0), 1e-12);
        // .4·ln 3 + (−.1)·ln .75 + (−.3)·ln .25
        assertEquals(0.8841014310483892, WeightOfEvidence.informationValue(goods, bads, 0), 1e-12);
    }

    @Test
    void shouldGiveAnEmptyCellAFiniteWoeThroughSmoothing() {
        // with a = 0.5 over 2 bins: %good = 10.5/11, 0.5/11 and %bad = 0.5/11, 10.5/11, so WoE = ±ln 21
        long[] goods = {10, 0};
        long[] bads = {0, 10};
        assertArrayEquals(new double[] {3.044522437723423, -3.044522437723423},
                WeightOfEvidence.woe(goods, bads, 0.5), 1e-12);
        // 2 · (10/11) · ln 21
        assertEquals(5.535495341315315, WeightOfEvidence.informationValue(goods, bads, 0.5), 1e-12);
    }

    @Test
    void shouldGiveZeroWoeAndIvWhenGoodsAndBadsAreSpreadAlike() {
        long[] goods = {20, 40};
        long[] bads = {10, 20};
        assertArrayEquals(new double[] {0, 0}, WeightOfEvidence.woe(goods, bads, 0), 1e-12);
        assertEquals(0, WeightOfEvidence.informationValue(goods, bads, 0), 1e-12);
    }

    @Test
    void shouldRefuseNegativeCountsAndNegativeSmoothing() {
        assertThrows(IllegalArgumentException.class, () -> WeightOfEvidence.woe(new long[] {-1}, new long[] {1}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> WeightOfEvidence.woe(new long[] {1}, new long[] {1}, -1));
    }
}
