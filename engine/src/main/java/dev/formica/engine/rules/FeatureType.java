package dev.formica.engine.rules;

import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;

/** The four value types a feature can have; each maps to one CEL type. */
public enum FeatureType {
    INT(SimpleType.INT),
    DOUBLE(SimpleType.DOUBLE),
    BOOL(SimpleType.BOOL),
    STRING(SimpleType.STRING);

    private final CelType celType;

    FeatureType(CelType celType) {
        this.celType = celType;
    }

    CelType celType() {
        return celType;
    }

    /** Parses the rule-set spelling ({@code int}, {@code double}, {@code bool}, {@code string}). */
    static FeatureType parse(String text) {
        switch (text) {
            case "int":
                return INT;
            case "double":
                return DOUBLE;
            case "bool":
                return BOOL;
            case "string":
                return STRING;
            default:
                throw new IllegalArgumentException("unknown feature type '" + text + "' (int, double, bool or string)");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
