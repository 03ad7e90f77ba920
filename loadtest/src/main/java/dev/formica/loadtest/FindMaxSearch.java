package dev.formica.loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the saturation throughput: runs constant-rate steps from a start rate, multiplying the rate
 * by a factor each step, until a step breaks the SLO (corrected p99 above the limit, or too many
 * errors) or the step budget runs out. The saturation throughput is the achieved throughput of the
 * last passing step.
 *
 * <p>A failing step can be run again at the same rate ({@code retries}) before the search ends: on a
 * shared 2-core machine one scheduler stall of tens of milliseconds fails a 10 s step's p99 at any
 * rate. A failure that repeats ends the search; every attempt is kept in the step list.
 *
 * <p>Not thread-safe: one search runs on one thread, its steps one after the other.
 */
public final class FindMaxSearch {
    /** Runs one constant-rate step and reports what it measured. */
    @FunctionalInterface
    public interface StepRunner {
        RunResult run(int step, double rate) throws InterruptedException;
    }

    /** One step: its offered rate, what it measured, and whether it met the SLO. */
    public record Step(double rate, RunResult result, boolean passed, String verdict) {
    }

    /**
     * How the search ended.
     *
     * @param steps every step run, in order
     * @param lastPassing the last step that met the SLO, or null when the first failed
     * @param saturated true when a step failed (the limit was found), false when the budget ran out
     */
    public record Outcome(List<Step> steps, Step lastPassing, boolean saturated) {
        /** Achieved throughput of the last passing step, 0 when none passed. */
        public double saturationThroughput() {
            return lastPassing == null ? 0 : lastPassing.result().throughput();
        }
    }

    private final double startRate;
    private final double factor;
    private final long sloP99Nanos;
    private final double maxErrorShare;
    private final int maxSteps;
    private final int retries;

    public FindMaxSearch(double startRate, double factor, long sloP99Nanos, double maxErrorShare, int maxSteps) {
        this(startRate, factor, sloP99Nanos, maxErrorShare, maxSteps, 0);
    }

    /** @param retries how many times a failing step is run again at the same rate before the search ends */
    public FindMaxSearch(double startRate, double factor, long sloP99Nanos, double maxErrorShare, int maxSteps,
            int retries) {
        if (retries < 0) {
            throw new IllegalArgumentException("step-retries: must be >= 0, was " + retries);
        }
        this.retries = retries;
        if (!(startRate > 0)) {
            throw new IllegalArgumentException("rate: find-max needs a start rate > 0");
        }
        if (!(factor > 1)) {
            throw new IllegalArgumentException("step: must be > 1 (e.g. 1.25), was " + factor);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("duration: too short for one step of step-duration");
        }
        this.startRate = startRate;
        this.factor = factor;
        this.sloP99Nanos = sloP99Nanos;
        this.maxErrorShare = maxErrorShare;
        this.maxSteps = maxSteps;
    }

    /** Runs steps until one fails or the budget is spent. */
    public Outcome search(StepRunner runner) throws InterruptedException {
        List<Step> steps = new ArrayList<>();
        Step lastPassing = null;
        double rate = startRate;
        int failedHere = 0;
        for (int i = 0; i < maxSteps; i++) {
            RunResult r = runner.run(i, rate);
            Step step = judge(rate, r);
            if (!step.passed()) {
                if (failedHere++ < retries) {
                    steps.add(new Step(rate, r, false, step.verdict() + " (running this rate again)"));
                    continue;
                }
                steps.add(step);
                return new Outcome(steps, lastPassing, true);
            }
            steps.add(step);
            failedHere = 0;
            lastPassing = step;
            rate *= factor;
        }
        return new Outcome(steps, lastPassing, false);
    }

    /**
     * Whether {@code r}, offered at {@code rate}, meets the SLO. The verdict says what failed it (the p99, the errors,
     * or both) and, whenever there were errors, what they were (status and the server's reason, requests the tool
     * dropped or never saw answered), and whether the tool itself fell behind its timetable: so a search says what
     * ended it, not only where.
     */
    Step judge(double rate, RunResult r) {
        long p99 = r.corrected().getTotalCount() == 0 ? Long.MAX_VALUE : r.corrected().getValueAtPercentile(99.0);
        double errors = r.errorShare();
        boolean slow = p99 > sloP99Nanos;
        boolean failing = errors > maxErrorShare;
        String latency = String.format(Locale.ROOT, slow ? "p99 %.2f ms > SLO %.2f ms" : "p99 %.2f ms",
                p99 / 1e6, sloP99Nanos / 1e6);
        String errorPart = String.format(Locale.ROOT, failing ? "errors %.2f %% > %.2f %%" : "errors %.2f %%",
                errors * 100, maxErrorShare * 100);
        // what failed the step comes first
        StringBuilder verdict = new StringBuilder(failing && !slow ? errorPart + ", " + latency
                : latency + ", " + errorPart);
        if (errors > 0) {
            verdict.append(" (").append(r.errorBreakdown()).append(')');
        }
        if (r.sent() > 0 && r.lateSends() > r.sent() / 100) {
            verdict.append(String.format(Locale.ROOT, "; %.1f %% of sends >1 ms late (the tool or the box fell behind)",
                    r.lateSends() * 100.0 / r.sent()));
        }
        return new Step(rate, r, !slow && !failing, verdict.toString());
    }
}
