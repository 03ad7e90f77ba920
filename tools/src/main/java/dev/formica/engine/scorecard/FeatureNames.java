package dev.formica.engine.scorecard;

import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns ARFF attribute names into rule-set feature names: CEL identifiers ({@code [A-Za-z_][A-Za-z0-9_]*}, so they
 * also match the rule-set pattern {@code [A-Za-z_][A-Za-z0-9_.]*}) that are neither CEL reserved words nor words
 * YAML 1.1 reads as a boolean or null. Thread contract: stateless.
 */
public final class FeatureNames {
    /** What a feature name must look like. */
    public static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** CEL reserved words (language definition) and YAML 1.1 boolean / null words. */
    private static final Set<String> RESERVED = Set.of(
            "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
            "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
            "yes", "no", "on", "off", "y", "n");

    private FeatureNames() {
    }

    /**
     * A feature name for {@code name}: every character outside {@code [A-Za-z0-9_]} (a dash, a space, a dot)
     * becomes {@code _}, a leading digit gets a {@code _} prefix, a reserved word a {@code _} suffix, and a name
     * already in {@code taken} a {@code _2}, {@code _3}, ... suffix.
     */
    public static String sanitise(String name, Collection<String> taken) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_');
            b.append(ok ? c : '_');
        }
        if (b.length() == 0 || Character.isDigit(b.charAt(0))) {
            b.insert(0, '_');
        }
        String base = b.toString();
        if (RESERVED.contains(base.toLowerCase(Locale.ROOT))) {
            base = base + "_";
        }
        Set<String> used = new HashSet<>(taken);
        String candidate = base;
        for (int n = 2; used.contains(candidate); n++) {
            candidate = base + "_" + n;
        }
        return candidate;
    }
}
