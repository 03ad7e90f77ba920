package dev.formica.engine.metrics;

import org.HdrHistogram.Histogram;

/**
 * The last {@value #SAMPLES} once-a-second samples of one series, for the live page's plots over time: when the
 * second ended, how many calls it saw per second, and their p99. A fixed ring of primitive arrays, allocated once:
 * the sampler adds one sample per tick (never the decision path), the oldest is overwritten.
 *
 * <p>Thread contract: guarded by the {@link LatencyHub} that owns it (the sampler's tick and the page's reads
 * synchronise on the hub).
 */
final class LatencyHistory {
    /** 15 minutes of one-second samples. */
    static final int SAMPLES = 900;

    private final long[] timeMs = new long[SAMPLES];
    private final long[] perSecond = new long[SAMPLES];
    private final long[] p99Nanos = new long[SAMPLES];
    private int next;
    private int size;
    private long calls;

    /** Adds the sample of the second that ended at {@code nowMs} and lasted {@code tickMillis}. */
    void add(long nowMs, long tickMillis, Histogram second) {
        long count = second.getTotalCount();
        timeMs[next] = nowMs;
        perSecond[next] = count * 1000 / Math.max(1, tickMillis);
        p99Nanos[next] = count == 0 ? 0 : second.getValueAtPercentile(99);
        calls += count;
        next = (next + 1) % SAMPLES;
        size = Math.min(SAMPLES, size + 1);
    }

    /** Calls counted in the samples ever added (not only those kept): zero means the series never saw a call. */
    long calls() {
        return calls;
    }

    int size() {
        return size;
    }

    /** Appends the kept samples, oldest first, as JSON arrays {@code [timeMs, perSecond, p99Nanos]}. */
    void json(StringBuilder j) {
        int first = (next - size + SAMPLES) % SAMPLES;
        for (int i = 0; i < size; i++) {
            int k = (first + i) % SAMPLES;
            if (i > 0) {
                j.append(',');
            }
            j.append('[').append(timeMs[k]).append(',').append(perSecond[k]).append(',').append(p99Nanos[k])
                    .append(']');
        }
    }
}
