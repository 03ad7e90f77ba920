package dev.formica.engine.metrics;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The one shape every latency histogram has, so any two can be added: nanoseconds from 1 ns to 60 s,
 * two significant digits (under 1 % error, about 30 KiB each; three digits would be about 220 KiB and
 * there are several per stage per shard).
 *
 * <p>Thread contract: stateless.
 */
public final class LatencyHistograms {
    public static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);
    public static final int DIGITS = 2;

    private LatencyHistograms() {
    }

    /** Values past the range are recorded as its end rather than thrown on. */
    static long clamp(long nanos) {
        return nanos < 0 ? 0 : Math.min(nanos, MAX_NANOS);
    }

    static Histogram histogram() {
        return new Histogram(1, MAX_NANOS, DIGITS);
    }

    static SingleWriterRecorder singleWriterRecorder() {
        return new SingleWriterRecorder(1, MAX_NANOS, DIGITS);
    }

    static Recorder recorder() {
        return new Recorder(1, MAX_NANOS, DIGITS);
    }
}
