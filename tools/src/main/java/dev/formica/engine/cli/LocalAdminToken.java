package dev.formica.engine.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The local operator's admin token: {@code DATA_DIR/admin.token}, owner-only, made with 256 random bits the first
 * time {@code formica serve} starts on loopback without an {@code adminTokenFile} of its own, and kept across
 * restarts. The server reads it like any admin token file; {@code formica latency --data-dir DIR} reads it, so an
 * operator on the same machine as the same user needs no set-up. The token is never printed or logged.
 *
 * <p>Thread contract: static, stateless; call from one thread per data directory.
 */
public final class LocalAdminToken {
    /** The file's name in the data directory. */
    public static final String FILE = "admin.token";
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private LocalAdminToken() {
    }

    /** Whether {@code ensure} made the file on this call (for the one line {@code serve} prints). */
    record Ensured(Path file, boolean created) {
    }

    /** The token file of {@code dataDir}, made (and the directory, owner-only) if it is not there yet. */
    public static Path ensure(Path dataDir) throws IOException {
        return ensureReporting(dataDir).file();
    }

    static Ensured ensureReporting(Path dataDir) throws IOException {
        boolean posix = dataDir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(dataDir)) {
            if (posix) {
                Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
            } else {
                Files.createDirectories(dataDir);
            }
        }
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            return new Ensured(file, false);
        }
        byte[] bits = new byte[32];
        RANDOM.nextBytes(bits);
        String text = "# formica admin token for operators on this machine (owner-only; made by formica serve)\n"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(bits) + "\n";
        // created owner-only, never readable by others even for a moment; a racing second start keeps the first
        try {
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            return new Ensured(file, false);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return new Ensured(file, true);
    }

    /** The token in {@code dataDir}, or null when there is no token file there. */
    public static String read(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String token = line.strip();
            if (!token.isEmpty() && !token.startsWith("#")) {
                return token;
            }
        }
        return null;
    }
}
