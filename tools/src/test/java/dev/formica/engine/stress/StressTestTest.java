package dev.formica.engine.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class StressTestTest {
    static final long T0 = 1_780_000_000_000L;

    static StressResult run(Scenario s, SyntheticPortfolio p) {
        return StressTest.run(s, DefaultRuleSet.yaml(), null, null, p.profiles(), p.requests().iterator(), 2);
    }

    @Test
    void shouldLowerApprovalsAndRaiseExpectedLossPerUnitInADownturn() {
        SyntheticPortfolio portfolio = SyntheticPortfolio.generate(400, 7);
        StressResult base = run(Scenario.builtin("baseline"), portfolio);
        StressResult down = run(Scenario.builtin("downturn"), portfolio);
        assertEquals(400, base.decisions());
        assertEquals(400, down.decisions());
        assertTrue(base.approved() > 100, "a portfolio worth stressing: " + base);
        assertTrue(down.approvalRateBps() < base.approvalRateBps(), base + " vs " + down);
        assertTrue(down.exposureMinor() < base.exposureMinor());
        assertTrue(down.lossRateBps() > base.lossRateBps(), "EL per approved unit: " + base.lossRateBps() + " -> "
                + down.lossRateBps());
        assertTrue(down.binding().getOrDefault("RISK_APPETITE", 0L) > 0, "the appetite cut binds: " + down.binding());
        assertEquals(0, base.binding().getOrDefault("RISK_APPETITE", 0L));
        long sumByGrade = down.byGrade().values().stream().mapToLong(StressResult.Grade::expectedLossMinor).sum();
        assertEquals(down.expectedLossMinor(), sumByGrade);
        assertEquals(down, run(Scenario.builtin("downturn"), portfolio), "deterministic");
    }

    static AttributeValue i(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    /**
     * Three grade-A borrowers whose score is 775 by hand (30 + 25 + 20 + 15 + 20 + 15 + 15 + 10 + 15 + 10 points
     * over 600): PD = 1 / (1 + 30 / 1.5 · 2^(175 / 40)) = 0.0024039 under PD × 1.5, so with LGD 0.45 the
     * purchases of 1,000, 2,000 and 500 CNY lose 108.18, 216.35 and 54.09 fen: 108 + 216 + 54 = 378.
     */
    @Test
    void shouldComputeExpectedLossByHandOnATinyPortfolio() {
        List<Profile> profiles = new java.util.ArrayList<>();
        List<StressTest.Replay> requests = new java.util.ArrayList<>();
        long[] amounts = {100_000, 200_000, 50_000};
        for (int k = 0; k < amounts.length; k++) {
            profiles.add(Profile.newBuilder().setBorrowerId("tiny-" + k).setRegion("CN-31")
                    .setAnnualIncomeMinor(30_000_000).addLines(ProductLine.newBuilder()
                            .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000))
                    .putAttributes("bureau.active_lenders", i(0)).putAttributes("bureau.months_on_book", i(80))
                    .putAttributes("bureau.overdue_24m", i(0)).putAttributes("bureau.max_dpd_12m", i(0))
                    .putAttributes("employment.months", i(60))
                    .putAttributes("housing", AttributeValue.newBuilder().setStringValue("own").build())
                    .putAttributes("age", i(35)).putAttributes("kyc.level", i(3)).build());
            requests.add(new StressTest.Replay(DecisionRequest.newBuilder().setRequestId("t" + k)
                    .setBorrowerId("tiny-" + k).setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amounts[k])
                    .setRegion("CN-31").build(), T0 + k * 1000L));
        }
        StressResult r = StressTest.run(Scenario.builtin("downturn"), DefaultRuleSet.yaml(), null, null, profiles,
                requests.iterator(), 1);
        assertEquals(3, r.approved(), r.toString());
        assertEquals(350_000, r.exposureMinor());
        assertEquals(378, r.expectedLossMinor());
        assertEquals(new StressResult.Grade(3, 350_000, 378), r.byGrade().get("A"));

        StressResult unshocked = StressTest.run(Scenario.unshocked(), DefaultRuleSet.yaml(), null, null, profiles,
                requests.iterator(), 1);
        // PD 0.0016039: 72.18 + 144.35 + 36.09 fen -> 72 + 144 + 36.
        assertEquals(252, unshocked.expectedLossMinor());
    }

    @Test
    void shouldRoundExpectedLossHalfEvenInMinorUnits() {
        assertEquals(2, StressTest.expectedLoss(0.05, 100, new BigDecimal("0.45")), "2.25 -> 2");
        assertEquals(4, StressTest.expectedLoss(0.1, 35, BigDecimal.ONE), "3.5 -> 4");
        assertEquals(0, StressTest.expectedLoss(0.0, 1_000_000, BigDecimal.ONE));
    }

    @Test
    void shouldRejectAScenarioWithAnUnknownKeyOrAnOutOfRangeValue() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Scenario.parse("name: x\npd_multiplyer: 2\n", "s.yaml"));
        assertTrue(unknown.getMessage().contains("pd_multiplyer"));
        IllegalArgumentException lgd = assertThrows(IllegalArgumentException.class,
                () -> Scenario.parse("lgd: 1.5\n", "s.yaml"));
        assertTrue(lgd.getMessage().contains("lgd"));
        Scenario down = Scenario.builtin("downturn");
        assertEquals(7000, down.riskAppetiteBps());
        assertEquals(0, new BigDecimal("1.5").compareTo(down.pdMultiplier()));
        assertEquals(3000, down.partnerQuotaCutBps());
        assertEquals(1000, down.incomeDropBps());
    }

    @Test
    void shouldCutPartnerQuotasAndBaseOddsInTheShockedRuleSet() {
        String shocked = RuleShocks.apply(DefaultRuleSet.yaml(), Scenario.builtin("downturn"));
        assertTrue(shocked.contains("version: default-2026.11.1-downturn"), shocked);
        assertTrue(shocked.contains("base_odds: 20.0"), "30 / 1.5");
        assertTrue(shocked.contains("total_quota_minor: 3500000000000"), "5e12 x 0.7");
        assertTrue(shocked.contains("daily_quota_minor: 21000000000"), "3e10 x 0.7");
    }
}
