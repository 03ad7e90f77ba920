package dev.formica.loadtest;

/**
 * One lane of the loop sender ({@code --sender loop}): sends every {@code stride}-th request of the timetable from
 * its channel's event loop, each when a timer on that loop fires at its intended time, so that a call costs the
 * loop's one wake-up instead of a parked sender thread's and then the loop's (docs/perf-notes, 2026-12-06's "What
 * is left"). Every call due when the loop wakes is sent in that wake-up, in index order.
 *
 * <p>The in-flight bound is the lane's share of the run's, counted on the loop and never waited for: a call over it
 * is held (counted as backlogged once, as the sender threads count it) and sent as soon as an answer frees a slot,
 * its latency still counted from its intended time; a call still held when the drain deadline passes is dropped and
 * counted, as are all after it. Nothing here blocks the loop.
 *
 * <p>Thread contract: every method but {@link #released()} and {@link #stop()} runs on the lane's loop; those two hand
 * themselves to the loop when called from another thread.
 */
final class LoopLane implements Runnable {
    private static final long UNKNOWN = Long.MIN_VALUE;

    private final OpenLoopRunner runner;
    private final SenderLoop loop;
    private final LoadTarget target;
    private final int stride;
    private final int bound;
    private long next;
    private long nextIntended = UNKNOWN;
    /** Whether the next call was reached: its lateness and backlog are counted once. */
    private boolean reached;
    private boolean held;
    private int inFlight;
    private int maxInFlight;
    private boolean sending;
    private boolean done;
    private SenderLoop.Timer timer;
    private long timerAt;

    LoopLane(OpenLoopRunner runner, SenderLoop loop, LoadTarget target, int lane, int stride, int bound) {
        if (bound < 1) {
            throw new IllegalArgumentException("a lane needs at least one slot in flight");
        }
        this.runner = runner;
        this.loop = loop;
        this.target = target;
        this.next = lane;
        this.stride = stride;
        this.bound = bound;
    }

    /** Starts the lane on its loop. */
    void start() {
        loop.execute(this::sendDue);
    }

    /** The timer: fired on the loop at the time it was set for. */
    @Override
    public void run() {
        timer = null;
        sendDue();
    }

    /** An answer freed one of this lane's slots; on any thread. */
    void released() {
        if (loop.inLoop()) {
            onReleased();
        } else {
            loop.execute(this::onReleased);
        }
    }

    /** Ends the lane (the run is over); on any thread. */
    void stop() {
        if (loop.inLoop()) {
            finish();
        } else {
            loop.execute(this::finish);
        }
    }

    /** The most calls this lane had in flight at once (tests). */
    int maxInFlight() {
        return maxInFlight;
    }

    private void onReleased() {
        inFlight--;
        if (held && !sending) {
            sendDue();
        }
    }

    /** Sends every call due now that a slot allows, then sets the timer for what comes next. */
    private void sendDue() {
        if (done) {
            return;
        }
        if (runner.stopped()) {
            finish();
            return;
        }
        sending = true;
        try {
            long now = runner.now();
            while (true) {
                if (nextIntended == UNKNOWN) {
                    nextIntended = runner.intendedOf(next);
                }
                long intended = nextIntended;
                if (intended == OpenLoopRunner.NO_CALL) {
                    finish();
                    return;
                }
                if (intended > now) {
                    wakeAt(intended, now);
                    return;
                }
                boolean measured = runner.measured(intended);
                if (!reached) {
                    reached = true;
                    runner.reached(intended, measured, now);
                    if (inFlight >= bound) {
                        held = true;
                        runner.backlog(measured);
                    }
                }
                if (inFlight >= bound) {
                    if (now < runner.giveUp()) {
                        wakeAt(runner.giveUp(), now);
                        return;
                    }
                    runner.drop(intended, measured, now);
                } else {
                    inFlight++;
                    maxInFlight = Math.max(maxInFlight, inFlight);
                    runner.send(target, next, intended, measured, this);
                }
                held = false;
                reached = false;
                next += stride;
                nextIntended = UNKNOWN;
                now = runner.now();
            }
        } finally {
            sending = false;
        }
    }

    /** Makes sure the loop wakes by {@code at}: one timer at a time, an earlier one kept. */
    private void wakeAt(long at, long now) {
        if (timer != null) {
            if (timerAt <= at) {
                return;
            }
            timer.cancel();
        }
        timerAt = at;
        timer = loop.schedule(this, at - now);
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        runner.laneDone();
    }
}
