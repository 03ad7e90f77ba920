package dev.formica.benchmarks.drools;

import java.util.ArrayList;
import java.util.List;

/**
 * What the Drools rules decide for one {@link Applicant}: the codes of the rules that fired, the strongest
 * action among them, and the score. The session's global {@code outcome}; reset before each evaluation.
 *
 * <p>Thread contract: one per benchmark thread; not thread-safe.
 */
public final class Outcome {
    /** Action strengths, as Formica orders them: TAG &lt; REVIEW &lt; DECLINE. */
    public static final int TAG = 0;
    public static final int REVIEW = 1;
    public static final int DECLINE = 2;

    private final List<String> codes = new ArrayList<>();
    private int worst;
    private int score;
    private double pd;
    private String grade;

    public Outcome reset() {
        codes.clear();
        worst = TAG;
        score = 0;
        pd = 0;
        grade = null;
        return this;
    }

    public void tag(String code) {
        fire(code, TAG);
    }

    public void review(String code) {
        fire(code, REVIEW);
    }

    public void decline(String code) {
        fire(code, DECLINE);
    }

    private void fire(String code, int action) {
        codes.add(code);
        worst = Math.max(worst, action);
    }

    public void scored(Score s) {
        score = s.getScore();
        pd = s.getPd();
        grade = s.getGrade();
    }

    /** Codes of the fired rules, in firing order (which need not be Formica's rule order). */
    public List<String> codes() {
        return codes;
    }

    public int worst() {
        return worst;
    }

    public int score() {
        return score;
    }

    public double pd() {
        return pd;
    }

    public String grade() {
        return grade;
    }
}
