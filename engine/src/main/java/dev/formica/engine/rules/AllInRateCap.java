package dev.formica.engine.rules;

import dev.formica.engine.pricing.FeeSpec;
import dev.formica.engine.pricing.InstallmentPlanner;
import dev.formica.engine.pricing.InstallmentSchedule;
import dev.formica.v1.Reason;
import java.util.List;

/**
 * The regulatory all-in cost cap applied to a decision's price: the annualised, fee-inclusive rate of the loan's
 * actual cash flows ({@code InstallmentPlan.annualised_rate_bps}, the IRR of principal out, installments and every
 * fee in) is at most the licence's {@code all_in_rate_cap_bps} for the product in the regulatory version in force
 * at the decision's time. The rule set's {@code pricing.above_all_in_cap} says what happens above it: the price is
 * lowered (fees first, then the APR; {@link InstallmentPlanner#planWithin}) or the decision declines. Either way
 * the reason {@link #CODE} names the cap, its value and the version.
 *
 * <p>Thread contract: stateless. {@link #plan} allocates only when the cap binds (the reason); {@link #price} and
 * {@link #describe} into reused builders never do.
 */
public final class AllInRateCap {
    /** The reason code of a decision the all-in cap declined or lowered. */
    public static final String CODE = "CAP_ALL_IN_RATE";

    /**
     * What the cap did to a priced decision: {@code declined} = the decision must decline with {@code reason};
     * otherwise the plan was lowered to the cap and {@code reason} goes with the approval.
     */
    public record Capped(boolean declined, Reason reason) {
    }

    private AllInRateCap() {
    }

    /**
     * Plans the loan into {@code out} at the price the cap in force allows: the one method the decision path
     * calls for pricing. The plan's APR is {@code out.aprBps()} (lower than {@code aprBps} when the cap lowered it).
     *
     * @param limits the licence's regulatory limits in force at the decision's time; null = none in force
     * @return null when the cap did not bind (no cap, or the asked price is within it); else what it did
     * @throws IllegalArgumentException when no plan is possible at all (as {@link InstallmentPlanner#plan})
     */
    public static Capped plan(InstallmentPlanner planner, PricingPolicy pricing, RegulatoryParameters.Limits limits,
            int product, long principalMinor, int aprBps, int installments, long nowMs, List<FeeSpec> fees,
            InstallmentSchedule out) {
        InstallmentPlanner.CapResult result = price(planner, pricing, limits, product, principalMinor, aprBps,
                installments, nowMs, fees, out);
        if (result == InstallmentPlanner.CapResult.WITHIN) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        StringBuilder value = new StringBuilder();
        describe(result, limits, product, principalMinor, aprBps, fees, out, text, value);
        return new Capped(result == InstallmentPlanner.CapResult.ABOVE_CAP, reason(text.toString(), value.toString()));
    }

    /**
     * {@link #plan} without the reason: plans into {@code out} and says what the cap did ({@code WITHIN}: nothing;
     * {@code ABOVE_CAP}: the decision declines; otherwise the price was lowered). Allocates nothing.
     */
    public static InstallmentPlanner.CapResult price(InstallmentPlanner planner, PricingPolicy pricing,
            RegulatoryParameters.Limits limits, int product, long principalMinor, int aprBps, int installments,
            long nowMs, List<FeeSpec> fees, InstallmentSchedule out) {
        long cap = limits == null ? -1 : limits.allInRateCapBps(product);
        return planner.planWithin(principalMinor, aprBps, installments, nowMs, fees, cap, pricing.lowerToAllInCap(),
                out);
    }

    /**
     * Appends the text and value of the reason ({@link #CODE}) of a {@link #price} that the cap bound
     * ({@code result} is not {@code WITHIN}), as {@link #plan} puts them in its reason.
     */
    public static void describe(InstallmentPlanner.CapResult result, RegulatoryParameters.Limits limits, int product,
            long principalMinor, int aprBps, List<FeeSpec> fees, InstallmentSchedule out, StringBuilder text,
            StringBuilder value) {
        long cap = limits.allInRateCapBps(product);
        if (result == InstallmentPlanner.CapResult.ABOVE_CAP) {
            text.append("the annualised all-in cost of this plan is above the regulatory cap (")
                    .append(limits.version()).append(')');
            value.append("annualised_rate_bps=").append(out.annualisedRateBps()).append(", cap_bps=").append(cap);
            return;
        }
        long asked = 0;
        for (int i = 0; i < fees.size(); i++) {
            asked += fees.get(i).amountFor(principalMinor);
        }
        text.append("the price was lowered to the regulatory all-in cost cap (").append(limits.version())
                .append("): ").append(result == InstallmentPlanner.CapResult.FEES_LOWERED
                        ? "fees reduced" : "fees waived and the APR lowered");
        value.append("cap_bps=").append(cap).append(", annualised_rate_bps=").append(out.annualisedRateBps())
                .append(", apr_bps=").append(aprBps).append("->").append(out.aprBps()).append(", fees_waived_minor=")
                .append(asked - out.totalFeesMinor());
    }

    /** The plan a credit offer's APR is checked on: fee-free equal installments over 12 months. */
    public static final int OFFER_INSTALLMENTS = 12;

    /**
     * The APR a credit offer (Apply) may state for drawings on its line: the highest APR at most {@code aprBps} whose
     * fee-free plan of {@code principalMinor} over {@value #OFFER_INSTALLMENTS} installments has an annualised rate
     * within the cap in force. A drawing's fees are judged at the drawing ({@link #plan}); the APR alone must never be
     * above the cap, since a drawing can waive fees but is charged at least the offered APR's schedule. A fee-free
     * equal-installment plan's annualised rate is {@code (1 + APR/12)^12 − 1} whatever its length, up to rounding of
     * minor units.
     *
     * @param limits the licence's limits in force at the application's time; null = none
     * @return {@code aprBps} when no cap is in force or it fits; the lowered APR when the rule set lowers
     *         ({@code pricing.above_all_in_cap: LOWER}); -1 when it declines above the cap
     */
    public static int offerApr(InstallmentPlanner planner, PricingPolicy pricing, RegulatoryParameters.Limits limits,
            int product, long principalMinor, int aprBps, long startMs, InstallmentSchedule scratch) {
        long cap = limits == null ? -1 : limits.allInRateCapBps(product);
        if (cap < 0) {
            return aprBps;
        }
        InstallmentPlanner.CapResult result = planner.planWithin(Math.max(1, principalMinor), aprBps,
                OFFER_INSTALLMENTS, startMs, List.of(), cap, pricing.lowerToAllInCap(), scratch);
        return result == InstallmentPlanner.CapResult.ABOVE_CAP ? -1 : scratch.aprBps();
    }

    /** The reason an offer carries when its APR was lowered to, or declined above, the cap of {@code limits}. */
    public static Reason offerReason(RegulatoryParameters.Limits limits, int product, int askedAprBps,
            int offeredAprBps) {
        long cap = limits.allInRateCapBps(product);
        return offeredAprBps < 0
                ? reason("the offered APR alone is above the regulatory all-in cost cap (" + limits.version() + ")",
                        "apr_bps=" + askedAprBps + ", cap_bps=" + cap)
                : reason("the offered APR was lowered to the regulatory all-in cost cap (" + limits.version() + ")",
                        "cap_bps=" + cap + ", apr_bps=" + askedAprBps + "->" + offeredAprBps);
    }

    private static Reason reason(String text, String value) {
        return Reason.newBuilder().setCode(CODE).setText(text).setValue(value).build();
    }
}
