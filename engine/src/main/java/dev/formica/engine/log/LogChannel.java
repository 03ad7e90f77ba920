package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The file operations the log writer needs: appending, syncing and closing one segment. The production one is a
 * {@link java.nio.channels.FileChannel}; a test one can throw away what was not yet synced, as a power cut does.
 */
public interface LogChannel extends AutoCloseable {

    /** Writes all of {@code src} at the end of the segment. */
    void append(ByteBuffer src) throws IOException;

    /** Makes every appended byte durable ({@code fdatasync}). */
    void sync() throws IOException;

    /**
     * Starts writing the appended bytes to the device and returns at once ({@code sync_file_range} with
     * {@code SYNC_FILE_RANGE_WRITE}): a hint that puts the writes of a round's segments on their way together; it
     * makes nothing durable. Nothing by default.
     */
    default void startWrite() throws IOException {
    }

    /**
     * Writes the appended bytes to the device and waits until the device has completed them ({@code sync_file_range}
     * with {@code WAIT_BEFORE | WRITE | WAIT_AFTER}): data only, no metadata, and possibly still in the device's
     * volatile cache. They are durable once a {@link #sync} of a segment on the same {@link #device} has returned
     * after this ({@link SyncRound}).
     *
     * @return false when this channel cannot (by default): only its own {@link #sync} makes its bytes durable
     */
    default boolean writeOut() throws IOException {
        return false;
    }

    /**
     * The device this segment is on, where every {@link #sync} ends with a cache flush of the device: equal for two
     * segments whose syncs flush the same cache; null (by default) when not known to, or when {@link #writeOut}
     * cannot be called.
     */
    default Object device() {
        return null;
    }

    @Override
    void close() throws IOException;

    /** Opens segments. */
    @FunctionalInterface
    interface Factory {
        /** Opens {@code file} for appending at {@code size} (the file exists, owner-only). */
        LogChannel open(Path file, long size) throws IOException;
    }

    /**
     * Plain file channels: {@code write} and {@code force(false)}; where the segments are on ext4, also
     * {@link #writeOut} ({@link FileLogChannel}).
     */
    Factory FILES = FileLogChannel::open;
}
