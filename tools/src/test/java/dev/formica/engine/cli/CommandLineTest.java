package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.Product;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end: demo, load and version, against real servers. */
class CommandLineTest {
    @TempDir
    Path dir;

    private static String captureStdout(Callable<Integer> run, int[] exit) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            exit[0] = run.call();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRunTheDemoEndToEndAndStopCleanly() throws Exception {
        int[] exit = new int[1];
        String out = captureStdout(() -> Formica.run("demo", "--data-dir", dir.resolve("demo").toString(),
                "--borrowers", "2000", "--decisions", "1000", "--in-flight", "16"), exit);
        assertEquals(0, exit[0], out);
        assertTrue(out.contains("health    SERVING"), out);
        assertTrue(out.contains("profiles  2,000 loaded (0 rejected)"), out);
        assertTrue(out.contains("errors 0"), out);
        assertTrue(out.matches("(?s).*outcomes  \\{APPROVE=\\d+.*"), out);
        assertTrue(out.contains("stopped   cleanly"), out);
    }

    @Test
    void shouldLoadGoodRowsAndReportBadOnesByLine() throws Exception {
        Path csv = dir.resolve("profiles.csv");
        Files.writeString(csv, String.join("\n",
                "borrower_id,region,annual_income_minor,consumer_credit_line_minor,attr.bureau.active_lenders",
                "c1,CN-31,12000000,2000000,2",
                "c2,CN-11,notanumber,100,1",
                "c3,CN-44,9000000,-5,1",
                "c4,CN-33,7000000,100000,3") + "\n");
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).dataDir(dir.resolve("data")))
                .start()) {
            int[] exit = new int[1];
            String out = captureStdout(() -> Formica.run("load", csv.toString(), "--target",
                    "127.0.0.1:" + server.port()), exit);
            assertEquals(3, exit[0], "some rows were rejected: " + out);
            assertTrue(out.contains(
                    "loaded 2 profiles (2 created, 0 updated), rejected 1 by the server and 1 unreadable"), out);
            assertTrue(out.contains("line 4: lines[0].line_minor: must be >= 0"), out);
            assertTrue(out.contains("line 3: annual_income_minor: not a whole number"), out);
            var state = server.pipeline().state(server.pipeline().shardOf("c4"));
            var line = new dev.formica.engine.state.LedgerSnapshot();
            assertTrue(state.ledger().get("c4", Product.CONSUMER_CREDIT_VALUE, line));
            assertEquals(100_000, line.lineMinor());
        }
    }

    @Test
    void shouldPrintTheVersion() throws Exception {
        int[] exit = new int[1];
        String out = captureStdout(() -> Formica.run("version"), exit);
        assertEquals(0, exit[0]);
        assertTrue(out.startsWith("formica "), out);
    }

    @Test
    void shouldRefuseConflictingServeSettingsWithExitCode2() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "holdTtl: 30h\n");
        int[] exit = new int[1];
        captureStdout(() -> Formica.run("serve", "--config", config.toString(), "--port", "0"), exit);
        assertEquals(2, exit[0]);
    }
}
