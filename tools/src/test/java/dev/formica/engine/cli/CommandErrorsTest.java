package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 4: a mistake on the command line (a missing file, a scenario name with a typo, an invalid
 * scenario file) is answered with one line naming the command and what is wrong, and exit code 2 (picocli's
 * code for invalid input), never a Java stack trace.
 */
class CommandErrorsTest {
    @TempDir
    Path dir;

    /** What a run printed and returned. */
    record Run(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Formica.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private static void assertOneLine(Run r, String... fragments) {
        assertEquals(2, r.exit(), "exit code for invalid input; stderr:\n" + r.err());
        assertEquals(1, r.errLines().size(), "one line, no stack trace:\n" + r.err());
        String line = r.errLines().get(0);
        assertFalse(line.contains("Exception") || r.err().contains("\tat "), r.err());
        for (String f : fragments) {
            assertTrue(line.contains(f), "'" + f + "' in: " + line);
        }
    }

    @Test
    void shouldReportAMissingRuleSetFileInOneLine() {
        Path missing = dir.resolve("missing.yaml");
        assertOneLine(run("rules", "validate", missing.toString()), "formica rules validate", "missing.yaml",
                "no such file");
    }

    @Test
    void shouldReportAMissingRegulatoryFileInOneLine() throws Exception {
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, dev.formica.engine.rules.DefaultRuleSet.yaml());
        assertOneLine(run("rules", "validate", rules.toString(), "--regulatory", dir.resolve("nope.yaml").toString()),
                "nope.yaml", "no such file");
    }

    @Test
    void shouldReportAnUnknownScenarioInOneLineWithTheShippedNames() {
        assertOneLine(run("stress", "--scenario", "typo", "--synthetic", "10"), "formica stress", "typo",
                "baseline", "downturn", "severe");
    }

    @Test
    void shouldReportAnInvalidScenarioFileInOneLine() throws Exception {
        Path bad = dir.resolve("bad-scenario.yaml");
        Files.writeString(bad, "name: bad\nunknownKey: 3\n");
        assertOneLine(run("stress", "--scenario", bad.toString(), "--synthetic", "10"), "bad-scenario.yaml",
                "unknownKey");
    }
}
