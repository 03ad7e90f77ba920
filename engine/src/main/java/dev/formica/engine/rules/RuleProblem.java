package dev.formica.engine.rules;

/** A problem in a rule-set or regulatory file at a 1-based line and column (0 when not tied to a place). */
public record RuleProblem(int line, int column, String message) {
    @Override
    public String toString() {
        return line > 0 ? line + ":" + column + ": " + message : message;
    }
}
