package dev.formica.engine.log;

import java.io.IOException;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * Linux's {@code sync_file_range(2)} for the log writer's shared cache flush ({@link FileLogChannel#writeOut}):
 * it writes a file's dirty pages to the device and waits for them, without the device cache flush and without any
 * metadata, which {@code fdatasync} adds. The JDK has no door to it; it is reached through jnr-ffi, which the
 * engine already loads for Chronicle's POSIX binding ({@code state/ChunkMemory}).
 *
 * <p>The call wants a file descriptor; {@link java.nio.channels.FileChannel} does not give its own away, so each
 * segment opens a second one of the same file ({@link #open}): {@code sync_file_range} and {@code fdatasync} act on
 * the file's pages and inode, whichever descriptor names them.
 *
 * <p>Where the binding cannot be loaded (not Linux, no native library) {@link #available} is false and every
 * segment is made durable by its own {@code fdatasync}, as before.
 *
 * <p><b>Threading:</b> stateless; any thread.
 */
final class RangeSync {
    /** {@code SYNC_FILE_RANGE_WAIT_BEFORE}, {@code _WRITE}, {@code _WAIT_AFTER} of Linux's {@code <fcntl.h>}. */
    static final int WAIT_BEFORE = 1;
    static final int WRITE = 2;
    static final int WAIT_AFTER = 4;
    /** {@code O_WRONLY | O_CLOEXEC} on x86-64 and aarch64. */
    private static final int OPEN_FLAGS = 0x1 | 0x80000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RangeSync.class);
    private static final LibC LIBC = load();

    /** The calls of the C library used here. */
    public interface LibC {
        @SaveError
        int open(String path, int flags, int mode);

        @SaveError
        int close(int fd);

        @SaveError
        int syncFileRange(int fd, long offset, long nbytes, int flags);
    }

    private RangeSync() {
    }

    /** Whether the call can be made here. */
    static boolean available() {
        return LIBC != null;
    }

    /** A descriptor of {@code file}, opened for writing (never written through), for {@link #sync}. */
    static int open(Path file) throws IOException {
        int fd = LIBC.open(file.toString(), OPEN_FLAGS, 0);
        if (fd < 0) {
            throw new IOException("open " + file + " for sync_file_range: " + error());
        }
        return fd;
    }

    /** {@code sync_file_range(fd, offset, bytes, flags)}. */
    static void sync(int fd, long offset, long bytes, int flags) throws IOException {
        if (LIBC.syncFileRange(fd, offset, bytes, flags) != 0) {
            throw new IOException("sync_file_range: " + error());
        }
    }

    static void close(int fd) throws IOException {
        if (LIBC.close(fd) != 0) {
            throw new IOException("close: " + error());
        }
    }

    private static String error() {
        int errno = jnr.ffi.Runtime.getRuntime(LIBC).getLastError();
        return "errno " + errno;
    }

    /** The binding on Linux (one harmless call to see it works: an invalid descriptor is refused), else null. */
    private static LibC load() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return null;
        }
        try {
            LibC libc = LibraryLoader.create(LibC.class).map("syncFileRange", "sync_file_range").load("c");
            libc.syncFileRange(-1, 0, 0, WRITE); // EBADF; loads the symbol now rather than on the writer thread
            return libc;
        } catch (Throwable t) { // no native binding (NoClassDefFoundError, UnsatisfiedLinkError)
            LOG.info("shard log segments synced one by one (no sync_file_range): {}", t.toString());
            return null;
        }
    }
}
