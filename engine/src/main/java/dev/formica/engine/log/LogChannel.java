package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file operations the log writer needs: appending, syncing and closing one segment. The production one is a
 * {@link FileChannel}; a test one can throw away what was not yet synced, as a power cut does.
 */
public interface LogChannel extends AutoCloseable {

    /** Writes all of {@code src} at the end of the segment. */
    void append(ByteBuffer src) throws IOException;

    /** Makes every appended byte durable ({@code fdatasync}). */
    void sync() throws IOException;

    @Override
    void close() throws IOException;

    /** Opens segments. */
    @FunctionalInterface
    interface Factory {
        /** Opens {@code file} for appending at {@code size} (the file exists, owner-only). */
        LogChannel open(Path file, long size) throws IOException;
    }

    /** Plain file channels: {@code write} and {@code force(false)}. */
    Factory FILES = (file, size) -> {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        ch.position(size);
        return new LogChannel() {
            @Override
            public void append(ByteBuffer src) throws IOException {
                while (src.hasRemaining()) {
                    ch.write(src);
                }
            }

            @Override
            public void sync() throws IOException {
                ch.force(false);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    };
}
