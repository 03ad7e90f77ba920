package dev.formica.loadtest;

/**
 * The open-loop timetable: when request {@code index} is meant to be sent, whatever happened to the
 * requests before it. Implementations are immutable and thread-safe.
 */
public interface Schedule {
    /** Returned by {@link #offsetNanos(long)} when the timetable has no request of that index. */
    long END = Long.MAX_VALUE;

    /**
     * The intended send time of request {@code index} (0-based), in nanoseconds after the start of
     * the run, non-decreasing in {@code index}; {@link #END} when there is no such request.
     */
    long offsetNanos(long index);
}
