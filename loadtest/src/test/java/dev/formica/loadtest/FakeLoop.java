package dev.formica.loadtest;

/**
 * A hand-driven event loop for the loop sender's tests: its tasks and timers are events of a {@link FakeClock}, run
 * when the clock reaches them. Counts the timers waiting at once. Single-threaded, for tests.
 */
final class FakeLoop implements SenderLoop {
    private final FakeClock clock;
    private final boolean callersInLoop;
    private int timersWaiting;
    private int mostTimersWaiting;
    private int handedOver;

    /** @param callersInLoop what {@link #inLoop()} answers: false, as if answers came on another thread */
    FakeLoop(FakeClock clock, boolean callersInLoop) {
        this.clock = clock;
        this.callersInLoop = callersInLoop;
    }

    @Override
    public boolean inLoop() {
        return callersInLoop;
    }

    @Override
    public void execute(Runnable task) {
        handedOver++;
        clock.at(clock.nanoTime(), task);
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        FakeTimer t = new FakeTimer(task);
        timersWaiting++;
        mostTimersWaiting = Math.max(mostTimersWaiting, timersWaiting);
        clock.at(clock.nanoTime() + Math.max(0, delayNanos), t::fire);
        return t;
    }

    /** The most timers that were waiting at once. */
    int mostTimersWaiting() {
        return mostTimersWaiting;
    }

    /** Tasks handed to the loop with {@link #execute}. */
    int handedOver() {
        return handedOver;
    }

    private final class FakeTimer implements Timer {
        private final Runnable task;
        private boolean over;

        FakeTimer(Runnable task) {
            this.task = task;
        }

        void fire() {
            if (!over) {
                over = true;
                timersWaiting--;
                task.run();
            }
        }

        @Override
        public void cancel() {
            if (!over) {
                over = true;
                timersWaiting--;
            }
        }
    }
}
