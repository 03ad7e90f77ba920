package dev.formica.engine.log;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the kernel schedules the calling thread: its nice value and, on Linux 6.12 and later, its slice
 * ({@code sched_setattr} with {@code SCHED_OTHER}, through JNA; the call has no libc wrapper).
 * {@link Thread#setPriority} does neither: the JVM ignores Java priorities on Linux unless started with
 * {@code -XX:ThreadPriorityPolicy=1}, which also moves its own compiler and VM threads and prints a warning when not
 * root (docs/perf-notes/2026-12-06-fsync-tail.md).
 *
 * <p>Why a slice: the EEVDF scheduler lets a task that wakes up take the core from the running one only when the
 * waking task asks for a shorter slice than the default (0.75-3 ms); otherwise it waits until the running task's
 * slice is used up. The log writer wakes about 1,500 times a second in {@code fsync} mode, runs for microseconds,
 * and every answer waits for it: with the default slice its wake-ups after each {@code fdatasync} waited behind the
 * shards' and the load's threads, and that wait was most of the slow "syncs" (docs/perf-notes/2026-12-06-sync-tail.md).
 * A short slice needs no privilege (a lower nice value would: {@code CAP_SYS_NICE}); a thread with one gets shorter
 * turns, which costs a thread that runs microseconds at a time nothing. Raising the nice value (running later)
 * needs no privilege either. On an older kernel the slice is ignored; on another OS, or without libc, nothing
 * changes.
 *
 * <p>Thread contract: each call changes or reads the calling thread only.
 */
public final class ThreadScheduling {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadScheduling.class);
    /** The kernel's least slice (0.1 ms): a thread that asks for it preempts default-slice threads when it wakes. */
    public static final long SHORT_SLICE_NANOS = 100_000;
    /** {@code sizeof(struct sched_attr)} in its first version (no utilisation clamps). */
    private static final int ATTR_SIZE = 48;

    private ThreadScheduling() {
    }

    /** libc's {@code syscall}; loaded on first use. */
    interface LibC extends Library {
        int syscall(int number, Object... args);
    }

    /** The JNA binding and this architecture's call numbers, or a null binding off Linux x86-64 and aarch64. */
    private static final class Holder {
        static final boolean ARM = "aarch64".equals(System.getProperty("os.arch"));
        static final int SETATTR = ARM ? 274 : 314;
        static final int GETATTR = ARM ? 275 : 315;
        static final LibC LIBC = load();

        private static LibC load() {
            String arch = System.getProperty("os.arch");
            if (!System.getProperty("os.name").startsWith("Linux")
                    || !(ARM || "amd64".equals(arch) || "x86_64".equals(arch))) {
                return null;
            }
            try {
                return Native.load("c", LibC.class);
            } catch (LinkageError e) {
                LOG.info("thread scheduling left at the defaults: libc not loaded ({})", e.toString());
                return null;
            }
        }
    }

    /**
     * Sets the calling thread's nice value ({@code -20} to {@code 19}, higher runs later) and slice
     * ({@code sliceNanos}, 0 for the kernel's default; the kernel keeps it within 0.1-100 ms). {@code what} names
     * the thread in the one line logged when the kernel refuses. Returns whether it was set.
     */
    public static boolean set(int nice, long sliceNanos, String what) {
        LibC libc = Holder.LIBC;
        if (libc == null) {
            return false;
        }
        Memory attr = new Memory(ATTR_SIZE);
        attr.clear();
        attr.setInt(0, ATTR_SIZE);
        attr.setInt(4, 0); // SCHED_OTHER
        attr.setInt(16, nice);
        attr.setLong(24, sliceNanos); // sched_runtime: the slice of a SCHED_OTHER thread since Linux 6.12
        if (libc.syscall(Holder.SETATTR, 0, attr, 0) == 0) { // pid 0: the calling thread
            return true;
        }
        LOG.info("{} runs with the default scheduling: nice {} and slice {} ns refused (errno {})", what, nice,
                sliceNanos, Native.getLastError());
        return false;
    }

    /** The calling thread's nice value and slice in ns ({@code {nice, slice}}), or null where nothing is set. */
    public static long[] get() {
        LibC libc = Holder.LIBC;
        if (libc == null) {
            return null;
        }
        Memory attr = new Memory(ATTR_SIZE);
        attr.clear();
        if (libc.syscall(Holder.GETATTR, 0, attr, ATTR_SIZE, 0) != 0) {
            return null;
        }
        return new long[] {attr.getInt(16), attr.getLong(24)};
    }
}
