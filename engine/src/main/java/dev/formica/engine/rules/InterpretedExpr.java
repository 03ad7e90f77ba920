package dev.formica.engine.rules;

import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelVariableResolver;
import java.util.Optional;

/**
 * An expression run by the CEL runtime: the fallback for constructs the specialised tree does not cover
 * (macros, lists, maps, regular expressions, ...). Correct but slower, and it allocates: a rule set that
 * needs it gets a publish warning naming the rule.
 *
 * <p>Thread contract: immutable; the CEL program is thread-safe.
 */
final class InterpretedExpr extends Expr {
    private final CelRuntime.Program program;
    private final FeatureLayout layout;

    InterpretedExpr(CelRuntime.Program program, FeatureLayout layout) {
        this.program = program;
        this.layout = layout;
    }

    @Override
    boolean compiled() {
        return false;
    }

    private Object eval(FeatureVector f) {
        try {
            return program.eval(resolver(layout, f));
        } catch (CelEvaluationException e) {
            throw new ArithmeticException("CEL evaluation failed: " + e.getMessage());
        }
    }

    /** Resolves variable names to the vector's values: absent slots read as the type's zero value. */
    static CelVariableResolver resolver(FeatureLayout layout, FeatureVector f) {
        return name -> {
            FeatureLayout.Slot slot = layout.slot(name);
            if (slot == null) {
                return Optional.empty();
            }
            switch (slot.type()) {
                case INT:
                    return Optional.of(f.getInt(slot.index()));
                case DOUBLE:
                    return Optional.of(f.getDouble(slot.index()));
                case BOOL:
                    return Optional.of(f.getBool(slot.index()));
                default:
                    return Optional.of(f.getString(slot.index()).toString());
            }
        };
    }

    @Override
    boolean bool(FeatureVector f) {
        return (Boolean) eval(f);
    }

    @Override
    long integer(FeatureVector f) {
        return (Long) eval(f);
    }

    @Override
    double real(FeatureVector f) {
        Object v = eval(f);
        return v instanceof Long l ? l : (Double) v;
    }

    @Override
    CharSequence string(FeatureVector f) {
        return (String) eval(f);
    }
}
