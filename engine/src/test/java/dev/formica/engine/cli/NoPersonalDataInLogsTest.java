package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo with every log record of the JVM captured (java.util.logging, where SLF4J and
 * therefore Chronicle log too, with Formica's own loggers at ALL) plus stdout and stderr, and finds
 * no borrower id, device id or IP of the demo's requests in any of it. Then checks that every file
 * the engine wrote is owner-only.
 */
class NoPersonalDataInLogsTest {
    /** The demo's borrower ids (b0, b1, ..., unknown-17), device ids and client IPs. */
    private static final Pattern PERSONAL = Pattern.compile(
            "\\bb\\d+\\b|unknown-\\d+|demo-device-\\d+|10\\.77\\.\\d+\\.\\d+");

    @TempDir
    Path dir;

    @Test
    void shouldLogNoBorrowerDeviceOrIpAndWriteOwnerOnlyFiles() throws Exception {
        List<String> records = Collections.synchronizedList(new ArrayList<>());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                StringBuilder text = new StringBuilder(r.getLoggerName() + " " + r.getLevel() + " ");
                text.append(new java.util.logging.SimpleFormatter().formatMessage(r));
                if (r.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(trace));
                    text.append(' ').append(trace);
                }
                records.add(text.toString());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Logger root = LogManager.getLogManager().getLogger("");
        Logger formica = Logger.getLogger("dev.formica");
        Level formicaLevel = formica.getLevel();
        root.addHandler(capture);
        formica.setLevel(Level.ALL);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(console, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        Path data = dir.resolve("demo");
        int exit;
        try {
            // --keep: the files the engine wrote are checked below
            exit = Formica.run("demo", "--keep", "--data-dir", data.toString(), "--borrowers", "2000", "--decisions",
                    "3000", "--in-flight", "16");
        } finally {
            System.setOut(out);
            System.setErr(err);
            root.removeHandler(capture);
            formica.setLevel(formicaLevel);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, printed);
        assertTrue(records.stream().anyMatch(r -> r.contains("formica listening")), "log capture works: " + records);
        List<String> leaks = new ArrayList<>();
        for (String text : records) {
            find(text, "log", leaks);
        }
        find(printed, "console", leaks);
        assertEquals(List.of(), leaks, "personal data in the output");

        List<String> notOwnerOnly = new ArrayList<>();
        try (Stream<Path> files = Files.walk(data)) {
            files.forEach(p -> {
                try {
                    String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                    String expected = Files.isDirectory(p) ? "rwx------" : "rw-------";
                    if (!perms.equals(expected)) {
                        notOwnerOnly.add(data.relativize(p) + " " + perms);
                    }
                } catch (IOException e) {
                    notOwnerOnly.add(p + " " + e);
                }
            });
        }
        assertEquals(List.of(), notOwnerOnly, "files and directories readable by others");
    }

    private static void find(String text, String where, List<String> leaks) {
        Matcher m = PERSONAL.matcher(text);
        while (m.find()) {
            int from = Math.max(0, m.start() - 60);
            leaks.add(where + ": '" + m.group() + "' in ..." + text.substring(from, Math.min(text.length(),
                    m.end() + 60)) + "...");
        }
    }
}
