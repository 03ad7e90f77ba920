package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.config.EngineConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 6: {@code formica demo} removes the data directory it made (and the parents it had to create,
 * like {@code ./data}) when it is done, unless {@code --keep}; a parent that was there before stays; what it keeps
 * takes megabytes, because the stores are sized from what the demo loads.
 */
class DemoCleanupTest {
    @TempDir
    Path dir;

    private static String demo(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Formica.run(args);
        } finally {
            System.setOut(original);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        assertTrue(out.contains("stopped   cleanly"), out);
        return out;
    }

    @Test
    void shouldRemoveItsDataDirectoryAndTheParentsItCreated() throws Exception {
        Path existing = Files.createDirectory(dir.resolve("work"));
        Path data = existing.resolve("data").resolve("demo");
        String out = demo("demo", "--data-dir", data.toString(), "--borrowers", "200", "--decisions", "100",
                "--in-flight", "4");
        assertFalse(Files.exists(data), "the demo's data directory is gone: " + out);
        assertFalse(Files.exists(existing.resolve("data")), "so is the parent the demo created: " + out);
        assertTrue(Files.isDirectory(existing), "a parent that was there before stays");
        assertTrue(out.contains("removed   " + data.toAbsolutePath() + " (--keep keeps it)"), out);
    }

    @Test
    void shouldKeepItsDataDirectoryWithKeep() throws Exception {
        Path data = dir.resolve("data").resolve("demo");
        String out = demo("demo", "--keep", "--data-dir", data.toString(), "--borrowers", "200", "--decisions", "100",
                "--in-flight", "4");
        assertTrue(Files.isDirectory(data), out);
        try (var files = Files.list(data)) {
            assertTrue(files.findAny().isPresent(), "the engine's files are still there");
        }
        assertTrue(out.contains("kept      " + data.toAbsolutePath()), out);
        // sized from what the demo loaded: megabytes (the shard logs, a small block-list file), not the 1.3 GB of
        // maps sized for 400,000 borrowers, nor the 56 MB block-list file sized for 1,000,000 entries
        long bytes;
        try (var files = Files.walk(data)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(DemoCleanupTest::size).sum();
        }
        assertTrue(bytes < 4L * 1024 * 1024, "the kept data directory takes " + bytes + " bytes");
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void shouldSizeTheStoresFromWhatTheDemoLoads() {
        assertEquals(1000, DemoCommand.expectedBorrowers(200), "the engine's floor");
        assertEquals(125_000, DemoCommand.expectedBorrowers(100_000));
        assertEquals(4096, DemoCommand.velocityKeys(100));
        assertEquals(80_000, DemoCommand.velocityKeys(20_000), "four keys per decision");
        assertEquals(EngineConfiguration.DEFAULT_VELOCITY_KEYS, DemoCommand.velocityKeys(1_000_000), "never more");
    }
}
