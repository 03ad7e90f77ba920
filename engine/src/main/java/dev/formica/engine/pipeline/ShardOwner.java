package dev.formica.engine.pipeline;

import dev.formica.engine.log.LogWriter;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

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
 * <p>Overload: the owner is behind when its read batches take longer than {@code loopShedLag} one after the other: a
 * batch runs from the first call the owner decides inline until the loop runs its queued tasks again (a task queued
 * at that first call marks the end), and counts when it held at least {@link #BATCH_MIN_CALLS} calls. After one such
 * batch, the next is behind as soon as it has run that long; after two, the owner is behind until it catches up. One
 * long batch alone is a burst the loop works through (a client's retries after a restart, a cold JIT), not an
 * overload; batches that stay long are. A queue of more than one drain pass of misrouted commands stops the reads
 * too. Both signals are the loop's own backlog: a loop that the scheduler leaves waiting (a starved box) is not
 * behind by them (the earlier signal, how late the loop's timer ran, was mostly scheduler delay there and refused
 * calls the loop could have served). While behind, it refuses the calls it reads (RESOURCE_EXHAUSTED; reads such as
 * GetCreditLine only past {@link #READ_SHED_FACTOR} times the lag)
 * and stops reading its connections ({@link ShardLoops#reads}): the calls it has not read wait in the clients' HTTP/2
 * and TCP flow control, where they cost the server nothing, instead of being read, parsed and refused one by one.
 * Calls already read are decided or refused exactly once as before (a queued one that waited longer than
 * {@code maxQueueDelay} is refused too, an expired deadline is not decided). The next timer task (it runs behind
 * everything read before the pause) resumes the reads once the queue is back under one pass: a pause lasts about
 * one timer period, 10 ms, and how much a client can have sent meanwhile is bounded by the HTTP/2 window of the LOOP
 * ports.
 *
 * <p>{@code fsync}: the answers decided on the owner come back from the log writer, once their frames are synced,
 * through its {@link OwnerInbox}: run at the owner's next pass when it is awake anyway, else by one task per round
 * of syncs (not one wake-up of the loop per group). With {@code logSync: LOOP} ({@link #syncsLog}) the owner writes
 * and syncs its shard's log itself, in one task queued behind the round of calls whose answers wait for it (the
 * leader's group commit, the Disruptor's smart batching: calls that arrive during the sync are read and decided as
 * the next group), and answers them in that task: no writer wake-up and no hand-back.
 *
 * <p>Thread contract: {@link #start} and {@link #stop} from the pipeline's controlling thread; {@link #submitted} from
 * any thread after the command was offered to the agent; {@link #behind} and {@link #shedding} from any thread;
 * everything else runs on the owner's thread only.
 */
final class ShardOwner {
    /** A batch of fewer calls is never "behind": one call cannot be a backlog, and a lone slow one was preempted. */
    static final int BATCH_MIN_CALLS = 2;
    /** Reads are refused only when the batch took this many times {@code loopShedLag}: they change nothing. */
    static final int READ_SHED_FACTOR = 4;

    /** How readily a command is refused while the owner is behind. */
    enum Shedding {
        /** Decide, Confirm, Cancel, Repay and the other writes: at {@code loopShedLag}. */
        WRITE,
        /** GetCreditLine, GetDecision, GetProfile: at {@link #READ_SHED_FACTOR} times {@code loopShedLag}. */
        READ,
        /** Never (bulk {@code Load} rows have the stream's own window). */
        NEVER
    }

    private final ShardAgent agent;
    private final ShardLoops loops;
    private final int shard;
    private final ScheduledExecutorService loop;
    private final long timerPeriodNanos;
    /**
     * {@code loopShedLag} (0 = never): an owner whose read batch took this long is behind its reads, and the calls it
     * reads are shed (RESOURCE_EXHAUSTED) until it has caught up. A call decided on the loop that reads it holds no
     * in-flight slot and waits in no queue, so neither the in-flight limit nor the queue-delay budget sees an
     * overload; a loop that falls behind instead leaves calls in its sockets until their deadlines pass, and
     * deciding them then only makes it later (measured: at more than the box could do, every call of a run timed
     * out). What arrives while one batch is decided waits at least that long: the loop's own queueing delay.
     */
    private final long shedLagNanos;
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final Runnable drain = this::drain;
    private final Runnable endBatch = this::endBatch;
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
    /** The clock of the batch times (tests inject one). */
    private volatile LongSupplier nanos = System::nanoTime;
    /** A read batch is open: a call was decided inline and the end-of-batch task has not run (owner writes). */
    private volatile boolean batchOpen;
    /** When the open batch's first call was decided. */
    private volatile long batchStartNanos;
    /** Calls decided inline in the open batch. */
    private volatile int batchCalls;
    /** How long the last finished batch took (owner writes); cleared once the owner caught up. */
    private volatile long lastBatchNanos;
    /** Finished batches in a row that took longer than {@code loopShedLag} (owner writes). */
    private volatile int slowBatches;
    /** Calls refused because the owner was behind (racy count). */
    private volatile long shed;
    /** Owner thread only: the owner's connections are not being read (it is behind). */
    private boolean readsPaused;
    /** Times the owner stopped reading (owner writes, any thread reads). */
    private volatile long pauses;
    /** Times it read again. */
    private volatile long resumes;
    /** Where the writer hands back the answers decided on the owner once synced ({@code fsync}). */
    private final OwnerInbox inbox;
    /** {@code logSync: LOOP}: the shard's log, written and synced by this owner; null when the log writer does. */
    private LogWriter.Log syncedLog;
    /** Owner thread only: a task that syncs the log is queued and has not started. */
    private boolean syncQueued;
    private final Runnable syncTask = this::syncLog;
    /** Syncs the owner ran (owner writes, any thread reads). */
    private volatile long ownerSyncs;

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
        this.inbox = new OwnerInbox(loop);
    }

    /** Tests: the clock the batch times are read from. */
    void nanoClock(LongSupplier clock) {
        this.nanos = clock;
    }

    /**
     * {@code logSync: LOOP}, before {@link #start}: this owner writes, syncs and answers its shard's {@code log},
     * which was opened with {@link LogWriter.Log#syncOnShard}.
     */
    void syncsLog(LogWriter.Log log) {
        syncedLog = log;
        log.onSyncWanted(this::syncWanted);
    }

    /**
     * Answers wait for the log: one task queued now runs after what the loop reads in this round and syncs them all.
     * Off the owner's thread (the pipeline's close, after the loops stopped) nothing is queued: the writer syncs.
     */
    private void syncWanted() {
        if (syncQueued || !onOwner()) {
            return;
        }
        syncQueued = true;
        try {
            loop.execute(syncTask);
        } catch (RejectedExecutionException shutDown) {
            syncQueued = false; // the writer's close syncs and answers what is left
        }
    }

    /** Owner thread: writes and syncs the log, then answers what it made durable, here. */
    private void syncLog() {
        syncQueued = false;
        inPass = true;
        try {
            inbox.runReleased(); // answers released before, first
            inbox.answerHere(true);
            syncedLog.syncHere();
            ownerSyncs++;
        } catch (RuntimeException | Error e) {
            onError.accept(e);
        } finally {
            inbox.answerHere(false);
            inPass = false;
        }
    }

    /** Sync tasks the owner ran ({@code logSync: LOOP}; tests and diagnostics). */
    long ownerSyncs() {
        return ownerSyncs;
    }

    /** Learns the owner's thread and starts the shard's timers on it. */
    void start() {
        loop.execute(() -> thread = Thread.currentThread());
        // fixed delay, not rate: a loop that was held up runs one late tick, not a burst of catch-up ticks
        timer = loop.scheduleWithFixedDelay(this::tick, timerPeriodNanos, timerPeriodNanos, TimeUnit.NANOSECONDS);
    }

    /** The loop that owns the shard. */
    ScheduledExecutorService loop() {
        return loop;
    }

    /**
     * Where the answers of calls read on the owner go once the log has synced them ({@code fsync}): back to the
     * owner, coalesced per round of syncs ({@link OwnerInbox}).
     */
    OwnerInbox replyLoop() {
        return inbox;
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
            if (!batchOpen) {
                // the loop runs this task once it has handled what it read in this round: the batch's end
                batchStartNanos = nanos.getAsLong();
                batchCalls = 0;
                batchOpen = true;
                loop.execute(endBatch);
            }
            batchCalls++;
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
     * Whether a call for the shard of the given class is refused now because the owner is behind ({@link #behind});
     * a refusal on the owner's own thread (it is reading while behind) also stops its reads. Any thread.
     */
    boolean shedding(Shedding what) {
        if (what == Shedding.NEVER || !behind(what == Shedding.READ ? READ_SHED_FACTOR : 1)) {
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

    /** Whether the owner is behind its reads for a write ({@link #behind(int)} at 1). Any thread. */
    boolean behind() {
        return behind(1);
    }

    /**
     * Whether the owner is behind its reads by its own work: after a batch longer than {@code loopShedLag}, the open
     * batch has run {@code factor} times that long with at least {@link #BATCH_MIN_CALLS} calls; after two in a row,
     * also between batches while the last took {@code factor} times as long (never when the setting is 0). How late
     * the loop runs otherwise (scheduler delay) does not count. Any thread.
     */
    boolean behind(int factor) {
        int slow = slowBatches;
        if (shedLagNanos <= 0 || slow == 0) {
            return false;
        }
        long limit = shedLagNanos * factor;
        if (slow >= 2 && lastBatchNanos > limit) {
            return true;
        }
        return batchOpen && batchCalls >= BATCH_MIN_CALLS && nanos.getAsLong() - batchStartNanos > limit;
    }

    /** Owner thread: the loop has handled the round in which the batch's first call was read. */
    private void endBatch() {
        long took = nanos.getAsLong() - batchStartNanos;
        lastBatchNanos = took;
        if (took <= shedLagNanos) {
            slowBatches = 0;
        } else if (batchCalls >= BATCH_MIN_CALLS) {
            slowBatches++;
        } // a lone call that took long was preempted, not behind: it neither counts nor clears
        batchOpen = false;
        if (behind()) {
            pauseReads();
        }
    }

    /** How long the last read batch took (diagnostics, tests); 0 once the owner caught up. */
    long lastBatchNanos() {
        return lastBatchNanos;
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
        if (!inPass) {
            pass();
        }
        LogWriter.Log log = syncedLog;
        if (log != null && log.appendedPosition() > log.durablePosition()) {
            syncWanted(); // frames nobody waits for (a timer's): synced within a tick, as the writer would
        }
        if (shedLagNanos <= 0) {
            return;
        }
        boolean backlog = agent.queueDepth() > ShardAgent.DRAIN_LIMIT;
        if (readsPaused && !backlog) {
            // The first tick after a pause has run behind everything the loop had read: it caught up. The slow batches
            // that paused it say nothing more, but one is remembered: if the next batch is long again, the loop is
            // still overloaded, and it sheds as soon as that batch has run loopShedLag.
            lastBatchNanos = 0;
            slowBatches = Math.min(slowBatches, 1);
            resumeReads();
        } else if (backlog) {
            pauseReads();
        }
    }

    private void pass() {
        inPass = true;
        try {
            agent.doWork();
            inbox.runReleased(); // answers synced meanwhile, without waiting for the writer's task
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
