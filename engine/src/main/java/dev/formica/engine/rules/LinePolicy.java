package dev.formica.engine.rules;

/**
 * How big a line a grade earns on one product: annual income × the grade's multiple, within the product's
 * minimum and maximum, then the caps. Grades without a multiple are not eligible (declined). Optional
 * seasonal uplift (wholesale SME merchants in their peak months) and order-backed lines (a share of the
 * verified order value) enlarge what a decision may use.
 *
 * <p>Thread contract: immutable.
 */
public final class LinePolicy {
    /** Multiple in basis points by grade number 1..5; -1 = the grade is not eligible. */
    private final long[] incomeMultipleBps;
    private final long minMinor;
    private final long maxMinor;
    private final long incomeRatioCapBps;
    private final int seasonalMonths;
    private final long seasonalUpliftBps;
    private final Expr seasonalWhen;
    private final FeatureLayout.Slot orderFeature;
    private final long orderAdvanceBps;

    LinePolicy(long[] incomeMultipleBps, long minMinor, long maxMinor, long incomeRatioCapBps, int seasonalMonths,
            long seasonalUpliftBps, Expr seasonalWhen, FeatureLayout.Slot orderFeature, long orderAdvanceBps) {
        this.incomeMultipleBps = incomeMultipleBps;
        this.minMinor = minMinor;
        this.maxMinor = maxMinor;
        this.incomeRatioCapBps = incomeRatioCapBps;
        this.seasonalMonths = seasonalMonths;
        this.seasonalUpliftBps = seasonalUpliftBps;
        this.seasonalWhen = seasonalWhen;
        this.orderFeature = orderFeature;
        this.orderAdvanceBps = orderAdvanceBps;
    }

    public boolean eligible(int grade) {
        return grade >= 1 && grade <= 5 && incomeMultipleBps[grade] >= 0;
    }

    /** Income × multiple for the grade, before min, max and caps; 0 when not eligible. */
    public long baseLine(int grade, long annualIncomeMinor) {
        if (!eligible(grade)) {
            return 0;
        }
        return Money.applyBps(annualIncomeMinor, incomeMultipleBps[grade]);
    }

    public long minMinor() {
        return minMinor;
    }

    /** The product cap. */
    public long maxMinor() {
        return maxMinor;
    }

    /** Balance over all products may not pass income × this; -1 = no such cap in the rule set. */
    public long incomeRatioCapBps() {
        return incomeRatioCapBps;
    }

    /** Extra line in the season, minor units; 0 out of season or when its condition does not hold. */
    public long seasonalUplift(long lineMinor, FeatureVector f) {
        if (seasonalUpliftBps == 0) {
            return 0;
        }
        long month = f.getInt(Features.MONTH);
        if ((seasonalMonths & (1 << month)) == 0 || (seasonalWhen != null && !seasonalWhen.bool(f))) {
            return 0;
        }
        return Money.applyBps(lineMinor, seasonalUpliftBps);
    }

    /** Line backed by verified orders: order value × advance rate; 0 when none. */
    public long orderBacked(FeatureVector f) {
        if (orderFeature == null || !f.isPresent(orderFeature.index())) {
            return 0;
        }
        return Money.applyBps(Math.max(0, f.getInt(orderFeature.index())), orderAdvanceBps);
    }
}
