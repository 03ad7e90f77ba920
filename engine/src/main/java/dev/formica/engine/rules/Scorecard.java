package dev.formica.engine.rules;

import com.google.protobuf.ByteString;
import java.util.Set;
import org.agrona.collections.LongHashSet;

/**
 * A points scorecard: each attribute's value falls into the first matching bin and scores its points; the
 * score is the base plus the sum. Higher is better. PD = 1 / (1 + base_odds · 2^((score − base_score) / pdo)),
 * and the grade is the best one whose minimum the score reaches (below D is E).
 *
 * <p>Thread contract: immutable. {@link #score} writes into caller-owned scratch arrays.
 */
public final class Scorecard {
    /** One bin: below a bound, in a set of values, or anything. */
    record Bin(String label, int points, double below, LongHashSet ints, Set<String> strings) {
        boolean matches(FeatureLayout.Slot slot, FeatureVector f) {
            if (ints != null) {
                return slot.type() == FeatureType.BOOL ? ints.contains(f.getBool(slot.index()) ? 1 : 0)
                        : ints.contains(f.getInt(slot.index()));
            }
            if (strings != null) {
                CharSequence s = f.getString(slot.index());
                return s instanceof String str ? strings.contains(str) : strings.contains(s.toString());
            }
            if (!Double.isNaN(below)) {
                double v = slot.type() == FeatureType.DOUBLE ? f.getDouble(slot.index()) : f.getInt(slot.index());
                return v < below;
            }
            return true;
        }
    }

    /** One scored attribute. */
    record Attribute(FeatureLayout.Slot slot, int missingPoints, Bin[] bins) {
    }

    /** Index in the scratch bin array meaning "missing". */
    public static final int MISSING = -1;
    /** Index meaning "no bin matched" (scores 0). */
    public static final int UNMATCHED = -2;

    private final int baseScore;
    private final double baseOdds;
    private final double pdo;
    private final Attribute[] attributes;
    /** Minimum score for A, B, C, D. */
    private final int[] gradeMinimum;
    /** Attribute names and bin labels as UTF-8, encoded once for the explanations in every response. */
    private final ByteString[] nameBytes;
    private final ByteString[][] labelBytes;
    private static final ByteString MISSING_LABEL = ByteString.copyFromUtf8("missing");
    private static final ByteString UNMATCHED_LABEL = ByteString.copyFromUtf8("no bin");

    Scorecard(int baseScore, double baseOdds, double pdo, Attribute[] attributes, int[] gradeMinimum) {
        this.baseScore = baseScore;
        this.baseOdds = baseOdds;
        this.pdo = pdo;
        this.attributes = attributes;
        this.gradeMinimum = gradeMinimum;
        this.nameBytes = new ByteString[attributes.length];
        this.labelBytes = new ByteString[attributes.length][];
        for (int i = 0; i < attributes.length; i++) {
            nameBytes[i] = ByteString.copyFromUtf8(attributes[i].slot().name());
            Bin[] bins = attributes[i].bins();
            labelBytes[i] = new ByteString[bins.length];
            for (int b = 0; b < bins.length; b++) {
                labelBytes[i][b] = ByteString.copyFromUtf8(bins[b].label());
            }
        }
    }

    public int attributeCount() {
        return attributes.length;
    }

    /** Attribute {@code i}'s feature name, as UTF-8 encoded once. */
    public ByteString attributeNameBytes(int i) {
        return nameBytes[i];
    }

    /**
     * The label of a bin as the explanation shows it ("[12,24)", "in [A11, A12]", "missing", "no bin"), as
     * UTF-8 encoded once.
     */
    public ByteString binLabelBytes(int attribute, int bin) {
        return bin == MISSING ? MISSING_LABEL : bin == UNMATCHED ? UNMATCHED_LABEL : labelBytes[attribute][bin];
    }

    /** Attribute {@code i}'s feature name. */
    public String attributeName(int i) {
        return attributes[i].slot().name();
    }

