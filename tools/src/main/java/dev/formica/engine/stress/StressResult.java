package dev.formica.engine.stress;

import java.util.Map;

/**
 * What a portfolio does under one scenario: approvals, exposure, expected loss by grade and the reasons that
 * stopped the rest (the first reason of each decision not approved: the binding cap or the strongest rule).
 * Money in minor units; expected loss rounded half-even to minor units per approval, then summed.
 *
 * @param byGrade grade letter (A..E, "-" when none) → figures of the approvals of that grade
 * @param binding first reason code of each decline or review → count
 */
public record StressResult(String scenario, long decisions, long approved, long exposureMinor,
        long expectedLossMinor, Map<String, Grade> byGrade, Map<String, Long> binding) {
    /** Approvals of one grade: count, exposure at default (the approved amounts) and expected loss. */
    public record Grade(long approved, long eadMinor, long expectedLossMinor) {
        /** Expected loss per unit of exposure, basis points. */
        public long lossRateBps() {
            return eadMinor == 0 ? 0 : Math.round(expectedLossMinor * 10_000.0 / eadMinor);
        }
    }

    public int approvalRateBps() {
        return decisions == 0 ? 0 : (int) (approved * 10_000 / decisions);
    }

    /** Expected loss per unit approved, basis points. */
    public long lossRateBps() {
        return exposureMinor == 0 ? 0 : Math.round(expectedLossMinor * 10_000.0 / exposureMinor);
    }
}
