package dev.formica.engine.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.pricing.FeeSpec.Timing;
import dev.formica.v1.InstallmentPlan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InstallmentPlannerTest {
    private static final long START = Instant.parse("2026-01-31T10:00:00Z").toEpochMilli();

    private final InstallmentPlanner planner = new InstallmentPlanner();

    /**
     * 12,000.00 CNY = 1,200,000 fen at 18 % APR, 12 months. r = 1,800 / 120,000 = 0.015.
     * (1.015)^12 = 1.195618171461534; A = 1,200,000 × 0.015 × 1.195618171 / 0.195618171 = 110,015.991 → 110,016.
     * Each period: interest = round(outstanding × 0.015), principal = 110,016 − interest:
     * <pre>
     *  k  outstanding  interest                         principal
     *  1  1,200,000    18,000.00  → 18,000               92,016
     *  2  1,107,984    16,619.76  → 16,620               93,396
     *  3  1,014,588    15,218.82  → 15,219               94,797
     *  4    919,791    13,796.865 → 13,797               96,219
     *  5    823,572    12,353.58  → 12,354               97,662
     *  6    725,910    10,888.65  → 10,889               99,127
     *  7    626,783     9,401.745 →  9,402              100,614
     *  8    526,169     7,892.535 →  7,893              102,123
     *  9    424,046     6,360.69  →  6,361              103,655
     * 10    320,391     4,805.865 →  4,806              105,210
     * 11    215,181     3,227.715 →  3,228              106,788
     * 12    108,393     1,625.895 →  1,626              108,393 (all that is left) → total 110,019
     * </pre>
     * Interest 120,195; repayment 1,320,195.
     */
    @Test
    void shouldMatchTheHandComputedTwelveMonthSchedule() {
        InstallmentSchedule s = planner.plan(1_200_000, 1800, 12, START, List.of(), new InstallmentSchedule());
        long[] interest = {18_000, 16_620, 15_219, 13_797, 12_354, 10_889, 9_402, 7_893, 6_361, 4_806, 3_228, 1_626};
        long[] principal = {92_016, 93_396, 94_797, 96_219, 97_662, 99_127, 100_614, 102_123, 103_655, 105_210,
            106_788, 108_393};
        assertEquals(110_016, s.installmentMinor());
        for (int k = 1; k <= 12; k++) {
            assertEquals(interest[k - 1], s.interestMinor(k), "interest of period " + k);
            assertEquals(principal[k - 1], s.principalMinor(k), "principal of period " + k);
            assertEquals(k == 12 ? 110_019 : 110_016, s.totalMinor(k), "total of period " + k);
        }
        assertEquals(120_195, s.totalInterestMinor());
        assertEquals(0, s.totalFeesMinor());
        assertEquals(1_320_195, s.totalRepaymentMinor());
    }

    /**
     * 3,299.00 = 329,900 fen at 18 % over 3 months: (1.015)^3 = 1.045678375;
     * A = 329,900 × 0.015 × 1.045678375 / 0.045678375 = 113,282.04 → 113,282.
     * 1: 329,900 × 0.015 = 4,948.5 → 4,948 (half to even); principal 108,334.
     * 2: 221,566 × 0.015 = 3,323.49 → 3,323; principal 109,959.
     * 3: 111,607 × 0.015 = 1,674.105 → 1,674; principal 111,607; total 113,281 (one fen less than the others).
     */
    @Test
    void shouldMatchTheHandComputedThreeMonthScheduleRoundingHalfToEven() {
        InstallmentSchedule s = planner.plan(329_900, 1800, 3, START, List.of(), new InstallmentSchedule());
        assertEquals(113_282, s.installmentMinor());
        assertPeriod(s, 1, 108_334, 4_948, 113_282);
        assertPeriod(s, 2, 109_959, 3_323, 113_282);
        assertPeriod(s, 3, 111_607, 1_674, 113_281);
        assertEquals(9_945, s.totalInterestMinor());
    }

    /**
     * 329,900 fen at 24 % over 6 months: r = 0.02, (1.02)^6 = 1.126162419;
     * A = 329,900 × 0.02 × 1.126162419 / 0.126162419 = 58,895.67 → 58,896.
     * Interest: 6,598; 277,602 × 0.02 = 5,552.04 → 5,552; 224,258 × 0.02 = 4,485.16 → 4,485;
     * 169,847 × 0.02 = 3,396.94 → 3,397; 114,348 × 0.02 = 2,286.96 → 2,287; 57,739 × 0.02 = 1,154.78 → 1,155.
     * Last: principal 57,739 + interest 1,155 = 58,894.
     */
    @Test
    void shouldMatchTheHandComputedSixMonthSchedule() {
        InstallmentSchedule s = planner.plan(329_900, 2400, 6, START, List.of(), new InstallmentSchedule());
        long[] interest = {6_598, 5_552, 4_485, 3_397, 2_287, 1_155};
        long[] principal = {52_298, 53_344, 54_411, 55_499, 56_609, 57_739};
        for (int k = 1; k <= 6; k++) {
            assertPeriod(s, k, principal[k - 1], interest[k - 1], k == 6 ? 58_894 : 58_896);
        }
        assertEquals(23_474, s.totalInterestMinor());
    }

    /** One installment: 100,000 × 0.015 = 1,500 interest, everything due one month later. */
    @Test
    void shouldPayInOneGoAfterOnePeriod() {
        InstallmentSchedule s = planner.plan(100_000, 1800, 1, START, List.of(), new InstallmentSchedule());
        assertPeriod(s, 1, 100_000, 1_500, 101_500);
        assertEquals(Instant.parse("2026-02-28T10:00:00Z").toEpochMilli(), s.dueMs(1), "31 Jan + 1 month");
    }

    /** APR 0: 100,001 = 12 × 8,333 + 5, so eleven periods of 8,333 and a last one of 8,338; IRR 0. */
    @Test
    void shouldSplitEvenlyAtZeroAprWithTheRemainderLast() {
        InstallmentSchedule s = planner.plan(100_001, 0, 12, START, List.of(), new InstallmentSchedule());
        for (int k = 1; k <= 11; k++) {
            assertPeriod(s, k, 8_333, 0, 8_333);
        }
        assertPeriod(s, 12, 8_338, 0, 8_338);
        assertEquals(0, s.annualisedRateBps());
        assertEquals(0, s.totalCostMinor());
    }

    /**
     * An uneven remainder: 50.00 (5,000 fen) at 36 % over 36 months, r = 0.03. (1.03)^36 = 2.898278328;
     * A = 5,000 × 0.03 × 2.898278328 / 1.898278328 = 229.019 → 229. After 35 periods 227 is left:
     * 227 × 0.03 = 6.81 → 7 interest, last total 234, five fen above the others (below n = 36).
     */
    @Test
    void shouldPutTheRoundingRemainderOnTheLastOfALongPlan() {
        InstallmentSchedule s = planner.plan(5_000, 3600, 36, START, List.of(), new InstallmentSchedule());
        assertEquals(229, s.installmentMinor());
        assertPeriod(s, 1, 79, 150, 229);
        assertPeriod(s, 35, 216, 13, 229);
        assertPeriod(s, 36, 227, 7, 234);
        assertEquals(3_249, s.totalInterestMinor());
    }

    /**
     * The 12,000 / 18 % / 12-month plan with a 1 % upfront service fee (1,200,000 × 100 / 10,000 = 12,000,
     * withheld at disbursement) and an installment fee of 3.6 % + 0.05 (43,200 + 5 = 43,205 spread:
     * 43,205 / 12 = 3,600 rem 5, so 3,600 a period and 3,605 on the last).
     * Fees 55,205; cost 120,195 + 55,205 = 175,400; repayment 1,375,400.
     * IRR of +1,188,000 then 11 × 113,616 and 113,624: monthly 0.0218494…, effective (1+i)^12 − 1 = 29.61 %
     * (2,961 bps; the simple i × 12 is 26.22 %, 2,622 bps), cross-checked with a 50-digit bisection.
     */
    @Test
    void shouldItemiseUpfrontAndPerInstallmentFeesAndPriceThemIntoTheRate() {
        List<FeeSpec> fees = List.of(
                new FeeSpec("SERVICE_FEE", "Service fee, 1 % of the principal", 0, 100, Timing.UPFRONT),
                new FeeSpec("INSTALLMENT_FEE", "Installment fee, 0.3 % a month", 5, 360, Timing.PER_INSTALLMENT));
        InstallmentSchedule s = planner.plan(1_200_000, 1800, 12, START, fees, new InstallmentSchedule());
        assertEquals(12_000, s.feeAmountMinor(0));
        assertEquals(43_205, s.feeAmountMinor(1));
        assertEquals(12_000, s.upfrontFeesMinor());
        assertEquals(3_600, s.feeMinor(1));
        assertEquals(113_616, s.totalMinor(1));
        assertEquals(3_605, s.feeMinor(12));
        assertEquals(113_624, s.totalMinor(12));
        assertEquals(55_205, s.totalFeesMinor());
        assertEquals(175_400, s.totalCostMinor());
        assertEquals(1_375_400, s.totalRepaymentMinor());
        assertEquals(2_961, s.annualisedRateBps());
        assertEquals(2_622, s.nominalAnnualRateBps());

        InstallmentPlan plan = InstallmentPlanner.toProto(s, fees);
        assertEquals(12, plan.getInstallments());
        assertEquals(12, plan.getPeriodsCount());
        assertEquals("SERVICE_FEE", plan.getFees(0).getCode());
        assertEquals(12_000, plan.getFees(0).getAmountMinor());
        assertEquals(43_205, plan.getFees(1).getAmountMinor());
        assertEquals(120_195, plan.getTotalInterestMinor());
        assertEquals(55_205, plan.getTotalFeesMinor());
        assertEquals(175_400, plan.getTotalCostMinor());
        assertEquals(1_375_400, plan.getTotalRepaymentMinor());
        assertEquals(2_961, plan.getAnnualisedRateBps());
        assertEquals(12, plan.getPeriods(11).getNumber());
        assertEquals(3_605, plan.getPeriods(11).getFeeMinor());
        assertEquals(Instant.parse("2027-01-31T10:00:00Z").toEpochMilli(), plan.getPeriods(11).getDueMs());
        assertEquals(Instant.parse("2026-03-31T10:00:00Z").toEpochMilli(), plan.getPeriods(1).getDueMs(),
                "months are counted from the start, so the 31st comes back after February");
    }

    /** Without fees the IRR is the monthly rate itself: (1.015)^12 − 1 = 19.5618 % for 18 % APR. */
    @Test
    void shouldReportTheEffectiveRateOfTheAprWhenThereAreNoFees() {
        for (int n : new int[] {1, 3, 6, 12, 24, 36}) {
            InstallmentSchedule s = planner.plan(1_200_000, 1800, n, START, List.of(), new InstallmentSchedule());
            assertEquals(1956.18, s.annualisedRateBps(), 1.0, "n = " + n);
            assertEquals(1800, s.nominalAnnualRateBps(), 1.0, "n = " + n);
        }
    }

    @Test
    void shouldRaiseTheRateWithTheUpfrontFee() {
        int previous = -1;
        for (int feeBps : new int[] {0, 50, 100, 200, 500}) {
            List<FeeSpec> fees = List.of(new FeeSpec("SERVICE_FEE", "Service fee", 0, feeBps, Timing.UPFRONT));
            int rate = planner.plan(1_200_000, 1800, 6, START, fees, new InstallmentSchedule()).annualisedRateBps();
            assertTrue(rate > previous, feeBps + " bps upfront gives " + rate + " after " + previous);
            previous = rate;
        }
    }

    @Test
    void shouldRejectBadInputNamingTheField() {
        InstallmentSchedule out = new InstallmentSchedule();
        assertMessage("principal_minor", () -> planner.plan(0, 1800, 12, START, List.of(), out));
        assertMessage("apr_bps", () -> planner.plan(100, -1, 12, START, List.of(), out));
        assertMessage("installments", () -> planner.plan(100, 1800, 0, START, List.of(), out));
        assertMessage("installments", () -> planner.plan(100, 1800, 37, START, List.of(), out));
        assertMessage("fees", () -> planner.plan(100, 1800, 12, START,
                List.of(new FeeSpec("F", "all of it", 100, 0, Timing.UPFRONT)), out));
        assertMessage("bps", () -> new FeeSpec("F", "", 0, 10_001, Timing.UPFRONT));
    }

    /** The 64-bit factor fast path agrees with the exact BigDecimal quotient, ties and near-ties included. */
    @Test
    void shouldRoundTheAnnuityExactlyLikeBigDecimal() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 20_000; i++) {
            long principal = i % 2 == 0 ? 1 + random.nextLong(10_000_000) : 1 + random.nextLong(
                    InstallmentPlanner.MAX_PRINCIPAL_MINOR);
            int apr = 1 + random.nextInt(i % 3 == 0 ? InstallmentPlanner.MAX_APR_BPS : 4000);
            int n = 1 + random.nextInt(InstallmentPlanner.MAX_INSTALLMENTS);
            assertEquals(InstallmentPlanner.exactAnnuity(principal, apr, n), planner.annuity(principal, apr, n),
                    principal + " at " + apr + " over " + n);
        }
        // exact ties: at 12 % over one month F = 1.01, so 50 × 1.01 = 50.5 → 50 and 150 × 1.01 = 151.5 → 152
        assertEquals(50, planner.annuity(50, 1200, 1));
        assertEquals(152, planner.annuity(150, 1200, 1));
    }

    /**
     * One installment, where P · F is an exact tie for one principal in a few hundred and is decided in a long: every
     * principal up to 20,000 at the default grades' APRs and at odd ones, and the largest principal at the highest APR
     * (the product's bound), against the exact BigDecimal quotient.
     */
    @Test
    void shouldRoundOneInstallmentTiesExactlyLikeBigDecimal() {
        for (int apr : new int[] {1, 799, 1200, 1800, 2400, 3599, 3600, 60_000, InstallmentPlanner.MAX_APR_BPS}) {
            for (long principal = 1; principal <= 20_000; principal++) {
                assertEquals(InstallmentPlanner.exactAnnuity(principal, apr, 1), planner.annuity(principal, apr, 1),
                        principal + " at " + apr);
            }
            long largest = InstallmentPlanner.MAX_PRINCIPAL_MINOR - apr;
            assertEquals(InstallmentPlanner.exactAnnuity(largest, apr, 1), planner.annuity(largest, apr, 1));
        }
    }

    /**
     * For random plans: principals add up to the principal exactly, no amount is negative, and the last
     * installment is within n fen of the level one. The bound: a level installment off by at most ½ and each
     * interest rounding off by at most ½ grow at (1 + r) a period, so the last is off by at most
     * Σ_{j<n} (1 + r)^j — below n for the 15–24 % band and the 36-month maximum when rounding is not adversarial,
     * which the seeded sample checks, and the hard bound holds for any APR.
     */
    @Test
    void shouldKeepEveryPlanExactNonNegativeAndItsRemainderSmall() {
        SplittableRandom random = new SplittableRandom(7);
        InstallmentSchedule s = new InstallmentSchedule();
        List<FeeSpec> fees = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            long principal = 1 + random.nextLong(i % 4 == 0 ? 1_000 : 100_000_000);
            int apr = random.nextInt(10) == 0 ? 0 : random.nextInt(3601);
            int n = 1 + random.nextInt(InstallmentPlanner.MAX_INSTALLMENTS);
            fees.clear();
            if (random.nextBoolean()) {
                fees.add(new FeeSpec("PER", "", random.nextInt(500), random.nextInt(300), Timing.PER_INSTALLMENT));
            }
            planner.plan(principal, apr, n, START, fees, s);
            long principals = 0;
            long interests = 0;
            long fee = 0;
            for (int k = 1; k <= n; k++) {
                assertTrue(s.principalMinor(k) >= 0 && s.interestMinor(k) >= 0 && s.feeMinor(k) >= 0);
                assertEquals(s.principalMinor(k) + s.interestMinor(k) + s.feeMinor(k), s.totalMinor(k));
                principals += s.principalMinor(k);
                interests += s.interestMinor(k);
                fee += s.feeMinor(k);
            }
            String plan = principal + " at " + apr + " over " + n;
            assertEquals(principal, principals, plan);
            assertEquals(s.totalInterestMinor(), interests, plan);
            assertEquals(s.totalFeesMinor(), fee, plan);
            assertTrue(s.annualisedRateBps() >= 0, plan);
            if (s.installmentMinor() >= n) { // tiny loans end early and pay the interest only: no level to match
                long last = s.principalMinor(n) + s.interestMinor(n);
                double r = apr / 120_000.0;
                double bound = r == 0 ? n : (Math.pow(1 + r, n) - 1) / r;
                assertTrue(Math.abs(last - s.installmentMinor()) <= bound, plan + ": last " + last);
                if (apr <= 2400) {
                    assertTrue(Math.abs(last - s.installmentMinor()) < n, plan + ": last " + last);
                }
            }
        }
    }

    private static void assertPeriod(InstallmentSchedule s, int k, long principal, long interest, long total) {
        assertEquals(principal, s.principalMinor(k), "principal of period " + k);
        assertEquals(interest, s.interestMinor(k), "interest of period " + k);
        assertEquals(total, s.totalMinor(k), "total of period " + k);
    }

    private static void assertMessage(String field, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }
}
