package dev.formica.loadtest;

import java.util.ArrayList;
import java.util.List;

/**
 * A request rate that changes piecewise linearly over time (constant, or a "Double 11" peak: ramp,
 * hold, decay), and the timetable it implies. The last segment's end rate holds for ever after.
 *
 * <p>Immutable and thread-safe. Request {@code i} is due at the instant {@code t} where the expected
 * number of requests sent so far, the integral of the rate from 0 to {@code t}, reaches {@code i};
 * for a constant rate that is {@code i / rate}.
 */
public final class RateProfile implements Schedule {
    private final double[] startSec;
    private final double[] lengthSec;
    private final double[] fromRate;
    private final double[] toRate;
    private final double[] countBefore;
    private final String description;

    private RateProfile(List<double[]> segments, String description) {
        int n = segments.size();
        startSec = new double[n];
        lengthSec = new double[n];
        fromRate = new double[n];
        toRate = new double[n];
        countBefore = new double[n];
        double t = 0;
        double count = 0;
        for (int i = 0; i < n; i++) {
            double[] s = segments.get(i);
            startSec[i] = t;
            lengthSec[i] = s[0];
            fromRate[i] = s[1];
            toRate[i] = s[2];
            countBefore[i] = count;
            t += s[0];
            count += s[0] * (s[1] + s[2]) / 2;
        }
        this.description = description;
    }

    /** A constant {@code rate} requests per second. */
    public static RateProfile constant(double rate) {
        checkRate("rate", rate);
        List<double[]> segments = new ArrayList<>();
        segments.add(new double[] {0, rate, rate});
        return new RateProfile(segments, String.format("constant %.0f/s", rate));
    }

    /**
     * The "Double 11" shopping-festival peak: {@code base} rising linearly to {@code peak} over
     * {@code rampSec}, holding {@code peak} for {@code holdSec}, falling back to {@code base} over
     * {@code decaySec}, then {@code base}.
     */
    public static RateProfile double11(double base, double peak, double rampSec, double holdSec, double decaySec) {
        checkRate("base-rate", base);
        checkRate("peak-rate", peak);
        List<double[]> segments = new ArrayList<>();
        segments.add(new double[] {rampSec, base, peak});
        segments.add(new double[] {holdSec, peak, peak});
        segments.add(new double[] {decaySec, peak, base});
        segments.add(new double[] {0, base, base});
        return new RateProfile(segments, String.format("double11 %.0f/s -> %.0f/s (ramp %.0fs, hold %.0fs, "
                + "decay %.0fs)",
                base, peak, rampSec, holdSec, decaySec));
    }

    /**
     * This profile preceded by {@code warmupSec} at its starting rate, so that the measured part
     * (after the warm-up) follows the profile from its beginning.
     */
    public RateProfile withWarmup(double warmupSec) {
        if (warmupSec <= 0) {
            return this;
        }
        List<double[]> segments = new ArrayList<>();
        segments.add(new double[] {warmupSec, fromRate[0], fromRate[0]});
        for (int i = 0; i < startSec.length; i++) {
            segments.add(new double[] {lengthSec[i], fromRate[i], toRate[i]});
        }
        return new RateProfile(segments, description);
    }

    /** The rate, requests per second, at {@code sec} seconds after the start. */
    public double rateAt(double sec) {
        int i = segmentAtTime(sec);
        double into = sec - startSec[i];
        if (i == startSec.length - 1 || lengthSec[i] == 0) {
            return toRate[i];
        }
        return fromRate[i] + (toRate[i] - fromRate[i]) * into / lengthSec[i];
    }

    /** The expected number of requests sent in the first {@code sec} seconds. */
    public double countAt(double sec) {
        int i = segmentAtTime(sec);
        double into = sec - startSec[i];
        return countBefore[i] + into * (fromRate[i] + rateAt(sec)) / 2;
    }

    /** The instant, seconds after the start, at which {@link #countAt} reaches {@code count}. */
    public double timeOfCount(double count) {
        int i = startSec.length - 1;
        while (i > 0 && countBefore[i] > count) {
            i--;
        }
        double n = count - countBefore[i];
        double b = fromRate[i];
        double a = i == startSec.length - 1 || lengthSec[i] == 0 ? 0 : (toRate[i] - fromRate[i]) / (2 * lengthSec[i]);
        // a t^2 + b t = n, in the form that is stable when a is zero or negative
        double disc = Math.max(0, b * b + 4 * a * n);
        double denominator = b + Math.sqrt(disc);
        return startSec[i] + (denominator == 0 ? 0 : 2 * n / denominator);
    }

    @Override
    public long offsetNanos(long index) {
        return Math.round(timeOfCount(index) * 1e9);
    }

    /** What the profile does, for reports. */
    public String description() {
        return description;
    }

    private int segmentAtTime(double sec) {
        int i = startSec.length - 1;
        while (i > 0 && startSec[i] > sec) {
            i--;
        }
        return i;
    }

    private static void checkRate(String name, double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException(name + ": must be a positive number of requests per second, was "
                    + rate);
        }
    }
}
