package dev.formica.engine.scorecard;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight-of-evidence bins of one attribute, learnt from training rows by {@link AttributeBinner}.
 *
 * <p>Numeric attributes have {@code m} bins split by {@code m − 1} ascending {@link #upperBounds()}: bin 0 holds
 * {@code x < upperBounds[0]}, bin {@code i} holds {@code upperBounds[i−1] <= x < upperBounds[i]}, the last bin
 * everything above. Nominal attributes have one bin per group of categories; a category not seen in training
 * gets WoE 0 (no evidence either way). A missing value gets {@link #missingWoe()}: the WoE of the missing rows
 * when they were at least the minimum bin share of training, else 0.
 *
 * <p>Thread contract: immutable.
 */
public final class AttributeBinning {
    private final String feature;
    private final String source;
    private final FittedFeatureType type;
    private final double[] upperBounds;
    private final List<List<String>> groups;
    private final Map<String, Integer> groupOf;
    private final long[] goods;
    private final long[] bads;
    private final long missingGoods;
    private final long missingBads;
    private final double[] woe;
    private final double missingWoe;
    private final double iv;

    AttributeBinning(String feature, String source, FittedFeatureType type, double[] upperBounds,
            List<List<String>> groups, long[] goods, long[] bads, long missingGoods, long missingBads, double[] woe,
            double missingWoe, double iv) {
        this.feature = feature;
        this.source = source;
        this.type = type;
        this.upperBounds = upperBounds == null ? null : upperBounds.clone();
        this.groups = groups == null ? null : groups.stream().map(List::copyOf).toList();
        Map<String, Integer> index = new HashMap<>();
        if (groups != null) {
            for (int g = 0; g < groups.size(); g++) {
                for (String category : groups.get(g)) {
                    index.put(category, g);
                }
            }
        }
        this.groupOf = index;
        this.goods = goods.clone();
        this.bads = bads.clone();
        this.missingGoods = missingGoods;
        this.missingBads = missingBads;
        this.woe = woe.clone();
        this.missingWoe = missingWoe;
        this.iv = iv;
    }

    /** The feature name in the rule set (a sanitised ARFF name). */
    public String feature() {
        return feature;
    }

    /** The attribute name in the ARFF file. */
    public String source() {
        return source;
    }

    public FittedFeatureType type() {
        return type;
    }

    public boolean numeric() {
        return upperBounds != null;
    }

    public int binCount() {
        return woe.length;
    }

    /** Numeric only: the exclusive upper bounds of all bins but the last. */
    public double[] upperBounds() {
        return upperBounds.clone();
    }

    /** Nominal only: the categories of each bin. */
    public List<List<String>> groups() {
        return groups;
    }

    public double woe(int bin) {
        return woe[bin];
    }

    public double missingWoe() {
        return missingWoe;
    }

    public long goods(int bin) {
        return goods[bin];
    }

    public long bads(int bin) {
        return bads[bin];
    }

    public long missingRows() {
        return missingGoods + missingBads;
    }

    /** Information value over the bins (and the missing bin when it has its own WoE). */
    public double informationValue() {
        return iv;
    }

    /** The bin of a numeric value. */
    public int binOf(double value) {
        int bin = 0;
        while (bin < upperBounds.length && value >= upperBounds[bin]) {
            bin++;
        }
        return bin;
    }

    /** The bin of a category, or -1 for one not seen in training. */
    public int binOf(String category) {
        Integer bin = groupOf.get(category);
        return bin == null ? -1 : bin;
    }

    /** WoE of a numeric value; {@link Double#NaN} is missing. */
    public double encode(double value) {
        return Double.isNaN(value) ? missingWoe : woe[binOf(value)];
    }

    /** WoE of a category; {@code null} is missing, an unseen category is 0. */
    public double encode(String category) {
        if (category == null) {
            return missingWoe;
        }
        int bin = binOf(category);
        return bin < 0 ? 0 : woe[bin];
    }
}
