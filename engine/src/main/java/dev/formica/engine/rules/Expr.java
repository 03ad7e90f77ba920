package dev.formica.engine.rules;

/**
 * A type-checked CEL expression ready to evaluate over a {@link FeatureVector}. The fast form is a tree of
 * the small nodes below, specialised by type at compile time so that evaluation reads primitive slots and
 * allocates nothing; {@link InterpretedExpr} runs the CEL runtime for what the tree does not cover.
 *
 * <p>Errors follow CEL: integer overflow and division by zero raise {@link ArithmeticException}; the
 * caller treats a rule whose condition raised as not fired and counts it.
 *
 * <p>Thread contract: immutable; evaluate from any thread with that thread's own vector.
 */
abstract class Expr {
    boolean bool(FeatureVector f) {
        throw new IllegalStateException(getClass().getSimpleName() + " is not a bool expression");
    }

    long integer(FeatureVector f) {
        throw new IllegalStateException(getClass().getSimpleName() + " is not an int expression");
    }

    double real(FeatureVector f) {
        throw new IllegalStateException(getClass().getSimpleName() + " is not a double expression");
    }

    CharSequence string(FeatureVector f) {
        throw new IllegalStateException(getClass().getSimpleName() + " is not a string expression");
    }

    /** True when this node and its children run without the CEL interpreter. */
    boolean compiled() {
        return true;
    }

    // ---- leaves -----------------------------------------------------------------------------------

    static final class BoolConst extends Expr {
        private final boolean value;

        BoolConst(boolean value) {
            this.value = value;
        }

        @Override
        boolean bool(FeatureVector f) {
            return value;
        }
    }

    static final class IntConst extends Expr {
        private final long value;

        IntConst(long value) {
            this.value = value;
        }

        @Override
        long integer(FeatureVector f) {
            return value;
        }

        @Override
        double real(FeatureVector f) {
            return value;
        }
    }

    static final class DoubleConst extends Expr {
        private final double value;

        DoubleConst(double value) {
            this.value = value;
        }

        @Override
        double real(FeatureVector f) {
            return value;
        }
    }

    static final class StringConst extends Expr {
        private final String value;

        StringConst(String value) {
            this.value = value;
        }

        @Override
        CharSequence string(FeatureVector f) {
            return value;
        }
    }

    static final class IntSlot extends Expr {
        private final int slot;

        IntSlot(int slot) {
            this.slot = slot;
        }

        @Override
        long integer(FeatureVector f) {
            return f.getInt(slot);
        }

        @Override
        double real(FeatureVector f) {
            return f.getInt(slot);
        }
    }

    static final class BoolSlot extends Expr {
        private final int slot;

        BoolSlot(int slot) {
            this.slot = slot;
        }

        @Override
        boolean bool(FeatureVector f) {
            return f.getBool(slot);
        }
    }

    static final class DoubleSlot extends Expr {
        private final int slot;

        DoubleSlot(int slot) {
            this.slot = slot;
        }

        @Override
        double real(FeatureVector f) {
            return f.getDouble(slot);
        }
    }

    static final class StringSlot extends Expr {
        private final int slot;

        StringSlot(int slot) {
            this.slot = slot;
        }

        @Override
        CharSequence string(FeatureVector f) {
            return f.getString(slot);
        }
    }

    // ---- logic ------------------------------------------------------------------------------------

    static final class And extends Expr {
        private final Expr left;
        private final Expr right;

        And(Expr left, Expr right) {
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(FeatureVector f) {
            return left.bool(f) && right.bool(f);
        }
    }

    static final class Or extends Expr {
        private final Expr left;
        private final Expr right;

        Or(Expr left, Expr right) {
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(FeatureVector f) {
            return left.bool(f) || right.bool(f);
        }
    }

    static final class Not extends Expr {
        private final Expr operand;

        Not(Expr operand) {
            this.operand = operand;
        }

        @Override
        boolean bool(FeatureVector f) {
            return !operand.bool(f);
        }
    }

