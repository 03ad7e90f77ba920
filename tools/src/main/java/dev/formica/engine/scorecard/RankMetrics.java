package dev.formica.engine.scorecard;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Discrimination of a score where higher means "more likely good".
 *
 * <p>AUC is the probability that a random good scores above a random bad, ties counting one half (the
 * Mann–Whitney statistic). KS is the largest gap between the cumulative score distributions of goods and bads,
 * {@code max_t |F_bad(t) − F_good(t)|} with {@code F(t)} the share scoring at most {@code t}, taken only between
 * distinct scores so that tied rows are never split.
 *
 * <p>Thread contract: stateless.
 */
public final class RankMetrics {
    private RankMetrics() {
    }

    /** Area under the ROC curve. */
    public static double auc(double[] scores, boolean[] good) {
        Integer[] order = sortedOrder(scores, good);
        long goods = count(good, true);
        long bads = good.length - goods;
        double goodsAbove = 0;
        long badsSoFar = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            long tiedGoods = 0;
            long tiedBads = 0;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (good[order[j]]) {
                    tiedGoods++;
                } else {
                    tiedBads++;
                }
                j++;
            }
            // each good here beats every bad scored lower and ties with the bads at the same score
            goodsAbove += tiedGoods * (badsSoFar + tiedBads / 2.0);
            badsSoFar += tiedBads;
            i = j;
        }
        return goodsAbove / ((double) goods * bads);
    }

    /** Kolmogorov–Smirnov statistic between the goods' and the bads' score distributions. */
    public static double ks(double[] scores, boolean[] good) {
        Integer[] order = sortedOrder(scores, good);
        double goods = count(good, true);
        double bads = good.length - goods;
        double cumGood = 0;
        double cumBad = 0;
        double ks = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (good[order[j]]) {
                    cumGood++;
                } else {
                    cumBad++;
                }
                j++;
            }
            ks = Math.max(ks, Math.abs(cumBad / bads - cumGood / goods));
            i = j;
        }
        return ks;
    }

    private static Integer[] sortedOrder(double[] scores, boolean[] good) {
        if (scores.length != good.length) {
            throw new IllegalArgumentException("need one label per score");
        }
        long goods = count(good, true);
        if (goods == 0 || goods == good.length) {
            throw new IllegalArgumentException("need at least one good and one bad");
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
        return order;
    }

    private static long count(boolean[] values, boolean value) {
        long n = 0;
        for (boolean v : values) {
            if (v == value) {
                n++;
            }
        }
        return n;
    }
}
