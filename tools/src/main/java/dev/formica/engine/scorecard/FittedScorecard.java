package dev.formica.engine.scorecard;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A points scorecard as the {@code scorecard:} section of a rule-set file describes it: per attribute, bins
 * tried in order (the first that matches gives its points) and the points for an absent feature; the score is
 * the sum. Higher score means lower risk: {@code PD = 1 / (1 + baseOdds · 2^((score − baseScore) / pdo))}.
 *
 * <p>Thread contract: immutable; {@link #score} may be called from any thread.
 */
public final class FittedScorecard {
    /**
     * One bin. {@code in} (categories) or {@code below} (exclusive upper bound) is its condition; with neither
     * it matches any value.
     */
    public record Bin(List<String> in, Double below, int points) {
        public Bin {
            if (in != null && below != null) {
                throw new IllegalArgumentException("a bin has 'in' or 'below', not both");
            }
            in = in == null ? null : List.copyOf(in);
        }

        /** True when this bin takes the (present) value: a String for {@code in}, a Number for {@code below}. */
        public boolean matches(Object value) {
            if (in != null) {
                return value instanceof String s && in.contains(s);
            }
            if (below != null) {
                return value instanceof Number number && number.doubleValue() < below;
            }
            return true;
        }
    }

    /** The points of one feature. */
    public record Attribute(String feature, FittedFeatureType type, int missingPoints, List<Bin> bins) {
        public Attribute {
            Objects.requireNonNull(feature, "feature");
            Objects.requireNonNull(type, "type");
            bins = List.copyOf(bins);
        }

        /**
         * Points for a value: {@code missingPoints} when absent, else the first matching bin's points (and
         * {@code missingPoints} when no bin matches, which a fitted scorecard avoids with a last catch-all bin).
         */
        public int points(Object value) {
            if (value == null) {
                return missingPoints;
            }
            for (Bin bin : bins) {
                if (bin.matches(value)) {
                    return bin.points();
                }
            }
            return missingPoints;
        }
    }

    private final int baseScore;
    private final double baseOdds;
    private final double pdo;
    private final List<Attribute> attributes;
    private final Map<String, Integer> grades;

    /**
     * @param grades grade name to its minimum score, highest first; a score below the last is grade "E"
     */
    public FittedScorecard(int baseScore, double baseOdds, double pdo, List<Attribute> attributes,
            Map<String, Integer> grades) {
        this.baseScore = baseScore;
        this.baseOdds = baseOdds;
        this.pdo = pdo;
        this.attributes = List.copyOf(attributes);
        this.grades = Collections.unmodifiableMap(new LinkedHashMap<>(grades));
    }

    public int baseScore() {
        return baseScore;
    }

    public double baseOdds() {
        return baseOdds;
    }

    public double pdo() {
        return pdo;
    }

    public List<Attribute> attributes() {
        return attributes;
    }

    public Map<String, Integer> grades() {
        return grades;
    }

    /** The same scorecard with other grade cut-offs. */
    public FittedScorecard withGrades(Map<String, Integer> newGrades) {
        return new FittedScorecard(baseScore, baseOdds, pdo, attributes, newGrades);
    }

    /** The feature names and types the scorecard reads, in attribute order. */
    public Map<String, FittedFeatureType> features() {
        Map<String, FittedFeatureType> features = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            features.put(a.feature(), a.type());
        }
        return features;
    }

    /** Sum of the points of every attribute; a feature missing from the map scores its missing points. */
    public int score(Map<String, ?> features) {
        int score = 0;
        for (Attribute a : attributes) {
            score += a.points(features.get(a.feature()));
        }
        return score;
    }

    /** Probability of default at a score: {@code 1 / (1 + baseOdds · 2^((score − baseScore) / pdo))}. */
    public double pd(double score) {
        return 1 / (1 + baseOdds * Math.pow(2, (score - baseScore) / pdo));
    }

    /** The first grade whose minimum the score reaches, else "E". */
    public String grade(int score) {
        for (Map.Entry<String, Integer> g : grades.entrySet()) {
            if (score >= g.getValue()) {
                return g.getKey();
            }
        }
        return "E";
    }
}
