package dev.formica.engine.scorecard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns weight-of-evidence bins from training rows.
 *
 * <p>Numeric: quantile pre-bins (cut points are observed values, so the bins of an integral attribute have
 * integral bounds), then a bin holding fewer than {@code minBinShare} of the non-missing rows is merged into the
 * neighbour whose WoE is closest, then (when {@code monotone}) adjacent bins that break the WoE trend are merged
 * until the WoE rises or falls monotonically, whichever of the two directions keeps the higher IV.
 *
 * <p>Nominal: one bin per category seen in training, ordered by WoE; a category holding fewer than
 * {@code minBinShare} of the rows is merged into the WoE-adjacent group closest in WoE, until every group is
 * large enough.
 *
 * <p>Thread contract: stateless; arguments are read, never written.
 */
public final class AttributeBinner {
    /**
     * Binning settings.
     *
     * @param preBins quantile pre-bins for numeric attributes (before merging)
     * @param minBinShare smallest share of the rows a bin may hold, e.g. 0.05
     * @param monotone merge numeric bins until their WoE is monotone
     * @param smoothing the WoE smoothing constant ({@link WeightOfEvidence})
     */
    public record Options(int preBins, double minBinShare, boolean monotone, double smoothing) {
        public Options {
            if (preBins < 1) {
                throw new IllegalArgumentException("bins must be >= 1, was " + preBins);
            }
            if (!(minBinShare >= 0 && minBinShare < 1)) {
                throw new IllegalArgumentException("minimum bin share must be in [0, 1), was " + minBinShare);
            }
            if (!(smoothing > 0)) {
                throw new IllegalArgumentException("smoothing must be > 0, was " + smoothing);
            }
        }
    }

    /** A bin under construction: exclusive upper bound (numeric) or categories (nominal), and its counts. */
    private static final class Cell {
        double upper;
        final List<String> categories = new ArrayList<>();
        long goods;
        long bads;

        long rows() {
            return goods + bads;
        }
    }

    private AttributeBinner() {
    }

    /** Bins a numeric column over the given rows; {@code good[r]} is the label of row {@code r}. */
    public static AttributeBinning numeric(String feature, String source, FittedFeatureType type, double[] column,
            int[] rows, boolean[] good, Options options) {
        double[] values = new double[rows.length];
        int n = 0;
        long missingGoods = 0;
        long missingBads = 0;
        for (int r : rows) {
            double v = column[r];
            if (Double.isNaN(v)) {
                if (good[r]) {
                    missingGoods++;
                } else {
                    missingBads++;
                }
            } else {
                values[n++] = v;
            }
        }
        List<Cell> cells = new ArrayList<>();
        if (n > 0) {
            double[] sorted = Arrays.copyOf(values, n);
            Arrays.sort(sorted);
            List<Double> cuts = new ArrayList<>();
            for (int q = 1; q < options.preBins(); q++) {
                double cut = sorted[(int) ((long) q * n / options.preBins())];
                if (cut > sorted[0] && (cuts.isEmpty() || cut > cuts.get(cuts.size() - 1))) {
                    cuts.add(cut);
                }
            }
            for (double cut : cuts) {
                cells.add(numericCell(cut));
            }
            cells.add(numericCell(Double.POSITIVE_INFINITY));
            for (int r : rows) {
                double v = column[r];
                if (!Double.isNaN(v)) {
                    Cell cell = cells.get(numericBin(cuts, v));
                    if (good[r]) {
                        cell.goods++;
                    } else {
                        cell.bads++;
                    }
                }
            }
            mergeSmall(cells, options.minBinShare() * n, options.smoothing());
            if (options.monotone() && cells.size() > 2) {
                List<Cell> rising = monotone(copy(cells), true, options.smoothing());
                List<Cell> falling = monotone(copy(cells), false, options.smoothing());
                cells = iv(rising, options.smoothing()) >= iv(falling, options.smoothing()) ? rising : falling;
            }
        } else {
            cells.add(numericCell(Double.POSITIVE_INFINITY));
        }
        double[] upper = new double[cells.size() - 1];
        for (int i = 0; i < upper.length; i++) {
            upper[i] = cells.get(i).upper;
        }
        return finish(feature, source, type, upper, null, cells, missingGoods, missingBads, rows.length, options);
    }

