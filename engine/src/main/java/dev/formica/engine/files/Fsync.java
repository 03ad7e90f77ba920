package dev.formica.engine.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Making files and directory entries durable: what a power cut keeps. */
public final class Fsync {
    private Fsync() {
    }

    /** {@code fsync} of a directory, so that files created or removed in it survive a power cut. */
    public static void directory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** {@code fsync} of a file's data and metadata. */
    public static void file(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
