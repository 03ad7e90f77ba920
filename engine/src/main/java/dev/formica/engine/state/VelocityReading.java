package dev.formica.engine.state;

/**
 * Counts and sums (minor units) of one key over the last minute, hour and day, filled by
 * {@link VelocityWindows#read}.
 *
 * <p>Thread contract: a caller-owned scratch object, reused by one thread.
 */
public final class VelocityReading {
    private final long[] counts = new long[3];
    private final long[] sums = new long[3];

    void clear() {
        for (int i = 0; i < 3; i++) {
            counts[i] = 0;
            sums[i] = 0;
        }
    }

    void set(int window, long count, long sum) {
        counts[window] = count;
        sums[window] = sum;
    }

    void add(int window, long count, long sum) {
        counts[window] += count;
        sums[window] += sum;
    }

    /** The count over window 0 (minute), 1 (hour) or 2 (day). */
    public long count(int window) {
        return counts[window];
    }

    /** The sum, in minor units, over window 0 (minute), 1 (hour) or 2 (day). */
    public long sum(int window) {
        return sums[window];
    }

    public long countMinute() {
        return counts[0];
    }

    public long countHour() {
        return counts[1];
    }

    public long countDay() {
        return counts[2];
    }

    public long sumMinute() {
        return sums[0];
    }

    public long sumHour() {
        return sums[1];
    }

    public long sumDay() {
        return sums[2];
    }
}
