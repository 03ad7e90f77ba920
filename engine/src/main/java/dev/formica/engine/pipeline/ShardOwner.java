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
 * <p>Overload: while the owner is behind (its timer task ran more than {@code loopShedLag} late, or more than one
 * drain pass of commands waits in its queue) it stops reading its connections ({@link ShardLoops#reads}): the calls
 * it has not read wait in the clients' HTTP/2 and TCP flow control, where they cost the server nothing, instead of
 * being read, parsed and refused one by one. Calls already read are decided or refused exactly once as before (a
 * call read while behind is refused with RESOURCE_EXHAUSTED, a queued one that waited longer than
 * {@code maxQueueDelay} too, an expired deadline is not decided). The next timer task (it runs behind everything
 * read before the pause) resumes the reads once the queue is back under one pass: a pause lasts about one timer
 * period, 10 ms, and how much a client can have sent meanwhile is bounded by the HTTP/2 window of the LOOP ports.
 *
 * <p>Thread contract: {@link #start} and {@link #stop} from the pipeline's controlling thread; {@link #submitted} from
 * any thread after the command was offered to the agent; everything else runs on the owner's thread only.
 */
final class ShardOwner {
    private final ShardAgent agent;
    private final ShardLoops loops;
    private final int shard;
    private final ScheduledExecutorService loop;
    private final long timerPeriodNanos;
    /**
     * {@code loopShedLag} (0 = never): an owner whose timer task runs this much later than due is behind its reads,
     * and the calls it reads are shed (RESOURCE_EXHAUSTED) until it has caught up. A call decided on the loop that
     * reads it holds no in-flight slot and waits in no queue, so neither the in-flight limit nor the queue-delay
     * budget sees an overload; a loop that falls behind instead leaves calls in its sockets until their deadlines
     * pass, and deciding them then only makes it later (measured: at more than the box could do, every call of a
     * run timed out). The timer's lateness is the time a task waits behind the loop's reads: its queueing delay.
     */
    private final long shedLagNanos;
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
    /** When the timer task last ran (owner writes, any thread reads). */
    private volatile long lastTickNanos = System.nanoTime();
    /** How late the timer task last ran. */
    private volatile long lagNanos;
    /** Calls refused because the owner was behind (racy count). */
    private volatile long shed;
    /** Owner thread only: the owner's connections are not being read (it is behind). */
    private boolean readsPaused;
    /** Times the owner stopped reading (owner writes, any thread reads). */
    private volatile long pauses;
    /** Times it read again. */
    private volatile long resumes;

    /**
     * @param loops the loop that owns the shard is {@code loops.loop(shard)}; its reads are switched through them
     * @param onError told what a pass threw (the owner keeps serving, as an {@code AgentRunner} does)
     */
    ShardOwner(ShardAgent agent, ShardLoops loops, int shard, long timerPeriodNanos, long shedLagNanos,
            java.util.function.Consumer<Throwable> onError) {
        this.agent = agent;
        this.shedLagNanos = shedLagNanos;
        this.onError = onError;
        this.loops = loops;
        this.shard = shard;
        this.loop = loops.loop(shard);
        this.timerPeriodNanos = timerPeriodNanos;
    }

    /** Learns the owner's thread and starts the shard's timers on it. */
    void start() {
        loop.execute(() -> thread = Thread.currentThread());
        lastTickNanos = System.nanoTime();
        // fixed delay, not rate: a loop that was held up runs one late tick, not a burst of catch-up ticks
        timer = loop.scheduleWithFixedDelay(this::tick, timerPeriodNanos, timerPeriodNanos, TimeUnit.NANOSECONDS);
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
        int left = agent.queueDepth();
        if (left > 0) {
            if (left > ShardAgent.DRAIN_LIMIT && shedLagNanos > 0) {
                pauseReads(); // more than a pass still queued: drain it before reading more
            }
            queueDrain(); // the rest behind the loop's other work (its reads), not in a loop here
        }
    }

    /**
     * Whether a call for the shard is refused now because the owner is behind ({@link #behind}); a refusal on the
     * owner's own thread (it is reading while behind) also stops its reads. Any thread.
     */
    boolean shedding(long nowNanos) {
        if (!behind(nowNanos)) {
            return false;
        }
        if (onOwner()) {
            pauseReads();
        }
        return true;
    }

    /** Owner thread only. */
    private void pauseReads() {
        if (!readsPaused) {
            readsPaused = true;
            pauses++;
            loops.reads(shard, false);
        }
    }

    /** Owner thread only. */
    private void resumeReads() {
        if (readsPaused) {
            readsPaused = false;
            resumes++;
            loops.reads(shard, true);
        }
    }

    /**
     * Whether the owner is behind its reads: its timer task is {@code loopShedLag} late, or ran that late last time
     * (never when that setting is 0). Any thread.
     */
    boolean behind(long nowNanos) {
        return shedLagNanos > 0
                && (nowNanos - lastTickNanos > timerPeriodNanos + shedLagNanos || lagNanos > shedLagNanos);
    }

    /** Counts a call refused because the owner was behind. */
    void countShed() {
        shed++;
    }

    /** Calls refused so far because the owner was behind. */
    long shed() {
        return shed;
    }

    private void tick() {
        long now = System.nanoTime();
        lagNanos = Math.max(0, now - lastTickNanos - timerPeriodNanos);
        lastTickNanos = now;
        if (!inPass) {
            pass();
        }
        if (shedLagNanos <= 0) {
            return;
        }
        boolean backlog = agent.queueDepth() > ShardAgent.DRAIN_LIMIT;
        if (readsPaused && !backlog) {
            // The first tick after a pause has run behind everything the loop had read: it caught up. Its own
            // lateness says nothing more (a paused loop reads nothing; on a starved box the tick is late anyway,
            // and waiting for an on-time tick there kept the reads off for good).
            resumeReads();
        } else if (lagNanos > shedLagNanos || backlog) {
            pauseReads();
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

    /** Times the owner stopped reading its connections because it was behind. */
    long pauses() {
        return pauses;
    }

    /** Times it read them again once it had caught up. */
    long resumes() {
        return resumes;
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
