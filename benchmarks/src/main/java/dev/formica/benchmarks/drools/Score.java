package dev.formica.benchmarks.drools;

/**
 * The scorecard's result (points, probability of default, grade A..E), inserted once per decision by the score
 * rule; the credit rules match on it.
 *
 * <p>Thread contract: immutable.
 */
public final class Score {
    private final int score;
    private final double pd;
    private final String grade;

    public Score(int score, double pd, String grade) {
        this.score = score;
        this.pd = pd;
        this.grade = grade;
    }

    public int getScore() {
        return score;
    }

    public double getPd() {
        return pd;
    }

    public String getGrade() {
        return grade;
    }
}
