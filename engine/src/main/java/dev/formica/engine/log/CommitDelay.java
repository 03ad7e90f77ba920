package dev.formica.engine.log;

import java.util.function.LongSupplier;

/**
 * How long the {@link LogWriter} holds its next round of syncs ({@code fsync} mode), so that one {@code fdatasync}
 * covers more answers: never ({@code groupCommitInterval: 0}), for the rest of a fixed interval after the previous
 * round started (the interval alone), or, with {@code groupCommitSiblings: N}, only when there is company: PostgreSQL's
 * {@code commit_delay} with {@code commit_siblings}.
 *
 * <p><b>The adaptive rule.</b> The writer counts the batches of answers it releases (one per shard's
 * {@link ShardLog#whenDurable}, a batch holding one or more commands) over windows of {@link #WINDOWS} intervals.
 * When the last window's rate says that at least {@code N} batches arrive within one interval, a round waits, at the
 * most until the interval has passed since the previous round started, and ends early once {@link #GATHER}
 * {@code × N} batches wait for it ({@link WriterParking#wake} unparks the writer then). Otherwise it syncs at once,
 * as with no interval: at low load a lone batch waits for nobody. The rate is measured on the batches the shards
 * send, which do not depend on the writer's waiting, so the rule does not feed itself. The bound holds whatever the
 * estimate says: a frame never waits more than the interval past the start of the round before its own, and a
 * rate read before an idle spell cannot hold a frame that comes after it (the previous round is then older than the
 * interval).
 *
 * <p>Thread contract: the writer thread only, but {@link #target}, which the shards read.
 */
final class CommitDelay {
    /** The rate is measured over windows of this many intervals (a steadier count than one interval's). */
    static final int WINDOWS = 8;
    /** A waiting round ends early once this many times the siblings' threshold of batches wait for it. */
    static final int GATHER = 4;

    private final long intervalNanos;
    private final int siblings;
    private final long windowNanos;
    private final LongSupplier clock;
    /** Writer thread: when the last round of syncs started (on {@link #clock}). */
    private long roundStartNanos;
    private long windowStartNanos;
    private long windowBatches;
    /** Writer thread: whether the last whole window showed company. */
    private boolean company;
    /** Batches waiting that end a hold early; 0 = none (the shards read it). */
    private volatile int target;

    /**
     * @param intervalNanos the fixed interval ({@code siblings == 0}) or the bound of an adaptive wait; 0 = never wait
     * @param siblings 0 = the interval holds every round; else the batches expected within the interval for a round
     *     to wait
     * @param clock {@link System#nanoTime} but in tests
     */
    CommitDelay(long intervalNanos, int siblings, LongSupplier clock) {
        if (intervalNanos < 0 || siblings < 0) {
            throw new IllegalArgumentException("group commit interval and siblings must be >= 0: " + intervalNanos
                    + ", " + siblings);
        }
        this.intervalNanos = intervalNanos;
        this.siblings = intervalNanos == 0 ? 0 : siblings;
        this.windowNanos = intervalNanos * WINDOWS;
        this.clock = clock;
        long now = clock.getAsLong();
        this.roundStartNanos = now - intervalNanos;
        this.windowStartNanos = now;
    }

    long now() {
        return clock.getAsLong();
    }

    /** Whether the count of waiting batches matters ({@link #hold}'s argument): the adaptive rule is on. */
    boolean adaptive() {
        return siblings > 0;
    }

    /**
     * How long the next round should wait from now, with {@code waiting} batches asking for it (read only when
     * {@link #adaptive}); 0 = sync now.
     */
    long hold(int waiting) {
        if (intervalNanos == 0) {
            return 0;
        }
        long now = clock.getAsLong();
        long left = Math.max(0, roundStartNanos + intervalNanos - now);
        if (siblings == 0) {
            return left;
        }
        roll(now);
        boolean wait = company && left > 0 && waiting < siblings * GATHER;
        target = wait ? siblings * GATHER : 0;
        return wait ? left : 0;
    }

    /** A round of syncs started at {@code startNanos} (on {@link #now}); only one that synced anything counts. */
    void roundEnded(long startNanos, boolean synced) {
        if (synced) {
            roundStartNanos = startNanos;
        }
    }

    /** The writer released {@code batches} answers' batches in a pass. */
    void released(int batches) {
        if (siblings > 0) {
            roll(clock.getAsLong());
            windowBatches += batches;
        }
    }

    /** Batches waiting that should end the writer's hold now; 0 = none. */
    int target() {
        return target;
    }

    /** Whether the last whole window showed company (tests). */
    boolean company() {
        return company;
    }

    /** Ends the window when it is over: company when its rate brings {@code siblings} batches per interval. */
    private void roll(long now) {
        long elapsed = now - windowStartNanos;
        if (elapsed >= windowNanos) {
            // rate × interval >= siblings, without a division: batches / elapsed × interval >= siblings
            company = (double) windowBatches * intervalNanos >= (double) siblings * elapsed;
            windowBatches = 0;
            windowStartNanos = now;
        }
    }
}
