package dev.formica.engine.scorecard;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleToIntFunction;

/**
 * Fits a points scorecard to labelled rows of an ARFF table: weight-of-evidence binning of every attribute
 * ({@link AttributeBinner}), attributes with an information value below the threshold (or a single bin)
 * dropped, logistic regression of the good/bad log-odds on the WoE-coded attributes ({@link LogisticRegression}),
 * attributes whose coefficient comes out zero or negative dropped one at a time and the model refitted (with WoE
 * coding a negative coefficient means collinearity turned the evidence upside down), then scaling to integer
 * points.
 *
 * <p><b>Scaling.</b> The model gives {@code ln(odds of good) = α + Σ βj·WoEj} (WoE = ln(%good/%bad), so a
 * positive WoE is lower risk). With {@code factor = pdo / ln 2} and
 * {@code offset = baseScore − factor·ln(baseOdds)}, the score is {@code offset + factor·ln(odds of good)}, split
 * over the {@code k} attributes as
 * <pre>
 *   points(attribute j, bin b) = round(factor·(βj·WoEjb + α/k) + offset/k)
 * </pre>
 * so that higher score = lower risk and {@code PD = 1 / (1 + baseOdds · 2^((score − baseScore) / pdo))}. A
 * missing value gets the points of the missing rows' WoE (0 when there were too few), a category never seen in
 * training the points of WoE 0 (the catch-all last bin of a nominal attribute).
 *
 * <p><b>Grades.</b> A, B, C, D are the 80th, 60th, 40th and 20th percentiles of the training rows' scores
 * (quintiles), each lowered by a point if needed to keep them strictly decreasing; below D is E.
 *
 * <p>Thread contract: immutable after construction; {@link #fit} may run on several threads at once.
 */
public final class ScorecardFitter {
    /**
     * Fitting settings.
     *
     * @param target the class attribute, or {@code null} for the last attribute
     * @param goodLabel the target value meaning "good" (every other value is "bad"), or {@code null} for the
     *     first declared value
     * @param binning binning settings
     * @param ivThreshold attributes with a smaller information value are dropped
     * @param ridge L2 penalty of the regression (0 = plain maximum likelihood)
     * @param baseScore the score at which the good:bad odds are {@code baseOdds}
     * @param baseOdds good:bad odds at {@code baseScore}
     * @param pdo points to double the odds
     */
    public record Options(String target, String goodLabel, AttributeBinner.Options binning, double ivThreshold,
            double ridge, int baseScore, double baseOdds, double pdo) {
        public Options {
            if (!(ivThreshold >= 0)) {
                throw new IllegalArgumentException("IV threshold must be >= 0, was " + ivThreshold);
            }
            if (!(ridge >= 0)) {
                throw new IllegalArgumentException("ridge must be >= 0, was " + ridge);
            }
            if (!(baseOdds > 0) || !(pdo > 0)) {
                throw new IllegalArgumentException("base odds and pdo must be > 0");
            }
        }

        /** The defaults of {@code formica scorecard fit}. */
        public static Options defaults() {
            return new Options(null, null, new AttributeBinner.Options(10, 0.05, true,
                    WeightOfEvidence.DEFAULT_SMOOTHING), 0.02, 0, 600, 50, 20);
        }
    }

    /** Why an attribute is in the scorecard or not. */
    public enum Status {
        KEPT,
        LOW_IV,
        NON_POSITIVE_COEFFICIENT
    }

    /** One attribute's binning, fate and (when kept) regression coefficient. */
    public record AttributeReport(AttributeBinning binning, Status status, double coefficient) {
    }

    /** A fitted scorecard with what led to it. */
    public record Fit(FittedScorecard scorecard, List<AttributeReport> attributes, double intercept, int trainingRows) {
    }

    private record Predictor(int column, String feature, FittedFeatureType type) {
    }

    private final ArffData data;
    private final Options options;
    private final String targetName;
    private final String goodLabel;
    private final boolean[] good;
    private final int[] labelled;
    private final List<Predictor> predictors = new ArrayList<>();

