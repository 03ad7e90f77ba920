package dev.formica.engine.scorecard;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes the {@code features:} and {@code scorecard:} sections of a rule-set file:
 * <pre>
 * features:
 *   checking_status: string
 * scorecard:
 *   base_score: 600
 *   base_odds: 50
 *   pdo: 20
 *   attributes:
 *     - feature: checking_status
 *       missing_points: 0
 *       bins:
 *         - { in: ["&lt;0", "0&lt;=X&lt;200"], points: -12 }
 *         - { points: 18 }
 *   grades: { A: 680, B: 640, C: 600, D: 560 }
 * </pre>
 * Categories are double-quoted YAML strings; {@code below} bounds of an {@code int} feature are written as whole
 * numbers, of a {@code double} feature as plain decimals (never in exponent form, which YAML 1.1 may read as a
 * string). Comments (the header and optional notes per attribute and bin) carry no data.
 *
 * <p>Thread contract: stateless.
 */
public final class ScorecardYaml {
    /** Optional end-of-line comments; {@code null} or empty means none. */
    public interface Notes {
        Notes NONE = new Notes() {
        };

        default String attribute(int attribute) {
            return null;
        }

        default String bin(int attribute, int bin) {
            return null;
        }

        default String missing(int attribute) {
            return null;
        }
    }

    private ScorecardYaml() {
    }

    /** The YAML text, starting with {@code header} as {@code #} comment lines. */
    public static String write(FittedScorecard scorecard, List<String> header, Notes notes) {
        StringBuilder y = new StringBuilder();
        for (String line : header) {
            y.append("# ").append(line.replace('\n', ' ')).append('\n');
        }
        y.append("features:\n");
        for (Map.Entry<String, FittedFeatureType> f : scorecard.features().entrySet()) {
            y.append("  ").append(f.getKey()).append(": ").append(f.getValue().yamlName()).append('\n');
        }
        y.append("scorecard:\n");
        y.append("  base_score: ").append(scorecard.baseScore()).append('\n');
        y.append("  base_odds: ").append(number(scorecard.baseOdds())).append("  # good:bad odds at base_score\n");
        y.append("  pdo: ").append(number(scorecard.pdo())).append("  # points to double the odds\n");
        y.append("  attributes:\n");
        List<FittedScorecard.Attribute> attributes = scorecard.attributes();
        for (int a = 0; a < attributes.size(); a++) {
            FittedScorecard.Attribute attribute = attributes.get(a);
            line(y, "    - feature: " + attribute.feature(), notes.attribute(a));
            line(y, "      missing_points: " + attribute.missingPoints(), notes.missing(a));
            y.append("      bins:\n");
            for (int b = 0; b < attribute.bins().size(); b++) {
                FittedScorecard.Bin bin = attribute.bins().get(b);
                StringBuilder entry = new StringBuilder("        - { ");
                if (bin.in() != null) {
                    entry.append("in: [");
                    for (int i = 0; i < bin.in().size(); i++) {
                        entry.append(i == 0 ? "" : ", ").append(quote(bin.in().get(i)));
                    }
                    entry.append("], ");
                } else if (bin.below() != null) {
                    entry.append("below: ").append(attribute.type() == FittedFeatureType.INT
                            ? Long.toString((long) Math.ceil(bin.below())) : number(bin.below())).append(", ");
                }
                entry.append("points: ").append(bin.points()).append(" }");
                line(y, entry.toString(), notes.bin(a, b));
            }
        }
        StringBuilder grades = new StringBuilder("  grades: { ");
        int g = 0;
        for (Map.Entry<String, Integer> grade : scorecard.grades().entrySet()) {
            grades.append(g++ == 0 ? "" : ", ").append(grade.getKey()).append(": ").append(grade.getValue());
        }
        grades.append(" }");
        line(y, grades.toString(), "minimum score per grade; below the last is E");
        return y.toString();
    }

    private static void line(StringBuilder y, String text, String note) {
        y.append(text);
        if (note != null && !note.isEmpty()) {
            y.append(" ".repeat(Math.max(1, 48 - text.length()))).append("# ").append(note.replace('\n', ' '));
        }
        y.append('\n');
    }

    /** A plain decimal: {@code 50}, {@code 0.25}, {@code 1234.5}. */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return BigDecimal.valueOf(value).toPlainString();
    }

    /** A YAML double-quoted scalar. */
    static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                q.append(String.format("\\x%02x", (int) c));
            } else {
                q.append(c);
            }
        }
        return q.append('"').toString();
    }
}
