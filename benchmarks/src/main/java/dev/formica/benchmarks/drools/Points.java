package dev.formica.benchmarks.drools;

/**
 * One scorecard attribute's bin and points, inserted by the attribute's bin rule and summed by the score rule.
 *
 * <p>Thread contract: immutable.
 */
public final class Points {
    private final String attribute;
    private final String bin;
    private final int points;

    public Points(String attribute, String bin, int points) {
        this.attribute = attribute;
        this.bin = bin;
        this.points = points;
    }

    public String getAttribute() {
        return attribute;
    }

    public String getBin() {
        return bin;
    }

    public int getPoints() {
        return points;
    }
}