    /** Resolves the target, the good label and the predictors; rows with a missing target are left out. */
    public ScorecardFitter(ArffData data, Options options) {
        this.data = data;
        this.options = options;
        int target = options.target() == null ? data.attributes().size() - 1 : data.indexOf(options.target());
        if (target < 0) {
            throw new IllegalArgumentException("--target: no attribute named '" + options.target() + "'");
        }
        ArffData.Attribute targetAttribute = data.attributes().get(target);
        if (targetAttribute.kind() != ArffData.Kind.NOMINAL) {
            throw new IllegalArgumentException("--target: attribute '" + targetAttribute.name()
                    + "' must be nominal, e.g. {good, bad}");
        }
        this.targetName = targetAttribute.name();
        this.goodLabel = options.goodLabel() == null ? targetAttribute.nominalValues().get(0) : options.goodLabel();
        if (!targetAttribute.nominalValues().contains(goodLabel)) {
            throw new IllegalArgumentException("--good: '" + goodLabel + "' is not a value of '" + targetName + "' "
                    + targetAttribute.nominalValues());
        }
        String[] labels = data.labels(target);
        good = new boolean[data.rowCount()];
        int[] rows = new int[data.rowCount()];
        int n = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] != null) {
                good[r] = labels[r].equals(goodLabel);
                rows[n++] = r;
            }
        }
        labelled = Arrays.copyOf(rows, n);
        List<String> taken = new ArrayList<>();
        for (int a = 0; a < data.attributes().size(); a++) {
            if (a == target) {
                continue;
            }
            ArffData.Attribute attribute = data.attributes().get(a);
            String feature = FeatureNames.sanitise(attribute.name(), taken);
            taken.add(feature);
            FittedFeatureType type = attribute.kind() == ArffData.Kind.NUMERIC
                    ? (integral(data.numbers(a)) ? FittedFeatureType.INT : FittedFeatureType.DOUBLE)
                    : FittedFeatureType.STRING;
            predictors.add(new Predictor(a, feature, type));
        }
        if (predictors.isEmpty()) {
            throw new IllegalArgumentException("no attributes besides the target '" + targetName + "'");
        }
    }

    public String targetName() {
        return targetName;
    }

    public String goodLabel() {
        return goodLabel;
    }

    /** The rows with a target value, in file order. */
    public int[] labelledRows() {
        return labelled.clone();
    }

    /** Whether row {@code r} is good (meaningful for labelled rows only). */
    public boolean isGood(int row) {
        return good[row];
    }

    public int predictorCount() {
        return predictors.size();
    }

    /**
     * The features of one row as the engine sees them: {@code int} features as {@link Long}, {@code double} as
     * {@link Double}, {@code string} as {@link String}; a missing value is absent.
     */
    public Map<String, Object> features(int row) {
        Map<String, Object> features = new HashMap<>();
        for (Predictor p : predictors) {
            if (p.type() == FittedFeatureType.STRING) {
                String v = data.labels(p.column())[row];
                if (v != null) {
                    features.put(p.feature(), v);
                }
            } else {
                double v = data.numbers(p.column())[row];
                if (!Double.isNaN(v)) {
                    features.put(p.feature(), p.type() == FittedFeatureType.INT ? (Object) (long) v : (Object) v);
                }
            }
        }
        return features;
    }

    /** Fits binning, regression, points and grades on these rows only. */
    public Fit fit(int[] rows) {
        List<AttributeBinning> binnings = new ArrayList<>();
        for (Predictor p : predictors) {
            ArffData.Attribute attribute = data.attributes().get(p.column());
            binnings.add(p.type() == FittedFeatureType.STRING
                    ? AttributeBinner.nominal(p.feature(), attribute.name(), data.labels(p.column()),
                            attribute.nominalValues(), rows, good, options.binning())
                    : AttributeBinner.numeric(p.feature(), attribute.name(), p.type(), data.numbers(p.column()),
                            rows, good, options.binning()));
        }
        Map<AttributeBinning, Status> status = new LinkedHashMap<>();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < binnings.size(); i++) {
            // a single bin is a constant column: no evidence, and collinear with the intercept
            boolean useful = binnings.get(i).binCount() > 1
                    && binnings.get(i).informationValue() >= options.ivThreshold();
            status.put(binnings.get(i), useful ? Status.KEPT : Status.LOW_IV);
            if (useful) {
                kept.add(i);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no attribute reaches the IV threshold " + options.ivThreshold());
        }
        boolean[] y = new boolean[rows.length];
        for (int i = 0; i < rows.length; i++) {
            y[i] = good[rows[i]];
        }
        double[] beta;
        while (true) {
            beta = LogisticRegression.fit(design(binnings, kept, rows), y, options.ridge());
            int worst = -1;
            for (int j = 0; j < kept.size(); j++) {
                if (beta[j + 1] <= 0 && (worst < 0 || beta[j + 1] < beta[worst + 1])) {
                    worst = j;
                }
            }
            if (worst < 0) {
                break;
            }
            status.put(binnings.get(kept.get(worst)), Status.NON_POSITIVE_COEFFICIENT);
            kept.remove(worst);
            if (kept.isEmpty()) {
                throw new IllegalArgumentException("no attribute keeps a positive coefficient");
            }
        }
        Map<Integer, Double> coefficient = new HashMap<>();
        for (int j = 0; j < kept.size(); j++) {
            coefficient.put(kept.get(j), beta[j + 1]);
        }
        List<FittedScorecard.Attribute> attributes = new ArrayList<>();
        double factor = options.pdo() / Math.log(2);
        double offset = options.baseScore() - factor * Math.log(options.baseOdds());
        int k = kept.size();
        double alpha = beta[0];
        for (int j = 0; j < k; j++) {
            AttributeBinning b = binnings.get(kept.get(j));
            double bj = beta[j + 1];
            DoubleToIntFunction points =
                    woe -> (int) Math.round(factor * (bj * woe + alpha / k) + offset / k);
            List<FittedScorecard.Bin> bins = new ArrayList<>();
            if (b.numeric()) {
                double[] upper = b.upperBounds();
                for (int i = 0; i < upper.length; i++) {
                    bins.add(new FittedScorecard.Bin(null, upper[i], points.applyAsInt(b.woe(i))));
                }
                bins.add(new FittedScorecard.Bin(null, null, points.applyAsInt(b.woe(upper.length))));
            } else {
                for (int i = 0; i < b.binCount(); i++) {
                    bins.add(new FittedScorecard.Bin(b.groups().get(i), null, points.applyAsInt(b.woe(i))));
                }
                bins.add(new FittedScorecard.Bin(null, null, points.applyAsInt(0)));
            }
            attributes.add(new FittedScorecard.Attribute(b.feature(), b.type(), points.applyAsInt(b.missingWoe()),
                    bins));
        }
        FittedScorecard scorecard = new FittedScorecard(options.baseScore(), options.baseOdds(), options.pdo(),
                attributes, Map.of());
        scorecard = scorecard.withGrades(quintileGrades(scorecard, rows));
        List<AttributeReport> reports = new ArrayList<>();
        for (int i = 0; i < binnings.size(); i++) {
            AttributeBinning b = binnings.get(i);
            reports.add(new AttributeReport(b, status.get(b), coefficient.getOrDefault(i, Double.NaN)));
        }
        return new Fit(scorecard, reports, alpha, rows.length);
    }

    private double[][] design(List<AttributeBinning> binnings, List<Integer> kept, int[] rows) {
        double[][] x = new double[rows.length][kept.size()];
        for (int j = 0; j < kept.size(); j++) {
            AttributeBinning b = binnings.get(kept.get(j));
            Predictor p = predictors.get(kept.get(j));
            for (int i = 0; i < rows.length; i++) {
                x[i][j] = p.type() == FittedFeatureType.STRING ? b.encode(data.labels(p.column())[rows[i]])
                        : b.encode(data.numbers(p.column())[rows[i]]);
            }
        }
        return x;
    }

    private Map<String, Integer> quintileGrades(FittedScorecard scorecard, int[] rows) {
        int[] scores = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            scores[i] = scorecard.score(features(rows[i]));
        }
        Arrays.sort(scores);
        Map<String, Integer> grades = new LinkedHashMap<>();
        String[] names = {"A", "B", "C", "D"};
        int previous = Integer.MAX_VALUE;
        for (int g = 0; g < names.length; g++) {
            double q = 0.8 - 0.2 * g;
            int cut = Math.min(scores[(int) Math.floor(q * (scores.length - 1))], previous - 1);
            grades.put(names[g], cut);
            previous = cut;
        }
        return grades;
    }

    private static boolean integral(double[] values) {
        for (double v : values) {
            if (!Double.isNaN(v) && (v != Math.rint(v) || Math.abs(v) > 1e15)) {
                return false;
            }
        }
        return true;
    }
}