    /** {@link #binLabelBytes} as text. */
    public String binLabel(int attribute, int bin) {
        return bin == MISSING ? "missing" : bin == UNMATCHED ? "no bin" : attributes[attribute].bins()[bin].label();
    }

    /**
     * Scores the vector. {@code points[i]} and {@code bins[i]} receive each attribute's points and bin
     * index; both arrays must hold {@link #attributeCount()} entries. Allocation-free.
     */
    public int score(FeatureVector f, int[] points, int[] bins) {
        int score = baseScore;
        for (int i = 0; i < attributes.length; i++) {
            Attribute a = attributes[i];
            int p;
            int bin;
            if (!f.isPresent(a.slot().index())) {
                p = a.missingPoints();
                bin = MISSING;
            } else {
                p = 0;
                bin = UNMATCHED;
                Bin[] all = a.bins();
                for (int b = 0; b < all.length; b++) {
                    if (all[b].matches(a.slot(), f)) {
                        p = all[b].points();
                        bin = b;
                        break;
                    }
                }
            }
            points[i] = p;
            bins[i] = bin;
            score += p;
        }
        return score;
    }

    /** Probability of default for a score. */
    public double pd(int score) {
        double odds = baseOdds * Math.pow(2.0, (score - baseScore) / pdo);
        return 1.0 / (1.0 + odds);
    }

    /** Grade number 1 (A) .. 5 (E). */
    public int grade(int score) {
        for (int g = 0; g < gradeMinimum.length; g++) {
            if (score >= gradeMinimum[g]) {
                return g + 1;
            }
        }
        return 5;
    }

    static String render(FeatureLayout.Slot s, FeatureVector f) {
        StringBuilder out = new StringBuilder();
        render(s, f, out);
        return out.toString();
    }

    /**
     * Appends {@link #render(FeatureLayout.Slot, FeatureVector)}'s text; allocates only for a DOUBLE that
     * {@link #appendTwoDecimals} leaves to the formatter.
     */
    static void render(FeatureLayout.Slot s, FeatureVector f, StringBuilder out) {
        if (!f.isPresent(s.index())) {
            out.append("absent");
            return;
        }
        switch (s.type()) {
            case INT:
                out.append(f.getInt(s.index()));
                break;
            case DOUBLE:
                appendTwoDecimals(f.getDouble(s.index()), out);
                break;
            case BOOL:
                out.append(f.getBool(s.index()));
                break;
            default:
                out.append(f.getString(s.index()));
                break;
        }
    }

    /**
     * Appends {@code value} as {@code String.format(Locale.ROOT, "%.2f", value)} does, without the formatter's
     * objects (a Formatter, its parse and DecimalFormatSymbols: about 1.5 KB per fired rule that reports a double,
     * such as AMOUNT_ANOMALY's z-score). The formatter rounds the shortest decimal of the value half up; the value
     * itself differs from that decimal by less than half an ulp, so both round alike unless 100 × |value| lies within
     * 10^-6 of a half, which (with NaN, infinities and magnitudes of 10^7 and above) goes to the formatter.
     */
    static void appendTwoDecimals(double value, StringBuilder out) {
        double magnitude = Math.abs(value);
        double hundredths = magnitude * 100;
        // NaN, infinite or very large, or a near-tie: the formatter decides
        if (!(magnitude < 1e7) || Math.abs(hundredths - Math.floor(hundredths) - 0.5) <= 1e-6) {
            out.append(String.format(java.util.Locale.ROOT, "%.2f", value));
            return;
        }
        long rounded = (long) Math.floor(hundredths + 0.5);
        if (Double.compare(value, 0.0) < 0) {
            out.append('-'); // as the formatter: -0.001 is "-0.00"
        }
        long cents = rounded % 100;
        out.append(rounded / 100).append('.').append((char) ('0' + cents / 10)).append((char) ('0' + cents % 10));
    }
}
