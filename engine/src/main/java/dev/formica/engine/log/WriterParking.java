package dev.formica.engine.log;

import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * How the {@link LogWriter}'s thread parks when a pass found no work, and how the shards wake it: idle (any release
 * asked for wakes it) or holding its frames until the next round of syncs is due (only a window running out of room
 * wakes it). Dekker with the shards: the writer announces that it parks, then looks once more for work; a shard
 * publishes its work, then reads the announcement.
 *
 * <p>Thread contract: {@link #park} on the writer thread only; {@link #wake} and {@link #wakeNow} from any thread.
 */
final class WriterParking {
    /** Parked idle: any release asked for wakes the writer. */
    private volatile boolean sleeping;
    /** Parked until the next round of syncs is due: only a window running out of room wakes the writer. */
    private volatile boolean holding;
    private volatile Thread thread;

    /** The writer thread, before it starts. */
    void thread(Thread writer) {
        this.thread = writer;
    }

    /**
     * Parks for {@code hold} nanoseconds when {@code hold > 0} (woken only by a crowded window), else for at most
     * {@code idlePark} (woken by any work), unless a log the writer owns has such work already or the writer stops.
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
        if (!ready && running) {
            LockSupport.parkNanos(this, held ? hold : idlePark);
        }
        holding = false;
        sleeping = false;
    }

    /** Wakes an idle writer (not one holding its frames for the next round of syncs). */
    void wake() {
        VarHandle.fullFence();
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    /** Wakes the writer whatever it waits for: a window is running out of room. */
    void wakeNow() {
        VarHandle.fullFence();
        if (sleeping || holding) {
            LockSupport.unpark(thread);
        }
    }
}
