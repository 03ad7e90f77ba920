package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.formica.engine.Formica;
import dev.formica.engine.logging.LogFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs the demo with every log line of the JVM captured as Logback writes it (JSON lines on stderr, with every field
 * the encoder writes: message, logger, thread, stack trace, MDC and key-value pairs; the engine's, Chronicle's and,
 * through the java.util.logging bridge, gRPC's; Formica's own loggers at ALL) plus stdout, and finds no borrower
 * id, device id or IP of the demo's requests in any of it. Then checks that every file the engine wrote is
 * owner-only.
 */
class NoPersonalDataInLogsTest {
    /** The demo's borrower ids (b0, b1, ..., unknown-17), device ids and client IPs. */
    private static final Pattern PERSONAL = Pattern.compile(
            "\\bb\\d+\\b|unknown-\\d+|demo-device-\\d+|10\\.77\\.\\d+\\.\\d+");

    @TempDir
    Path dir;

    @Test
    void shouldLogNoBorrowerDeviceOrIpAndWriteOwnerOnlyFiles() throws Exception {
        Logger formica = (Logger) LoggerFactory.getLogger("dev.formica");
        Level formicaLevel = formica.getLevel();
        LogFormat format = LogFormat.active();
        formica.setLevel(Level.ALL);
        LogFormat.use(LogFormat.JSON);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
        // Logback's console appender writes to whatever System.err is at the time of each line
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
        Path data = dir.resolve("demo");
        int exit;
        try {
            // --keep: the files the engine wrote are checked below
            exit = Formica.run("demo", "--keep", "--data-dir", data.toString(), "--borrowers", "2000", "--decisions",
                    "3000", "--in-flight", "16");
        } finally {
            System.setOut(out);
            System.setErr(err);
            formica.setLevel(formicaLevel);
            LogFormat.use(format);
        }
        String log = logged.toString(StandardCharsets.UTF_8);
        List<String> records = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (line.startsWith("{")) {
                JsonObject record = JsonParser.parseString(line).getAsJsonObject();
                assertTrue(record.has("@timestamp") && record.has("level") && record.has("logger_name"), line);
                records.add(record.get("message").getAsString());
            }
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, printed + log);
        assertTrue(records.stream().anyMatch(r -> r.contains("formica listening")), "log capture works: " + log);
        List<String> leaks = new ArrayList<>();
        // every line of stderr, JSON or not, whole (all its fields), and all of stdout
        find(log, "log", leaks);
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
