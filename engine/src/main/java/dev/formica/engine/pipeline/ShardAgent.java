package dev.formica.engine.pipeline;

import dev.formica.engine.metrics.ShardMetrics;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * The single writer of one shard: drains commands from its queue and runs the shard's timers.
 *
 * <p>Thread contract: {@link #offer} from any thread. {@link #doWork} from exactly one thread at a
 * time: the dedicated agent thread ({@code DEDICATED}), or whichever caller wins the drain flag in
 * {@link #tryDrain} ({@code CALLER_DRAINS}). The clock is read per command (see {@link #run}).
 */
final class ShardAgent implements Agent {
    static final int DRAIN_LIMIT = 256;
    /** Commands whose answers are released (and the log writer woken) together; see {@link #doWork}. */
    static final int RELEASE_EVERY = 16;

    private final ShardProcessor processor;
    private final ManyToOneConcurrentArrayQueue<ShardCommand<?, ?>> queue;
    private final EpochClock clock;
    /** Caller-drains mode: someone is the shard's writer now (package-private for tests). */
    final AtomicBoolean draining = new AtomicBoolean();
    /** Caller-drains mode: a continuation drain is queued on some event loop. */
    private final AtomicBoolean continuation = new AtomicBoolean();
    /** Caller-drains mode: continuation drains queued so far (racy count, for tests and diagnostics). */
    private volatile long continuations;
    private final WakeableIdleStrategy idle;
    private final long maxQueueDelayNanos;
    private final long shedRetryDelayMs;
    private final ShardMetrics metrics;
    private final Replies replies = new Replies();
    /** {@link #run} as the queue's drain takes it, made once (a method reference per pass would be a new object). */
    private final java.util.function.Consumer<ShardCommand<?, ?>> runner = this::run;
    private long logFailures;

    /**
     * @param maxQueueDelayNanos commands that waited longer are shed with RESOURCE_EXHAUSTED; 0 = never
     * @param shedRetryDelayMs the retry delay such a refusal asks for (RetryInfo, grpc-retry-pushback-ms)
     * @param metrics where queue wait, total time and decision counts go (a disabled one records nothing)
     */
    ShardAgent(ShardProcessor processor, int queueCapacity, EpochClock clock, long maxParkNanos,
            long maxQueueDelayNanos, long shedRetryDelayMs, ShardMetrics metrics) {
        this(processor, queueCapacity, clock, maxParkNanos, maxParkNanos, maxQueueDelayNanos, shedRetryDelayMs,
                metrics);
    }

    /**
     * @param followerParkNanos how long a shard that follows its group ({@link #following}) parks at most: it has no
     *     timers to run, and is woken by {@link #poke} and by commands; the bound is a safety net only
     */
    ShardAgent(ShardProcessor processor, int queueCapacity, EpochClock clock, long maxParkNanos,
            long followerParkNanos, long maxQueueDelayNanos, long shedRetryDelayMs, ShardMetrics metrics) {
        this.maxQueueDelayNanos = maxQueueDelayNanos;
        this.shedRetryDelayMs = shedRetryDelayMs;
        this.metrics = metrics;
        this.processor = processor;
        this.queue = new ManyToOneConcurrentArrayQueue<>(queueCapacity);
        this.clock = clock;
        this.idle = new WakeableIdleStrategy(queue, maxParkNanos, followerParkNanos);
    }

    /** The shard's logic (start-up only, before the agent runs). */
    ShardProcessor processor() {
        return processor;
    }

    IdleStrategy idleStrategy() {
        return idle;
    }

    int queueDepth() {
        return queue.size();
    }

    /** What this shard records; its writer may also record stages through it. */
    ShardMetrics metrics() {
        return metrics;
    }

    /**
     * Replication: whether the shard follows its group now (it serves nothing and has no timers to run), so that it
     * parks for the longer follower period until {@link #poke} or a command wakes it ({@link LeaderGate}).
     */
    void following(boolean following) {
        idle.following = following;
    }

    /** Wakes the shard for a pass now (any thread): its group's leadership may have changed ({@link LeaderGate}). */
    void poke() {
        idle.poke();
    }

    /** Hands a command over; false when the queue is full (the caller sheds the request). */
    boolean offer(ShardCommand<?, ?> command) {
        if (metrics.enabled()) {
            // a plain write the queue's ordered publish makes visible to the writer
            command.enqueuedNanos = System.nanoTime();
        }
        if (!queue.offer(command)) {
            return false;
        }
        idle.wake();
        return true;
    }

    /** The shard's log. */
    dev.formica.engine.log.ShardLog log() {
        return processor.log();
    }

    /** Where this shard holds answers until they are durable, batched per event loop. */
    Replies replies() {
        return replies;
    }

    /** Replication: whether and on what log the shard serves, decided around each pass (docs/cluster.md). */
    interface Gate {
        /** Runs {@link ShardAgent#work} when the shard serves; refuses what is queued when it does not. */
        int doWork(ShardAgent agent);
    }

    /** Null: the shard always serves (no replication). */
    private Gate gate;

    /** Set before the agent runs. */
    void gate(Gate g) {
        this.gate = g;
    }

    @Override
    public int doWork() {
        Gate g = gate;
        return g == null ? work() : g.doWork(this);
    }

    /** One pass: commands, timers, releases. */
    int work() {
        int work = 0;
        int n;
        // Answers are handed to the log in groups of at most RELEASE_EVERY commands: the log writer is woken
        // once per group (not per frame), and a long drain under load does not hold the first answers back
        // until its end (measured: releasing once per 256-command drain put p50 at 6 ms at 2,000/s).
        do {
            n = queue.drain(runner, RELEASE_EVERY);
            work += n;
            if (n > 0) {
                replies.release(processor.log(), processor.log() == null ? 0 : processor.log().appendedPosition());
            }
        } while (n == RELEASE_EVERY && work < DRAIN_LIMIT);
        long nowMs = clock.time();
        work += processor.duty(nowMs);
        long position = endCommand(nowMs);
        replies.release(processor.log(), position);
        return work;
    }

    /**
     * Appends the command's frame. When the log has failed the frame is lost and so is the answer: the release
     * then refuses it (UNAVAILABLE), never acknowledges it.
     */
    private long endCommand(long nowMs) {
        try {
            return processor.endCommand(nowMs);
        } catch (IllegalStateException logFailed) {
            logFailures++;
            return Long.MAX_VALUE;
        }
    }

    /** Frames that could not be appended because the shard log had failed. */
    long logFailures() {
        return logFailures;
    }

    /**
     * The clock is read per command, not once per duty cycle as Aeron does: a caller answered early
     * in a cycle can submit again within the same drain, and its next command must not carry a time
     * from before its previous answer (a hold would outlive its expiry). The wall clock costs ~20 ns.
     */
    private void run(ShardCommand<?, ?> command) {
        long nowMs = clock.time();
        try {
            command.run(processor, nowMs, maxQueueDelayNanos, shedRetryDelayMs, metrics);
        } finally {
            // whatever the command changed (also when it failed half-way) is one frame of the log
            endCommand(nowMs);
        }
    }

    /**
     * Caller-drains mode: if no one else is draining, become the writer for one bounded pass ({@link #doWork}: at
     * most {@link #DRAIN_LIMIT} commands). Re-checks after letting go so a command offered during the release is
     * not stranded. What is still queued after that is not drained in a loop here: under overload the queue never
     * empties, and a loop that kept draining would stop reading its own connections (the 2x overload failure of
     * the earlier trials). Instead the rest goes as one continuation task to {@code loop}, behind the loop's other
     * work, so every loop keeps reading and flow control and the in-flight limit keep shedding.
     *
     * @param loop the calling thread's event loop, or null (then this thread drains until the queue is empty)
     */
    void tryDrain(java.util.concurrent.Executor loop) {
        while (draining.compareAndSet(false, true)) {
            try {
                doWork();
            } finally {
                draining.set(false);
            }
            if (queue.isEmpty()) {
                return;
            }
            if (loop != null) {
                if (continuation.compareAndSet(false, true)) {
                    continuations++;
                    try {
                        loop.execute(() -> {
                            continuation.set(false);
                            tryDrain(loop);
                        });
                    } catch (java.util.concurrent.RejectedExecutionException shutDown) {
                        continuation.set(false);
                        continue;
                    }
                }
                return;
            }
        }
    }

    /** Continuation drains queued so far ({@code CALLER_DRAINS}). */
    long continuations() {
        return continuations;
    }

    /** Drops what is still queued at shutdown, answering each with a new {@code refusal}. */
    void rejectQueued(java.util.function.Supplier<dev.formica.engine.errors.Refused> refusal) {
        ShardCommand<?, ?> command;
        while ((command = queue.poll()) != null) {
            command.reject(refusal.get());
        }
    }

    @Override
    public String roleName() {
        return "formica-shard-" + processor.shardId();
    }

    /**
     * Parks as soon as there is no work, and producers cut the park short with {@link #wake()}: no spin and no
     * yield phase (on 2 cores a spinning shard takes the core the event loop that would feed it needs, and
     * {@code sched_yield} showed up as 4.8 of a Decide's 12.9 syscalls), and a park bounded only by the shard's
     * timer period (hold expiry, record rotation), not by 1 ms: 1,000 timer wake-ups a second per shard cost even
     * an Echo ≈ 8 µs of CPU.
     */
    static final class WakeableIdleStrategy implements IdleStrategy {
        private final ManyToOneConcurrentArrayQueue<?> queue;
        private final long maxParkNanos;
        private final long followerParkNanos;
        private volatile Thread parked;
        /** Set by the shard's thread: it follows its group, nothing to run until a poke or a command. */
        volatile boolean following;
        /** A poke not yet consumed by a park: the next {@link #idle()} does not park. */
        private volatile boolean poked;

        WakeableIdleStrategy(ManyToOneConcurrentArrayQueue<?> queue, long maxParkNanos) {
            this(queue, maxParkNanos, maxParkNanos);
        }

        WakeableIdleStrategy(ManyToOneConcurrentArrayQueue<?> queue, long maxParkNanos, long followerParkNanos) {
            this.queue = queue;
            this.maxParkNanos = maxParkNanos;
            this.followerParkNanos = followerParkNanos;
        }

        void wake() {
            Thread t = parked;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        /**
         * Wakes the shard for one more pass whether or not it is parked now: a poke that comes while the shard is
         * still in its pass makes its next {@link #idle()} return at once (Dekker as with the queue: the poke is
         * published before "parked" is read, and "parked" before the poke is read).
         */
        void poke() {
            poked = true;
            wake();
        }

        @Override
        public void idle(int workCount) {
            if (workCount == 0) {
                idle();
            }
        }

        @Override
        public void idle() {
            // Dekker with offer() and poke(): publish "parked" before looking at the queue and the poke; a producer
            // offers (or pokes) before it reads "parked", so one of the two sees the other
            parked = Thread.currentThread();
            if (queue.isEmpty() && !poked) {
                LockSupport.parkNanos(this, following ? followerParkNanos : maxParkNanos);
            }
            parked = null;
            poked = false; // whatever a poke announced happened before it: the pass that follows sees it
        }

        @Override
        public void reset() {
        }

        @Override
        public String alias() {
            return "wakeable-park";
        }
    }
}
