package dev.formica.engine.files;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates directories ({@code rwx------}) and files ({@code rw-------}) that only the engine's user can read:
 * everything under the data directory holds borrower data, rule sets or timings. Files are created with the
 * permission already set, so no other user can open one even for a moment. On a file system without POSIX
 * permissions they are created plainly.
 */
public final class OwnerOnly {
    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private OwnerOnly() {
    }

    /** Whether the file system of {@code path} has POSIX permissions (owner-only is checked only there). */
    public static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Creates the directory (and parents) if missing and restricts it to the owner. */
    public static Path directory(Path dir) throws IOException {
        if (posix(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
            Files.setPosixFilePermissions(dir, DIRECTORY);
        } else {
            Files.createDirectories(dir);
        }
        return dir;
    }

    /** Creates an empty owner-only file if absent, and restricts an existing one. */
    public static Path file(Path file) throws IOException {
        if (Files.notExists(file)) {
            if (posix(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
            } else {
                Files.createFile(file);
            }
        }
        if (posix(file)) {
            Files.setPosixFilePermissions(file, FILE);
        }
        return file;
    }

    /**
     * Creates {@code file} owner-only and {@code length} bytes long (sparse, zeros) for memory mapping;
     * {@code IoUtil.mapNewFile} would create it with the process umask first and narrow it only after.
     */
    public static Path file(Path file, long length) throws IOException {
        file(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        }
        return file;
    }

    /** Replaces {@code file} with {@code text} atomically (owner-only temporary file, then a rename). */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.writeString(file(tmp), text, StandardCharsets.UTF_8);
        // durable before it counts: the file's bytes, then the rename (the directory entry)
        dev.formica.engine.files.Fsync.file(tmp);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        dev.formica.engine.files.Fsync.directory(file.toAbsolutePath().getParent());
    }
}
