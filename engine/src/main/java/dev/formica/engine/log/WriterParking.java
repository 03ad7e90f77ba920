package dev.formica.engine.log;

import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * How the {@link LogWriter}'s thread parks when a pass found no work, and how the shards wake it: idle (any release
 * asked for wakes it) or holding its frames until the next round of syncs is due (only a window running out of room
 * wakes it, or, when the round waits for company, the batch that brings the waiting batches to the
 * {@link CommitDelay#target}). Dekker with the shards: the writer announces that it parks, then looks once more for
 * work; a shard publishes its work, then reads the announcement.
 *
 * <p>Thread contract: {@link #park} on the writer thread only; {@link #wake} and {@link #wakeNow} from any thread.
 */
final class WriterParking {
    /** Parked idle: any release asked for wakes the writer. */
    private volatile boolean sleeping;
    /** Parked until the next round of syncs is due: only a window running out of room wakes the writer. */
    private volatile boolean holding;
    private volatile Thread thread;
    /** When a shard unparked the writer (about the first of a park; 0: none since), for {@link LogTimes#wokeUp}. */
    private volatile long unparkedNanos;
    private final LogTimes times;
    private final CommitDelay delay;
    /** The writer's logs (registered before it starts). */
    private final List<LogWriter.Log> logs;

    WriterParking(LogTimes times, CommitDelay delay, List<LogWriter.Log> logs) {
        this.times = times;
        this.delay = delay;
        this.logs = logs;
    }

    /** The writer thread, before it starts. */
    void thread(Thread writer) {
        this.thread = writer;
    }

    /**
     * Parks for {@code hold} nanoseconds when {@code hold > 0} (woken only by a crowded window), else for at most
     * {@code idlePark} (woken by any work), unless a log the writer owns has such work already or the writer stops.
     * A hold ends early when the waiting batches reach the delay's target.
     */
    void park(List<LogWriter.Log> logs, long hold, long idlePark, boolean running) {
        boolean held = hold > 0;
        if (held) {
            holding = true;
        } else {
            sleeping = true;
        }
        VarHandle.fullFence();
        boolean ready = false;
        for (LogWriter.Log log : logs) {
            ready |= log.writerOwns(false) && (held ? log.crowded() : log.hasWork());
        }
        int target = held ? delay.target() : 0;
        ready |= target > 0 && waiting() >= target;
        if (!ready && running) {
            LockSupport.parkNanos(this, held ? hold : idlePark);
        }
        holding = false;
        sleeping = false;
        long unparked = unparkedNanos;
        if (unparked != 0) {
            unparkedNanos = 0;
            times.wokeUp(unparked);
        }
    }

    /** Whether the writer is parked idle, or about to (tests). */
    boolean idle() {
        return sleeping;
    }

    /** Whether the writer is parked holding its frames for the next round, or about to (tests). */
    boolean holding() {
        return holding;
    }

    /** Batches of answers waiting for a sync in the logs the writer owns (any thread; a snapshot). */
    int waiting() {
        int n = 0;
        for (LogWriter.Log log : logs) {
            n += log.writerOwns(false) ? log.waiting() : 0;
        }
        return n;
    }

    /**
     * Wakes an idle writer, and one holding its frames for a round that waits for company once the batches waiting
     * reach its target (not one holding for a fixed interval).
     */
    void wake() {
        VarHandle.fullFence();
        if (sleeping) {
            unparked();
        } else if (holding) {
            int target = delay.target();
            if (target > 0 && waiting() >= target) {
                unparked();
            }
        }
    }

    /** Wakes the writer whatever it waits for: a window is running out of room. */
    void wakeNow() {
        VarHandle.fullFence();
        if (sleeping || holding) {
            unparked();
        }
    }

    private void unparked() {
        if (unparkedNanos == 0) {
            unparkedNanos = System.nanoTime(); // a race of two shards may keep the later one: a lower bound
        }
        LockSupport.unpark(thread);
    }
}