    /**
     * Bins a nominal column over the given rows. {@code declared} orders the categories inside a group (the ARFF
     * declaration order); categories not declared there follow in alphabetical order.
     */
    public static AttributeBinning nominal(String feature, String source, String[] column, List<String> declared,
            int[] rows, boolean[] good, Options options) {
        Map<String, Cell> byCategory = new LinkedHashMap<>();
        long missingGoods = 0;
        long missingBads = 0;
        int n = 0;
        for (int r : rows) {
            String v = column[r];
            if (v == null) {
                if (good[r]) {
                    missingGoods++;
                } else {
                    missingBads++;
                }
                continue;
            }
            n++;
            Cell cell = byCategory.computeIfAbsent(v, k -> {
                Cell c = new Cell();
                c.categories.add(k);
                return c;
            });
            if (good[r]) {
                cell.goods++;
            } else {
                cell.bads++;
            }
        }
        List<Cell> cells = new ArrayList<>(byCategory.values());
        if (cells.isEmpty()) {
            cells.add(new Cell());
        }
        double[] woe = woe(cells, options.smoothing());
        Integer[] order = new Integer[cells.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> woe[i]));
        List<Cell> sorted = new ArrayList<>();
        for (int i : order) {
            sorted.add(cells.get(i));
        }
        mergeSmall(sorted, options.minBinShare() * n, options.smoothing());
        Comparator<String> categoryOrder = Comparator.comparingInt((String c) -> {
            int i = declared.indexOf(c);
            return i < 0 ? Integer.MAX_VALUE : i;
        }).thenComparing(Comparator.naturalOrder());
        List<List<String>> groups = new ArrayList<>();
        for (Cell cell : sorted) {
            cell.categories.sort(categoryOrder);
            groups.add(cell.categories);
        }
        return finish(feature, source, FittedFeatureType.STRING, null, groups, sorted, missingGoods, missingBads,
                rows.length, options);
    }

    private static AttributeBinning finish(String feature, String source, FittedFeatureType type, double[] upper,
            List<List<String>> groups, List<Cell> cells, long missingGoods, long missingBads, int trainingRows,
            Options options) {
        int m = cells.size();
        long missing = missingGoods + missingBads;
        boolean missingBin = missing > 0 && missing >= options.minBinShare() * trainingRows;
        long[] goods = new long[m + (missingBin ? 1 : 0)];
        long[] bads = new long[goods.length];
        for (int i = 0; i < m; i++) {
            goods[i] = cells.get(i).goods;
            bads[i] = cells.get(i).bads;
        }
        if (missingBin) {
            goods[m] = missingGoods;
            bads[m] = missingBads;
        }
        double[] allWoe = WeightOfEvidence.woe(goods, bads, options.smoothing());
        double iv = WeightOfEvidence.informationValue(goods, bads, options.smoothing());
        return new AttributeBinning(feature, source, type, upper, groups, Arrays.copyOf(goods, m),
                Arrays.copyOf(bads, m), missingGoods, missingBads, Arrays.copyOf(allWoe, m),
                missingBin ? allWoe[m] : 0, iv);
    }

    private static Cell numericCell(double upper) {
        Cell cell = new Cell();
        cell.upper = upper;
        return cell;
    }

    private static int numericBin(List<Double> cuts, double v) {
        int bin = 0;
        while (bin < cuts.size() && v >= cuts.get(bin)) {
            bin++;
        }
        return bin;
    }

    /** Merges the smallest too-small cell into its neighbour closest in WoE until all are large enough. */
    private static void mergeSmall(List<Cell> cells, double minRows, double smoothing) {
        while (cells.size() > 1) {
            int smallest = -1;
            for (int i = 0; i < cells.size(); i++) {
                long rows = cells.get(i).rows();
                if (rows < minRows && (smallest < 0 || rows < cells.get(smallest).rows())) {
                    smallest = i;
                }
            }
            if (smallest < 0) {
                return;
            }
            double[] woe = woe(cells, smoothing);
            int left = smallest - 1;
            int right = smallest + 1;
            boolean mergeLeft;
            if (left < 0) {
                mergeLeft = false;
            } else if (right >= cells.size()) {
                mergeLeft = true;
            } else {
                mergeLeft = Math.abs(woe[left] - woe[smallest]) <= Math.abs(woe[right] - woe[smallest]);
            }
            merge(cells, mergeLeft ? left : smallest);
        }
    }

    /** Merges adjacent cells that break the trend until WoE rises (or falls) monotonically. */
    private static List<Cell> monotone(List<Cell> cells, boolean rising, double smoothing) {
        boolean merged = true;
        while (merged && cells.size() > 1) {
            merged = false;
            double[] woe = woe(cells, smoothing);
            for (int i = 0; i + 1 < cells.size(); i++) {
                if (rising ? woe[i] > woe[i + 1] : woe[i] < woe[i + 1]) {
                    merge(cells, i);
                    merged = true;
                    break;
                }
            }
        }
        return cells;
    }

    /** Merges cell {@code i + 1} into cell {@code i}. */
    private static void merge(List<Cell> cells, int i) {
        Cell into = cells.get(i);
        Cell from = cells.remove(i + 1);
        into.goods += from.goods;
        into.bads += from.bads;
        into.upper = from.upper;
        into.categories.addAll(from.categories);
    }

    private static List<Cell> copy(List<Cell> cells) {
        List<Cell> copy = new ArrayList<>();
        for (Cell c : cells) {
            Cell d = new Cell();
            d.upper = c.upper;
            d.categories.addAll(c.categories);
            d.goods = c.goods;
            d.bads = c.bads;
            copy.add(d);
        }
        return copy;
    }

    private static double[] woe(List<Cell> cells, double smoothing) {
        long[] goods = new long[cells.size()];
        long[] bads = new long[cells.size()];
        for (int i = 0; i < goods.length; i++) {
            goods[i] = cells.get(i).goods;
            bads[i] = cells.get(i).bads;
        }
        return WeightOfEvidence.woe(goods, bads, smoothing);
    }

    private static double iv(List<Cell> cells, double smoothing) {
        long[] goods = new long[cells.size()];
        long[] bads = new long[cells.size()];
        for (int i = 0; i < goods.length; i++) {
            goods[i] = cells.get(i).goods;
            bads[i] = cells.get(i).bads;
        }
        return WeightOfEvidence.informationValue(goods, bads, smoothing);
    }
}
