package dev.formica.engine.log;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;

/**
 * Where an answer's wait for durability goes ({@code fsync} mode), in five recorders of nanoseconds, so that a
 * client's tail can be split into waiting for the writer's round, the round, and the hand-back after it:
 * <ul>
 *   <li>{@link #waitNanos}: a batch of answers asked for its release ({@link ShardLog#whenDurable}, right after the
 *       batch's last frame was appended) until the writer released it;</li>
 *   <li>{@link #roundWaitNanos}: the same ask until the start of the writer's pass that released it (the pass
 *       starts before its first write; 0 when the frames were asked for after it started);</li>
 *   <li>{@link #roundNanos}: a pass of the writer that synced anything, from before its first write to after its
 *       last release (every sync and every release of the pass: the hand-over of the answers to the event loops
 *       runs on the writer);</li>
 *   <li>{@link #handBackNanos}: a released batch's hand-over to an event loop until that loop runs its answers
 *       (recorded by the loop, one value per loop per batch);</li>
 *   <li>{@link #wakeUpNanos}: a shard unparked the idle writer until the writer ran again (its wait for a CPU
 *       after the wake-up, recorded by the writer once per park that a shard cut short).</li>
 * </ul>
 * A batch released at once (its frames were durable already when asked) waits for nothing and is not recorded.
 *
 * <p>Cost: one {@code System.nanoTime()} per batch asked for (at most 16 commands), one per pass of the writer and
 * one per pass that released anything, one per batch handed back and one per loop task run, one per unpark of the
 * writer and one per park it cut short; no allocation ({@link Recorder#recordValue} is wait-free).
 *
 * <p>Thread contract: any thread records; a scrape takes the interval histograms.
 */
public final class LogTimes {
    private static final long MAX = TimeUnit.SECONDS.toNanos(60);

    private final Recorder waitNanos = recorder();
    private final Recorder roundWaitNanos = recorder();
    private final Recorder roundNanos = recorder();
    private final Recorder handBackNanos = recorder();
    private final Recorder wakeUpNanos = recorder();

    private static Recorder recorder() {
        return new Recorder(1, MAX, 2);
    }

    private static long clamp(long nanos) {
        return nanos < 0 ? 0 : Math.min(nanos, MAX);
    }

    /** A batch asked for at {@code askedNanos} was released at {@code releasedNanos} by a pass started then. */
    void released(long askedNanos, long passStartNanos, long releasedNanos) {
        waitNanos.recordValue(clamp(releasedNanos - askedNanos));
        roundWaitNanos.recordValue(clamp(passStartNanos - askedNanos));
    }

    /** A pass of the writer that synced anything ran from {@code startNanos} to {@code endNanos}. */
    void round(long startNanos, long endNanos) {
        roundNanos.recordValue(clamp(endNanos - startNanos));
    }

    /** An event loop runs the answers that were handed to it at {@code handedNanos} (on the loop). */
    public void handedBack(long handedNanos) {
        handBackNanos.recordValue(clamp(System.nanoTime() - handedNanos));
    }

    /** The writer runs again after a shard unparked it at {@code unparkedNanos} (on the writer). */
    void wokeUp(long unparkedNanos) {
        wakeUpNanos.recordValue(clamp(System.nanoTime() - unparkedNanos));
    }

    public Recorder wakeUpNanos() {
        return wakeUpNanos;
    }

    public Recorder waitNanos() {
        return waitNanos;
    }

    public Recorder roundWaitNanos() {
        return roundWaitNanos;
    }

    public Recorder roundNanos() {
        return roundNanos;
    }

    public Recorder handBackNanos() {
        return handBackNanos;
    }
}
