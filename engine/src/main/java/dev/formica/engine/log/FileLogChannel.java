package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A segment as a plain {@link FileChannel} ({@link LogChannel#FILES}): {@code write}, and {@code force(false)}
 * ({@code fdatasync}) to sync. On ext4 it can also {@link #writeOut} its bytes without a cache flush, for the
 * round of syncs to share one flush among the segments of a device ({@link SyncRound}).
 *
 * <p><b>Which file systems.</b> Only where every {@code fdatasync} ends with a flush of the device's cache, after
 * its own data write has completed: ext4 without a journal calls {@code blkdev_issue_flush} at the end of each
 * (unless mounted {@code nobarrier}, which no {@code fdatasync} there survives anyway); with a journal a data-only
 * {@code fdatasync} either flushes or commits a transaction whose commit record is written with a preflush. A
 * file system not known to do so ({@code tmpfs}, {@code btrfs}, XFS, a network file system) gets no
 * {@link #device}, and its segments keep an {@code fdatasync} each. The device is the file system's ({@code st_dev}):
 * an {@code fdatasync} flushes the cache of the device under its own file system.
 *
 * <p><b>Threading:</b> the thread that writes the segment (as {@link LogChannel}).
 */
final class FileLogChannel implements LogChannel {
    private final FileChannel channel;
    /** The file system's device when write-out is used here, else null. */
    private final Long device;
    /** A second descriptor of the file for {@code sync_file_range}, or -1. */
    private final int fd;
    /** The offset after the last appended byte. */
    private long end;
    /** The offset of the first byte not yet written out or synced. */
    private long from;

    private FileLogChannel(FileChannel channel, Long device, int fd, long size) {
        this.channel = channel;
        this.device = device;
        this.fd = fd;
        this.end = size;
        this.from = size;
    }

    /** Opens {@code file} for appending at {@code size} ({@link LogChannel.Factory}). */
    static LogChannel open(Path file, long size) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        try {
            ch.position(size);
            Long device = flushesOnSync(file) ? (Long) Files.getAttribute(file, "unix:dev") : null;
            int fd = device == null ? -1 : RangeSync.open(file);
            return new FileLogChannel(ch, device, fd, size);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Whether {@code file}'s segments may be written out: the call exists here and its file system flushes. */
    private static boolean flushesOnSync(Path file) throws IOException {
        return RangeSync.available() && "ext4".equals(Files.getFileStore(file).type());
    }

    @Override
    public void append(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            end += channel.write(src);
        }
    }

    @Override
    public void sync() throws IOException {
        channel.force(false);
        from = end;
    }

    @Override
    public void startWrite() throws IOException {
        if (fd >= 0 && end > from) {
            RangeSync.sync(fd, from, end - from, RangeSync.WRITE);
        }
    }

    @Override
    public boolean writeOut() throws IOException {
        if (fd < 0) {
            return false;
        }
        if (end > from) {
            RangeSync.sync(fd, from, end - from, RangeSync.WAIT_BEFORE | RangeSync.WRITE | RangeSync.WAIT_AFTER);
            from = end;
        }
        return true;
    }

    @Override
    public Object device() {
        return device;
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            if (fd >= 0) {
                RangeSync.close(fd);
            }
        }
    }
}
