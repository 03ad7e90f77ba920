package dev.formica.engine.scorecard;

/**
 * Weight of evidence and information value of a binned attribute.
 *
 * <p>For bin {@code i} with {@code g_i} goods and {@code b_i} bads out of {@code G} goods and {@code B} bads in
 * {@code m} bins, with smoothing constant {@code a} (added to every cell, so an empty cell has a finite WoE):
 * <pre>
 *   %good_i = (g_i + a) / (G + a·m)      %bad_i = (b_i + a) / (B + a·m)
 *   WoE_i   = ln(%good_i / %bad_i)       IV = Σ (%good_i − %bad_i) · WoE_i
 * </pre>
 * A positive WoE means the bin holds proportionally more goods than bads (lower risk). Thread contract:
 * stateless.
 */
public final class WeightOfEvidence {
    /** The default smoothing constant: half an observation per cell. */
    public static final double DEFAULT_SMOOTHING = 0.5;

    private WeightOfEvidence() {
    }

    /** WoE of every bin. */
    public static double[] woe(long[] goods, long[] bads, double smoothing) {
        double[] pg = shares(goods, smoothing);
        double[] pb = shares(bads, smoothing);
        double[] woe = new double[goods.length];
        for (int i = 0; i < woe.length; i++) {
            woe[i] = Math.log(pg[i] / pb[i]);
        }
        return woe;
    }

    /** Information value of the whole attribute. */
    public static double informationValue(long[] goods, long[] bads, double smoothing) {
        double[] pg = shares(goods, smoothing);
        double[] pb = shares(bads, smoothing);
        double iv = 0;
        for (int i = 0; i < pg.length; i++) {
            iv += (pg[i] - pb[i]) * Math.log(pg[i] / pb[i]);
        }
        return iv;
    }

    private static double[] shares(long[] counts, double smoothing) {
        if (counts.length == 0) {
            throw new IllegalArgumentException("no bins");
        }
        if (smoothing < 0) {
            throw new IllegalArgumentException("smoothing must be >= 0, was " + smoothing);
        }
        double total = 0;
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("negative count " + c);
            }
            total += c;
        }
        total += smoothing * counts.length;
        if (total <= 0) {
            throw new IllegalArgumentException("no observations and no smoothing");
        }
        double[] shares = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            shares[i] = (counts[i] + smoothing) / total;
        }
        return shares;
    }
}
