package dev.formica.loadtest;

import java.util.concurrent.locks.LockSupport;

/**
 * The run's time source and the way a sender waits for its next intended send time. Injected so
 * tests can drive time by hand. The system clock is thread-safe; test clocks need not be.
 */
public interface LoadClock {
    /** Monotonic time in nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Returns at or after {@code deadlineNanos}; parks the thread meanwhile, never spins. */
    void parkUntil(long deadlineNanos);

    /** {@link System#nanoTime()} and {@link LockSupport#parkNanos(long)}. */
    LoadClock SYSTEM = new LoadClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void parkUntil(long deadlineNanos) {
            long now;
            while ((now = System.nanoTime()) < deadlineNanos) {
                LockSupport.parkNanos(deadlineNanos - now);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
        }
    };
}