    /** {@code c ? a : b} for every result type. */
    static final class Conditional extends Expr {
        private final Expr condition;
        private final Expr then;
        private final Expr otherwise;

        Conditional(Expr condition, Expr then, Expr otherwise) {
            this.condition = condition;
            this.then = then;
            this.otherwise = otherwise;
        }

        @Override
        boolean bool(FeatureVector f) {
            return condition.bool(f) ? then.bool(f) : otherwise.bool(f);
        }

        @Override
        long integer(FeatureVector f) {
            return condition.bool(f) ? then.integer(f) : otherwise.integer(f);
        }

        @Override
        double real(FeatureVector f) {
            return condition.bool(f) ? then.real(f) : otherwise.real(f);
        }

        @Override
        CharSequence string(FeatureVector f) {
            return condition.bool(f) ? then.string(f) : otherwise.string(f);
        }
    }

    // ---- comparisons ------------------------------------------------------------------------------

    /** Relational operators, in the order of {@link #test(int)}. */
    enum Relation {
        EQ, NE, LT, LE, GT, GE;

        boolean test(int comparison) {
            switch (this) {
                case EQ:
                    return comparison == 0;
                case NE:
                    return comparison != 0;
                case LT:
                    return comparison < 0;
                case LE:
                    return comparison <= 0;
                case GT:
                    return comparison > 0;
                default:
                    return comparison >= 0;
            }
        }
    }

    static final class CompareInt extends Expr {
        private final Relation relation;
        private final Expr left;
        private final Expr right;

        CompareInt(Relation relation, Expr left, Expr right) {
            this.relation = relation;
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(FeatureVector f) {
            return relation.test(Long.compare(left.integer(f), right.integer(f)));
        }
    }

    /** Doubles, and int against double (CEL's heterogeneous numeric comparison). */
    static final class CompareDouble extends Expr {
        private final Relation relation;
        private final Expr left;
        private final Expr right;

        CompareDouble(Relation relation, Expr left, Expr right) {
            this.relation = relation;
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(FeatureVector f) {
            double a = left.real(f);
            double b = right.real(f);
            if (Double.isNaN(a) || Double.isNaN(b)) {
                return relation == Relation.NE;
            }
            return relation.test(Double.compare(a == 0.0 ? 0.0 : a, b == 0.0 ? 0.0 : b));
        }
    }

    static final class CompareBool extends Expr {
        private final boolean equal;
        private final Expr left;
        private final Expr right;

        CompareBool(boolean equal, Expr left, Expr right) {
            this.equal = equal;
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(FeatureVector f) {
            return (left.bool(f) == right.bool(f)) == equal;
        }
    }

    static final class CompareString extends Expr {
        private final Relation relation;
        private final Expr left;
        private final Expr right;

        CompareString(Relation relation, Expr left, Expr right) {
            this.relation = relation;
            this.left = left;
            this.right = right;
        }

        @Override
        boolean bool(FeatureVector f) {
            return relation.test(CharSequence.compare(left.string(f), right.string(f)));
        }
    }

    // ---- arithmetic -------------------------------------------------------------------------------

    /** Arithmetic operators. */
    enum Arith {
        ADD, SUB, MUL, DIV, MOD
    }

    static final class IntArith extends Expr {
        private final Arith op;
        private final Expr left;
        private final Expr right;

        IntArith(Arith op, Expr left, Expr right) {
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        long integer(FeatureVector f) {
            long a = left.integer(f);
            long b = right.integer(f);
            switch (op) {
                case ADD:
                    return Math.addExact(a, b);
                case SUB:
                    return Math.subtractExact(a, b);
                case MUL:
                    return Math.multiplyExact(a, b);
                case DIV:
                    if (b == -1 && a == Long.MIN_VALUE) {
                        throw new ArithmeticException("integer overflow");
                    }
                    return a / b;
                default:
                    return a % b;
            }
        }

        @Override
        double real(FeatureVector f) {
            return integer(f);
        }
    }

