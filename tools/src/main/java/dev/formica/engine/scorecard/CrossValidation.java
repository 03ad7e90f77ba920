package dev.formica.engine.scorecard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Stratified k-fold cross-validation of the whole fitting pipeline: for each fold, {@link ScorecardFitter#fit}
 * learns bins, regression, points and grades from the other folds only, and the holdout rows are scored with the
 * resulting integer-points scorecard exactly as the engine scores (sum of the points of the matching bins).
 *
 * <p>Folds: the good rows and the bad rows are each shuffled with {@code new Random(seed)} and dealt round-robin,
 * so every fold has (within one row) the same share of bads, and a seed always gives the same folds.
 *
 * <p>Thread contract: stateless; runs the folds one after the other on the calling thread.
 */
public final class CrossValidation {
    /** One fold's holdout figures. */
    public record Fold(int fold, int trainingRows, int holdoutRows, double auc, double ks) {
    }

    /** All folds and their means. */
    public record Result(List<Fold> folds, double meanAuc, double meanKs) {
        /** Sample standard deviation of the fold AUCs. */
        public double aucStdDev() {
            double ss = 0;
            for (Fold f : folds) {
                ss += (f.auc() - meanAuc) * (f.auc() - meanAuc);
            }
            return folds.size() > 1 ? Math.sqrt(ss / (folds.size() - 1)) : 0;
        }
    }

    private CrossValidation() {
    }

    /** Runs {@code k}-fold cross-validation. */
    public static Result run(ScorecardFitter fitter, int k, long seed) {
        if (k < 2) {
            throw new IllegalArgumentException("--folds must be >= 2, was " + k);
        }
        int[][] folds = folds(fitter, k, seed);
        List<Fold> results = new ArrayList<>();
        double aucSum = 0;
        double ksSum = 0;
        for (int f = 0; f < k; f++) {
            int[] holdout = folds[f];
            int[] training = training(folds, f);
            FittedScorecard scorecard = fitter.fit(training).scorecard();
            double[] scores = new double[holdout.length];
            boolean[] good = new boolean[holdout.length];
            for (int i = 0; i < holdout.length; i++) {
                scores[i] = scorecard.score(fitter.features(holdout[i]));
                good[i] = fitter.isGood(holdout[i]);
            }
            double auc = RankMetrics.auc(scores, good);
            double ks = RankMetrics.ks(scores, good);
            results.add(new Fold(f + 1, training.length, holdout.length, auc, ks));
            aucSum += auc;
            ksSum += ks;
        }
        return new Result(results, aucSum / k, ksSum / k);
    }

    /** The holdout rows of each fold, stratified by label. */
    static int[][] folds(ScorecardFitter fitter, int k, long seed) {
        List<Integer> goods = new ArrayList<>();
        List<Integer> bads = new ArrayList<>();
        for (int r : fitter.labelledRows()) {
            (fitter.isGood(r) ? goods : bads).add(r);
        }
        if (goods.size() < k || bads.size() < k) {
            throw new IllegalArgumentException("--folds " + k + " needs at least " + k + " goods and " + k
                    + " bads; there are " + goods.size() + " and " + bads.size());
        }
        Random random = new Random(seed);
        Collections.shuffle(goods, random);
        Collections.shuffle(bads, random);
        List<List<Integer>> folds = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            folds.add(new ArrayList<>());
        }
        int next = 0;
        for (int r : goods) {
            folds.get(next++ % k).add(r);
        }
        for (int r : bads) {
            folds.get(next++ % k).add(r);
        }
        int[][] result = new int[k][];
        for (int f = 0; f < k; f++) {
            result[f] = folds.get(f).stream().mapToInt(Integer::intValue).sorted().toArray();
        }
        return result;
    }

    private static int[] training(int[][] folds, int holdout) {
        int n = 0;
        for (int f = 0; f < folds.length; f++) {
            n += f == holdout ? 0 : folds[f].length;
        }
        int[] rows = new int[n];
        int i = 0;
        for (int f = 0; f < folds.length; f++) {
            if (f != holdout) {
                System.arraycopy(folds[f], 0, rows, i, folds[f].length);
                i += folds[f].length;
            }
        }
        Arrays.sort(rows);
        return rows;
    }
}
