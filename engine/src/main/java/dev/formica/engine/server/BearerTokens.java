package dev.formica.engine.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Bearer tokens read from an owner-only file, one a line ({@code #} starts a comment). Only their
 * SHA-256 digests are kept; a presented token is compared with every one in constant time, so
 * neither the comparison nor the position of a match leaks through timing.
 *
 * <p>Thread contract: immutable after {@link #load}; {@link #matches} is safe from any thread.
 */
final class BearerTokens {
    /** Shortest token accepted in the file: 128 bits of base64 or hex and then some. */
    static final int MIN_TOKEN_CHARS = 24;

    private final byte[][] digests;

    private BearerTokens(byte[][] digests) {
        this.digests = digests;
    }

    /** No tokens: {@link #matches} is always false. */
    public static BearerTokens none() {
        return new BearerTokens(new byte[0][]);
    }

    /**
     * Reads {@code file}. Refuses a file other users may read or write, a token shorter than
     * {@value #MIN_TOKEN_CHARS} characters, and a file without tokens.
     *
     * @param setting the configuration key, for messages
     * @throws IllegalStateException with a message that says what to change
     */
    public static BearerTokens load(String setting, Path file) {
        if (file == null) {
            return none();
        }
        List<String> tokens = tokens(setting, file);
        byte[][] digests = new byte[tokens.size()][];
        for (int i = 0; i < digests.length; i++) {
            digests[i] = sha256(tokens.get(i));
        }
        return new BearerTokens(digests);
    }

    /** The tokens of {@code file} in order, with the checks {@link #load} states. */
    private static List<String> tokens(String setting, Path file) {
        try {
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                for (PosixFilePermission p : perms) {
                    if (!p.name().startsWith("OWNER_")) {
                        throw new IllegalStateException("configuration: " + setting + " " + file
                                + " may be read by other users (" + p + "): chmod 600 it");
                    }
                }
            }
            List<String> tokens = new ArrayList<>();
            int lineNo = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                lineNo++;
                String token = line.strip();
                if (token.isEmpty() || token.startsWith("#")) {
                    continue;
                }
                if (token.length() < MIN_TOKEN_CHARS || token.chars().anyMatch(c -> c <= 0x20 || c > 0x7e)) {
                    throw new IllegalStateException("configuration: " + setting + " " + file + " line " + lineNo
                            + ": a token is at least " + MIN_TOKEN_CHARS + " printable ASCII characters");
                }
                tokens.add(token);
            }
            if (tokens.isEmpty()) {
                throw new IllegalStateException("configuration: " + setting + " " + file + " holds no token");
            }
            return tokens;
        } catch (IOException e) {
            throw new IllegalStateException("configuration: cannot read " + setting + " " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** Whether {@code token} is one of the tokens; visits every token whatever the outcome. */
    public boolean matches(String token) {
        return matchesDigest(digest(token));
    }

    /** {@link #matches} of a token's {@link #digest}: one digest for several lists. */
    boolean matchesDigest(byte[] presented) {
        boolean found = false;
        for (byte[] digest : digests) {
            found |= MessageDigest.isEqual(digest, presented);
        }
        return found;
    }

    /** Whether a token is on both lists (start-up only: not in constant time). */
    boolean sharesAToken(BearerTokens other) {
        for (byte[] digest : digests) {
            for (byte[] theirs : other.digests) {
                if (Arrays.equals(digest, theirs)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The first token of {@code file} (the one a node sends to its peers), with the checks of {@link #load}.
     *
     * @throws IllegalStateException with a message that says what to change
     */
    static String first(String setting, Path file) {
        return tokens(setting, file).get(0);
    }

    public boolean isEmpty() {
        return digests.length == 0;
    }

    /** The SHA-256 digest that {@link #matchesDigest} compares. */
    static byte[] digest(String token) {
        return sha256(token);
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
