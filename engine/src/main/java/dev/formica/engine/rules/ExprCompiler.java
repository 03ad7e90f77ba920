package dev.formica.engine.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.agrona.collections.LongHashSet;

/**
 * Parses and type-checks CEL with {@code dev.cel} against the rule set's features, then turns the checked
 * AST into an {@link Expr} tree over feature slots. Constructs the tree does not cover fall back to the
 * CEL runtime ({@link InterpretedExpr}) for that whole expression.
 *
 * <p>Thread contract: used by one thread at a time (publish/validate); the results are immutable.
 */
final class ExprCompiler {
    /** A compile problem, at a line and column of the expression text (1-based; 0 when unknown). */
    record Problem(int line, int column, String message) {
    }

    /** The outcome of compiling one expression: an {@link Expr} or the problems found. */
    record Result(Expr expr, List<Problem> problems, List<String> references) {
        boolean ok() {
            return expr != null;
        }
    }

    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    private final FeatureLayout layout;
    private final CelCompiler fraudStage;
    private final CelCompiler creditStage;

    ExprCompiler(FeatureLayout layout) {
        this.layout = layout;
        this.fraudStage = compiler(layout, false);
        this.creditStage = compiler(layout, true);
    }

    private static CelCompiler compiler(FeatureLayout layout, boolean creditStage) {
        CelCompilerBuilder b = CelCompilerFactory.standardCelCompilerBuilder();
        for (FeatureLayout.Slot slot : layout.all().values()) {
            if (!slot.creditStage() || creditStage) {
                b.addVar(slot.name(), slot.type().celType());
            }
        }
        return b.build();
    }

    /**
     * Compiles {@code text}, which must have {@code expected} type. Credit-stage expressions may also read
     * score, pd and grade.
     */
    Result compile(String text, FeatureType expected, boolean creditStage) {
        CelValidationResult result = (creditStage ? creditStage() : fraudStage).compile(text);
        if (result.hasError()) {
            List<Problem> problems = new ArrayList<>();
            result.getErrors().forEach(issue -> problems.add(new Problem(issue.getSourceLocation().getLine(),
                    issue.getSourceLocation().getColumn() + 1, issue.getMessage())));
            return new Result(null, problems, List.of());
        }
        CelAbstractSyntaxTree ast;
        try {
            ast = result.getAst();
        } catch (CelValidationException e) {
            return new Result(null, List.of(new Problem(0, 0, e.getMessage())), List.of());
        }
        CelType type = ast.getResultType();
        if (!type.equals(expected.celType()) && !(expected == FeatureType.DOUBLE && type.equals(SimpleType.INT))) {
            return new Result(null, List.of(new Problem(1, 1, "expected a " + expected + " expression, found "
                    + type.name())), List.of());
        }
        Expr expr = new Translator(ast).translate(ast.getExpr());
        if (expr == null) {
            try {
                expr = new InterpretedExpr(RUNTIME.createProgram(ast), layout);
            } catch (CelEvaluationException e) {
                return new Result(null, List.of(new Problem(0, 0, e.getMessage())), List.of());
            }
        }
        List<String> references = new ArrayList<>();
        ast.getReferenceMap().values().forEach(ref -> {
            if (ref.value().isEmpty() && layout.slot(ref.name()) != null && !references.contains(ref.name())) {
                references.add(ref.name());
            }
        });
        return new Result(expr, List.of(), List.copyOf(references));
    }

