package dev.formica.engine.state;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Creates directories ({@code rwx------}) and files ({@code rw-------}) that only the engine's user can read:
 * everything under the data directory holds borrower data, rule sets or timings.
 */
public final class OwnerOnly {
    private OwnerOnly() {
    }

    /** Creates the directory (and parents) if missing and restricts it to the owner. */
    public static Path directory(Path dir) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        return dir;
    }

    /** Creates an empty owner-only file, or restricts an existing one. */
    public static Path file(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            Files.createFile(file);
        }
        return file;
    }
}
