package dev.formica.engine.pipeline;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;

/**
 * {@code shardMode: LOOP} with {@code durability: fsync}: where the answers decided on a shard's owner loop come back
 * once the log writer has synced their frames. The writer's release of a group ({@link Replies.Batch}) hands the
 * owner's part to this executor, which queues it here instead of as a task of the loop: the owner runs what is queued
 * at its next pass when it is awake anyway (a call it reads), and the first group released while nothing is queued
 * also queues one task on the loop, so that a sleeping loop is woken once per round of syncs, not once per group, and
 * no answer waits past its sync for a call to arrive.
 *
 * <p>Thread contract: {@link #execute} from any thread (the log writer's); {@link #runReleased} on the owner's loop
 * only, or on the releasing thread once the loop has shut down.
 */
final class OwnerInbox implements Executor {
    /** Released groups waiting for the owner; more go to the loop as their own tasks. */
    static final int CAPACITY = 1024;

    private final Executor loop;
    private final ManyToManyConcurrentArrayQueue<Runnable> released = new ManyToManyConcurrentArrayQueue<>(CAPACITY);
    /** A task that runs what is queued here is on the loop and has not started. */
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final Runnable flush = this::flush;
    /** Tasks queued on the loop to run released answers (racy count, for tests and diagnostics). */
    private volatile long wakeUps;
    /** Released groups the owner ran at a pass of its own, without a task (racy count). */
    private volatile long atPass;
    /** Owner's loop only: the owner releases the groups itself ({@code logSync: LOOP}), so they run at once. */
    private boolean answerHere;

    OwnerInbox(Executor loop) {
        this.loop = loop;
    }

    /** A released group's answers for the owner: run at the owner's next pass or by one flush task. */
    @Override
    public void execute(Runnable answers) {
        if (answerHere) {
            answers.run();
            return;
        }
        if (!released.offer(answers)) {
            loop.execute(answers); // full: the group goes to the loop as a task of its own, as without the inbox
            return;
        }
        if (flushQueued.compareAndSet(false, true)) {
            wakeUps++;
            try {
                loop.execute(flush);
            } catch (RejectedExecutionException shutDown) {
                flush(); // the loop is gone: answer on this thread, as a released group always did then
            }
        }
    }

    private void flush() {
        flushQueued.set(false); // before polling: a group offered after this point queues a new flush
        drain();
    }

    /**
     * Owner's loop only: while on, a group released (by the owner itself, {@code logSync: LOOP}) runs at once
     * instead of being queued for the owner's next turn.
     */
    void answerHere(boolean on) {
        answerHere = on;
    }

    /** The owner's pass: runs the groups released since its last turn. Owner's loop only. */
    void runReleased() {
        atPass += drain();
    }

    private int drain() {
        int n = 0;
        Runnable answers;
        while ((answers = released.poll()) != null) {
            answers.run();
            n++;
        }
        return n;
    }

    /** Tasks queued on the loop so far to run released answers. */
    long wakeUps() {
        return wakeUps;
    }

    /** Released groups queued for the owner now (tests). */
    int queued() {
        return released.size();
    }

    /** Released groups the owner ran at its own passes so far. */
    long atPass() {
        return atPass;
    }
}
