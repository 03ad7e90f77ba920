package dev.formica.engine.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The cap's bisection screens its probes by the sign of one NPV instead of solving each probe's IRR
 * ({@code InstallmentPlanner.fits}); that must never change a price. Every plan here is made twice, by a planner
 * that screens and by one that solves every probe, and the two must agree on the result and every number of the
 * plan. Fixed seeds; caps at 24 % and random ones, and caps set to a plan's own rate and its neighbours, so that
 * probes land on the rounding boundary itself.
 */
class CapProbeScreenTest {
    private final InstallmentPlanner screened = new InstallmentPlanner(true);
    private final InstallmentPlanner full = new InstallmentPlanner(false);
    private final InstallmentSchedule a = new InstallmentSchedule();
    private final InstallmentSchedule b = new InstallmentSchedule();

    @Test
    void shouldPriceEveryRandomPlanAsTheFullBisectionDoes() {
        SplittableRandom random = new SplittableRandom(19);
        int lowered = 0;
        for (int round = 0; round < 20_000; round++) {
            long principal = random.nextInt(3) == 0 ? random.nextLong(100, 10_000)
                    : random.nextLong(10_000, 5_000_000_000L);
            int apr = random.nextInt(0, 6_000);
            int n = 1 + random.nextInt(36);
            List<FeeSpec> fees = AllInCapPropertyTest.randomFees(random, principal);
            long cap = random.nextInt(5) == 0 ? 2400 : random.nextInt(0, 6_000);
            lowered += compare(principal, apr, n, fees, cap) ? 1 : 0;
        }
        assertTrue(lowered > 5_000, "the test must exercise the bisection, lowered " + lowered);
    }

    @Test
    void shouldPriceAsTheFullBisectionWhenTheCapIsAPlansOwnRate() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 5_000; round++) {
            long principal = random.nextLong(100, 50_000_000L);
            int apr = random.nextInt(100, 6_000);
            int n = 1 + random.nextInt(36);
            List<FeeSpec> fees = AllInCapPropertyTest.randomFees(random, principal);
            // the rate of the plan at some lower fee scale or APR: a probe of the bisection lands on the boundary
            InstallmentSchedule probe = full.plan(principal, random.nextInt(0, apr + 1), n,
                    AllInCapPropertyTest.NOW, random.nextBoolean() ? fees : List.of(), new InstallmentSchedule());
            for (long cap = probe.annualisedRateBps() - 1; cap <= probe.annualisedRateBps() + 1; cap++) {
                if (cap >= 0) {
                    compare(principal, apr, n, fees, cap);
                }
            }
        }
    }

    /** Plans with both planners and asserts they agree; true when the price was lowered. */
    private boolean compare(long principal, int apr, int n, List<FeeSpec> fees, long cap) {
        String what = "principal " + principal + " apr " + apr + " n " + n + " fees " + fees + " cap " + cap;
        InstallmentPlanner.CapResult expected = full.planWithin(principal, apr, n, AllInCapPropertyTest.NOW, fees,
                cap, true, b);
        InstallmentPlanner.CapResult actual = screened.planWithin(principal, apr, n, AllInCapPropertyTest.NOW,
                fees, cap, true, a);
        assertEquals(expected, actual, what);
        assertEquals(b.aprBps(), a.aprBps(), what);
        assertEquals(b.annualisedRateBps(), a.annualisedRateBps(), what);
        assertEquals(b.monthlyIrr(), a.monthlyIrr(), 0.0, what);
        assertEquals(b.totalFeesMinor(), a.totalFeesMinor(), what);
        assertEquals(b.upfrontFeesMinor(), a.upfrontFeesMinor(), what);
        assertEquals(b.totalInterestMinor(), a.totalInterestMinor(), what);
        for (int k = 1; k <= n; k++) {
            assertEquals(b.totalMinor(k), a.totalMinor(k), what + " period " + k);
        }
        return expected == InstallmentPlanner.CapResult.FEES_LOWERED
                || expected == InstallmentPlanner.CapResult.APR_LOWERED;
    }
}
