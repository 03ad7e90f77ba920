package dev.formica.loadtest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * One run's latency over time: per 1-second interval of the runner, when it ended (ms since the first interval
 * began), the answers per second and the p50, p99 and max of the latency from intended send time, in nanoseconds.
 * Filled once a second by the runner's sampling thread (the intervals' own time stamps), read after the run.
 */
public final class LatencyTimeline implements OpenLoopRunner.IntervalListener {
    /** One interval. */
    public record Sample(long endMs, double perSecond, long p50Nanos, long p99Nanos, long maxNanos) {
    }

    private final String name;
    private final List<Sample> samples = new ArrayList<>();
    private long originMs = -1;

    public LatencyTimeline(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    @Override
    public void onInterval(Histogram corrected, Histogram service) {
        long start = corrected.getStartTimeStamp();
        long end = corrected.getEndTimeStamp();
        if (originMs < 0) {
            originMs = start;
        }
        long count = corrected.getTotalCount();
        double perSecond = end > start ? count * 1000.0 / (end - start) : count;
        samples.add(count == 0 ? new Sample(end - originMs, 0, 0, 0, 0)
                : new Sample(end - originMs, perSecond, corrected.getValueAtPercentile(50),
                        corrected.getValueAtPercentile(99), corrected.getMaxValue()));
    }

    /** The intervals so far, oldest first. */
    public List<Sample> samples() {
        return Collections.unmodifiableList(samples);
    }
}
