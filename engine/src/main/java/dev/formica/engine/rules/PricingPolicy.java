package dev.formica.engine.rules;

import java.util.List;

/**
 * APR by grade within a band whose top is the cap, and the fees that apply per product.
 *
 * @param aprCapBps the highest APR any grade may carry
 * @param aprBpsByGrade APR by grade number (index 1..5; index 0 unused)
 * @param fees fee rules in file order
 * @param lowerToAllInCap {@code above_all_in_cap: LOWER} (the default): a plan whose annualised, fee-inclusive
 *        rate is above the regulatory all-in cap in force is lowered to it (fees first, then the APR);
 *        {@code DECLINE}: such a decision declines with {@link AllInRateCap#CODE}
 */
public record PricingPolicy(int aprCapBps, int[] aprBpsByGrade, List<FeeRule> fees, boolean lowerToAllInCap) {
    /** A fee: a fixed amount plus basis points of the principal, upfront or spread over the installments. */
    public record FeeRule(String code, String text, int productMask, long bps, long fixedMinor, boolean upfront) {
        public boolean appliesTo(int product) {
            return (productMask & (1 << product)) != 0;
        }
    }

    public int aprFor(int grade) {
        return Math.min(aprCapBps, aprBpsByGrade[Math.max(1, Math.min(5, grade))]);
    }
}
