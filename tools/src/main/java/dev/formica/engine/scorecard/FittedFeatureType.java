package dev.formica.engine.scorecard;

import java.util.Locale;

/** The type of a feature as a rule-set file declares it ({@code features:} section). Immutable. */
public enum FittedFeatureType {
    INT,
    DOUBLE,
    BOOL,
    STRING;

    /** The spelling in a rule-set file: {@code int}, {@code double}, {@code bool} or {@code string}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