    static final class DoubleArith extends Expr {
        private final Arith op;
        private final Expr left;
        private final Expr right;

        DoubleArith(Arith op, Expr left, Expr right) {
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        double real(FeatureVector f) {
            double a = left.real(f);
            double b = right.real(f);
            switch (op) {
                case ADD:
                    return a + b;
                case SUB:
                    return a - b;
                case MUL:
                    return a * b;
                default:
                    return a / b;
            }
        }
    }

    static final class NegateInt extends Expr {
        private final Expr operand;

        NegateInt(Expr operand) {
            this.operand = operand;
        }

        @Override
        long integer(FeatureVector f) {
            return Math.negateExact(operand.integer(f));
        }

        @Override
        double real(FeatureVector f) {
            return integer(f);
        }
    }

    static final class NegateDouble extends Expr {
        private final Expr operand;

        NegateDouble(Expr operand) {
            this.operand = operand;
        }

        @Override
        double real(FeatureVector f) {
            return -operand.real(f);
        }
    }

    /** {@code double(int)}. */
    static final class IntToDouble extends Expr {
        private final Expr operand;

        IntToDouble(Expr operand) {
            this.operand = operand;
        }

        @Override
        double real(FeatureVector f) {
            return operand.integer(f);
        }
    }

    /** {@code int(double)}: truncates toward zero; out of range is an error, as in CEL. */
    static final class DoubleToInt extends Expr {
        private final Expr operand;

        DoubleToInt(Expr operand) {
            this.operand = operand;
        }

        @Override
        long integer(FeatureVector f) {
            double d = operand.real(f);
            if (Double.isNaN(d) || d <= -9.223372036854775808E18 || d >= 9.223372036854775807E18) {
                throw new ArithmeticException("double out of int range");
            }
            return (long) d;
        }

        @Override
        double real(FeatureVector f) {
            return integer(f);
        }
    }

    // ---- membership and strings --------------------------------------------------------------------

    /** {@code x in [constants]} over ints. */
    static final class IntIn extends Expr {
        private final Expr operand;
        private final org.agrona.collections.LongHashSet values;

        IntIn(Expr operand, org.agrona.collections.LongHashSet values) {
            this.operand = operand;
            this.values = values;
        }

        @Override
        boolean bool(FeatureVector f) {
            return values.contains(operand.integer(f));
        }
    }

    /** {@code x in [constants]} over strings; the set holds Strings, compared by content. */
    static final class StringIn extends Expr {
        private final Expr operand;
        private final java.util.Set<String> values;

        StringIn(Expr operand, java.util.Set<String> values) {
            this.operand = operand;
            this.values = values;
        }

        @Override
        boolean bool(FeatureVector f) {
            CharSequence s = operand.string(f);
            return s instanceof String str ? values.contains(str) : values.contains(s.toString());
        }
    }

    /** startsWith, endsWith, contains on strings. */
    static final class StringTest extends Expr {
        enum Kind {
            STARTS_WITH, ENDS_WITH, CONTAINS
        }

        private final Kind kind;
        private final Expr target;
        private final Expr argument;

        StringTest(Kind kind, Expr target, Expr argument) {
            this.kind = kind;
            this.target = target;
            this.argument = argument;
        }

        @Override
        boolean bool(FeatureVector f) {
            String t = target.string(f).toString();
            String a = argument.string(f).toString();
            switch (kind) {
                case STARTS_WITH:
                    return t.startsWith(a);
                case ENDS_WITH:
                    return t.endsWith(a);
                default:
                    return t.contains(a);
            }
        }
    }

    /** {@code size(string)}: code points, as CEL counts them. */
    static final class StringSize extends Expr {
        private final Expr operand;

        StringSize(Expr operand) {
            this.operand = operand;
        }

        @Override
        long integer(FeatureVector f) {
            CharSequence s = operand.string(f);
            return Character.codePointCount(s, 0, s.length());
        }

        @Override
        double real(FeatureVector f) {
            return integer(f);
        }
    }
}
