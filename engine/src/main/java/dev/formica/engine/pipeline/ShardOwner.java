package dev.formica.engine.pipeline;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code shardMode: LOOP}: one shard owned by one single-thread loop (a Netty event loop in the server). A command
 * submitted on the owner's thread runs there at once, in the same pass that read it: no queue hand-off to a sleeping
 * thread and no wake-up. A command submitted on any other thread (a call read by another loop, a tool) waits in the
 * shard's queue, and the first such command of a group schedules one drain task on the owner, so the owner takes
 * the group in one task behind its own reads. A drain takes at most one bounded pass ({@link ShardAgent#DRAIN_LIMIT}
 * commands) and then queues the rest behind the loop's other work: a loop never stops reading its own connections to
 * drain a queue, and it never drains a shard it does not own (the 2x overload failure of the earlier trials, where
 * any loop drained any shard). The shard's timers run as a task every {@code timerPeriodNanos}.
 *
 * <p>Thread contract: {@link #start} and {@link #stop} from the pipeline's controlling thread; {@link #submitted} from
 * any thread after the command was offered to the agent; everything else runs on the owner's thread only.
 */
final class ShardOwner {
    private final ShardAgent agent;
    private final ScheduledExecutorService loop;
    private final long timerPeriodNanos;
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final Runnable drain = this::drain;
    /** The owner's thread, known once its first task ran; until then every command goes through the queue. */
    private volatile Thread thread;
    /** Owner thread only: a pass is running (a command answered inside it that submits again must not nest). */
    private boolean inPass;
    /** Drain tasks queued for commands from other threads (racy count, for tests and diagnostics). */
    private volatile long handOffs;
    /** Commands run at once on the owner's thread (owner writes, anyone reads). */
    private volatile long inline;
    private ScheduledFuture<?> timer;
    private final java.util.function.Consumer<Throwable> onError;

    /** @param onError told what a pass threw (the owner keeps serving, as an {@code AgentRunner} does) */
    ShardOwner(ShardAgent agent, ScheduledExecutorService loop, long timerPeriodNanos,
            java.util.function.Consumer<Throwable> onError) {
        this.agent = agent;
        this.onError = onError;
        this.loop = loop;
        this.timerPeriodNanos = timerPeriodNanos;
    }

    /** Learns the owner's thread and starts the shard's timers on it. */
    void start() {
        loop.execute(() -> thread = Thread.currentThread());
        timer = loop.scheduleAtFixedRate(this::tick, timerPeriodNanos, timerPeriodNanos, TimeUnit.NANOSECONDS);
    }

    /** The loop that owns the shard. */
    ScheduledExecutorService loop() {
        return loop;
    }

    /** Whether the calling thread is the owner's. */
    boolean onOwner() {
        return Thread.currentThread() == thread;
    }

    /**
     * After a command was offered to the shard's queue: on the owner (outside a pass) it runs now; elsewhere the
     * owner is asked to drain, once per group of commands.
     */
    void submitted() {
        if (onOwner() && !inPass) {
            inline++;
            pass();
        } else {
            queueDrain();
        }
    }

    private void queueDrain() {
        if (!drainQueued.compareAndSet(false, true)) {
            return; // a drain is queued and has not started: it will take this command too
        }
        handOffs++;
        try {
            loop.execute(drain);
        } catch (RejectedExecutionException shutDown) {
            drainQueued.set(false); // the pipeline's close drains what is left
        }
    }

    private void drain() {
        drainQueued.set(false);
        pass();
        if (agent.queueDepth() > 0) {
            queueDrain(); // the rest behind the loop's other work (its reads), not in a loop here
        }
    }

    private void tick() {
        if (!inPass) {
            pass();
        }
    }

    private void pass() {
        inPass = true;
        try {
            agent.doWork();
        } catch (RuntimeException | Error e) {
            onError.accept(e);
        } finally {
            inPass = false;
        }
    }

    /** Stops the timers (the loop itself belongs to whoever made it). */
    void stop() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Drain tasks queued so far for commands from other threads. */
    long handOffs() {
        return handOffs;
    }

    /** Commands run at once on the owner's thread so far. */
    long inline() {
        return inline;
    }
}