    /** The same expression on the CEL interpreter: the reference the specialised tree is tested against. */
    Expr interpreted(String text, boolean creditStage) {
        try {
            CelAbstractSyntaxTree ast = (creditStage ? this.creditStage : fraudStage).compile(text).getAst();
            return new InterpretedExpr(RUNTIME.createProgram(ast), layout);
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private CelCompiler creditStage() {
        return creditStage;
    }

    /** Builds the specialised tree; returns null for anything it does not cover. */
    private final class Translator {
        private final CelAbstractSyntaxTree ast;

        Translator(CelAbstractSyntaxTree ast) {
            this.ast = ast;
        }

        private CelType type(CelExpr e) {
            return ast.getType(e.id()).orElse(SimpleType.DYN);
        }

        Expr translate(CelExpr e) {
            switch (e.getKind()) {
                case CONSTANT:
                    return constant(e.constant());
                case IDENT:
                case SELECT:
                    return variable(e);
                case CALL:
                    return call(e);
                default:
                    return null;
            }
        }

        private Expr constant(CelConstant c) {
            switch (c.getKind()) {
                case BOOLEAN_VALUE:
                    return new Expr.BoolConst(c.booleanValue());
                case INT64_VALUE:
                    return new Expr.IntConst(c.int64Value());
                case DOUBLE_VALUE:
                    return new Expr.DoubleConst(c.doubleValue());
                case STRING_VALUE:
                    return new Expr.StringConst(c.stringValue());
                default:
                    return null;
            }
        }

        private Expr variable(CelExpr e) {
            Optional<CelReference> ref = ast.getReference(e.id());
            if (ref.isEmpty() || ref.get().value().isPresent()) {
                return null;
            }
            FeatureLayout.Slot slot = layout.slot(ref.get().name());
            if (slot == null) {
                return null;
            }
            switch (slot.type()) {
                case INT:
                    return new Expr.IntSlot(slot.index());
                case DOUBLE:
                    return new Expr.DoubleSlot(slot.index());
                case BOOL:
                    return new Expr.BoolSlot(slot.index());
                default:
                    return new Expr.StringSlot(slot.index());
            }
        }

        private Expr call(CelExpr e) {
            CelExpr.CelCall call = e.call();
            List<CelExpr> args = call.args();
            String fn = call.function();
            if (call.target().isPresent()) {
                return method(fn, call.target().get(), args);
            }
            if (args.size() == 1) {
                return unary(fn, args.get(0));
            }
            if (args.size() == 3 && fn.equals("_?_:_")) {
                return ternary(args);
            }
            if (args.size() != 2) {
                return null;
            }
            if (fn.equals("@in")) {
                return in(args.get(0), args.get(1));
            }
            Expr a = translate(args.get(0));
            Expr b = translate(args.get(1));
            if (a == null || b == null) {
                return null;
            }
            CelType ta = type(args.get(0));
            CelType tb = type(args.get(1));
            switch (fn) {
                case "_&&_":
                    return new Expr.And(a, b);
                case "_||_":
                    return new Expr.Or(a, b);
                case "_==_":
                    return compare(Expr.Relation.EQ, a, b, ta, tb);
                case "_!=_":
                    return compare(Expr.Relation.NE, a, b, ta, tb);
                case "_<_":
                    return compare(Expr.Relation.LT, a, b, ta, tb);
                case "_<=_":
                    return compare(Expr.Relation.LE, a, b, ta, tb);
                case "_>_":
                    return compare(Expr.Relation.GT, a, b, ta, tb);
                case "_>=_":
                    return compare(Expr.Relation.GE, a, b, ta, tb);
                case "_+_":
                    return arith(Expr.Arith.ADD, a, b, ta, tb);
                case "_-_":
                    return arith(Expr.Arith.SUB, a, b, ta, tb);
                case "_*_":
                    return arith(Expr.Arith.MUL, a, b, ta, tb);
                case "_/_":
                    return arith(Expr.Arith.DIV, a, b, ta, tb);
                case "_%_":
                    return ta.equals(SimpleType.INT) && tb.equals(SimpleType.INT)
                            ? new Expr.IntArith(Expr.Arith.MOD, a, b) : null;
                default:
                    return null;
            }
        }

        private Expr unary(String fn, CelExpr arg) {
            Expr a = translate(arg);
            if (a == null) {
                return null;
            }
            CelType t = type(arg);
            switch (fn) {
                case "!_":
                    return new Expr.Not(a);
                case "-_":
                    if (t.equals(SimpleType.INT)) {
                        return new Expr.NegateInt(a);
                    }
                    return t.equals(SimpleType.DOUBLE) ? new Expr.NegateDouble(a) : null;
                case "double":
                    if (t.equals(SimpleType.DOUBLE)) {
                        return a;
                    }
                    return t.equals(SimpleType.INT) ? new Expr.IntToDouble(a) : null;
                case "int":
                    if (t.equals(SimpleType.INT)) {
                        return a;
                    }
                    return t.equals(SimpleType.DOUBLE) ? new Expr.DoubleToInt(a) : null;
                case "size":
                    return t.equals(SimpleType.STRING) ? new Expr.StringSize(a) : null;
                default:
                    return null;
            }
        }

        private Expr method(String fn, CelExpr target, List<CelExpr> args) {
            if (args.size() != 1 || !type(target).equals(SimpleType.STRING)) {
                return null;
            }
            Expr t = translate(target);
            Expr a = translate(args.get(0));
            if (t == null || a == null) {
                return null;
            }
            switch (fn) {
                case "startsWith":
                    return new Expr.StringTest(Expr.StringTest.Kind.STARTS_WITH, t, a);
                case "endsWith":
                    return new Expr.StringTest(Expr.StringTest.Kind.ENDS_WITH, t, a);
                case "contains":
                    return new Expr.StringTest(Expr.StringTest.Kind.CONTAINS, t, a);
                default:
                    return null;
            }
        }

        private Expr ternary(List<CelExpr> args) {
            Expr c = translate(args.get(0));
            Expr a = translate(args.get(1));
            Expr b = translate(args.get(2));
            if (c == null || a == null || b == null || !type(args.get(1)).equals(type(args.get(2)))) {
                return null;
            }
            return new Expr.Conditional(c, a, b);
        }

        private Expr in(CelExpr element, CelExpr list) {
            if (list.getKind() != CelExpr.ExprKind.Kind.LIST) {
                return null;
            }
            Expr operand = translate(element);
            if (operand == null) {
                return null;
            }
            CelType t = type(element);
            if (t.equals(SimpleType.INT)) {
                LongHashSet values = new LongHashSet();
                for (CelExpr item : list.list().elements()) {
                    if (item.getKind() != CelExpr.ExprKind.Kind.CONSTANT
                            || item.constant().getKind() != CelConstant.Kind.INT64_VALUE) {
                        return null;
                    }
                    values.add(item.constant().int64Value());
                }
                return new Expr.IntIn(operand, values);
            }
            if (t.equals(SimpleType.STRING)) {
                Set<String> values = new HashSet<>();
                for (CelExpr item : list.list().elements()) {
                    if (item.getKind() != CelExpr.ExprKind.Kind.CONSTANT
                            || item.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
                        return null;
                    }
                    values.add(item.constant().stringValue());
                }
                return new Expr.StringIn(operand, Set.copyOf(values));
            }
            return null;
        }

        private Expr compare(Expr.Relation r, Expr a, Expr b, CelType ta, CelType tb) {
            boolean intA = ta.equals(SimpleType.INT);
            boolean intB = tb.equals(SimpleType.INT);
            if (intA && intB) {
                return new Expr.CompareInt(r, a, b);
            }
            if ((intA || ta.equals(SimpleType.DOUBLE)) && (intB || tb.equals(SimpleType.DOUBLE))) {
                return new Expr.CompareDouble(r, a, b);
            }
            if (ta.equals(SimpleType.STRING) && tb.equals(SimpleType.STRING)) {
                return new Expr.CompareString(r, a, b);
            }
            if (ta.equals(SimpleType.BOOL) && tb.equals(SimpleType.BOOL)
                    && (r == Expr.Relation.EQ || r == Expr.Relation.NE)) {
                return new Expr.CompareBool(r == Expr.Relation.EQ, a, b);
            }
            return null;
        }

        private Expr arith(Expr.Arith op, Expr a, Expr b, CelType ta, CelType tb) {
            if (ta.equals(SimpleType.INT) && tb.equals(SimpleType.INT)) {
                return new Expr.IntArith(op, a, b);
            }
            if (ta.equals(SimpleType.DOUBLE) && tb.equals(SimpleType.DOUBLE)) {
                return new Expr.DoubleArith(op, a, b);
            }
            return null;
        }
    }
}
