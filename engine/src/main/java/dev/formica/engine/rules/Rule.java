package dev.formica.engine.rules;

import com.google.protobuf.ByteString;

/**
 * One fraud or credit rule: when its condition holds, it adds its reason and its action to the decision.
 *
 * <p>Thread contract: immutable.
 */
public final class Rule {
    /** What a fired rule does to the decision. */
    public enum Action {
        /** Reason only; the decision goes on. */
        TAG,
        /** No hold; a human or a step-up check decides. */
        REVIEW,
        /** No hold; the decision is a decline. */
        DECLINE
    }

    private final String code;
    private final String text;
    private final Action action;
    private final Expr when;
    private final String source;
    private final FeatureLayout.Slot[] reported;
    /** UTF-8 of code and text, encoded once: every decision that fires the rule sends them. */
    private final ByteString codeBytes;
    private final ByteString textBytes;

    Rule(String code, String text, Action action, Expr when, String source, FeatureLayout.Slot[] reported) {
        this.code = code;
        this.text = text;
        this.action = action;
        this.when = when;
        this.source = source;
        this.reported = reported;
        this.codeBytes = ByteString.copyFromUtf8(code);
        this.textBytes = ByteString.copyFromUtf8(text);
    }

    public String code() {
        return code;
    }

    public String text() {
        return text;
    }

    /** {@link #code()} as UTF-8, for the response (no encoding per decision). */
    public ByteString codeBytes() {
        return codeBytes;
    }

    /** {@link #text()} as UTF-8, for the response (no encoding per decision). */
    public ByteString textBytes() {
        return textBytes;
    }

    public Action action() {
        return action;
    }

    /** The CEL text of the condition, as written. */
    public String condition() {
        return source;
    }

    boolean compiled() {
        return when.compiled();
    }

    /** Evaluates the condition; an evaluation error (overflow, division by zero) throws ArithmeticException. */
    public boolean fires(FeatureVector f) {
        return when.bool(f);
    }

    /** The values that made it fire, e.g. {@code velocity.device.count_1h=12}. Allocates: call only when fired. */
    public String renderValue(FeatureVector f) {
        return render(reported, f);
    }

    /** Appends {@link #renderValue(FeatureVector)}'s text to {@code out}, without a String per value. */
    public void renderValue(FeatureVector f, StringBuilder out) {
        render(reported, f, out);
    }

    /** {@code name=value, name=value} for the given features (absent ones read "absent"). */
    static String render(FeatureLayout.Slot[] slots, FeatureVector f) {
        StringBuilder sb = new StringBuilder();
        render(slots, f, sb);
        return sb.toString();
    }

    private static void render(FeatureLayout.Slot[] slots, FeatureVector f, StringBuilder sb) {
        int start = sb.length();
        for (FeatureLayout.Slot s : slots) {
            if (sb.length() > start) {
                sb.append(", ");
            }
            sb.append(s.name()).append('=');
            Scorecard.render(s, f, sb);
        }
    }
}
