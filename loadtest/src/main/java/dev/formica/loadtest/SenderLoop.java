package dev.formica.loadtest;

/**
 * The event loop a lane of the loop sender ({@code --sender loop}) runs on: the channel's own loop in the load tool
 * (a Netty {@code EventLoop}), a hand-driven one in tests. A lane's state is touched only on its loop.
 */
interface SenderLoop {
    /** Whether the calling thread is this loop's. */
    boolean inLoop();

    /** Runs {@code task} on the loop, soon; never on the caller's stack if the caller is not the loop. */
    void execute(Runnable task);

    /** Runs {@code task} on the loop {@code delayNanos} from now (at once if not positive). */
    Timer schedule(Runnable task, long delayNanos);

    /** A scheduled task that can be called off. */
    interface Timer {
        /** Calls the task off if it has not run; it may have run already. */
        void cancel();
    }
}
