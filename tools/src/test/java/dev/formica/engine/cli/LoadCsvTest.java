package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.Formica;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.Product;
import dev.formica.v1.Profile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 3: {@code formica load} reads CSV as CSV (RFC 4180 quoting through Apache Commons CSV),
 * against a real server: a quoted id loses its quotes, a quoted value may hold commas, doubled quotes and a
 * line break (one record over two lines), and every error, local or from the server, is reported once,
 * sorted by file line.
 */
class LoadCsvTest {
    private static final Pattern ERROR_LINE = Pattern.compile("^  line (\\d+): ", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void shouldParseQuotedCellsAndReportErrorsSortedByLine() throws Exception {
        Path csv = dir.resolve("profiles.csv");
        Files.writeString(csv, String.join("\n",
                "borrower_id,region,annual_income_minor,consumer_credit_line_minor,attr.note",
                "c1,CN-31,12000000,2000000,plain",
                "c2,CN-11,7000000,-5,server rejects the negative line",
                "c3,CN-44,notanumber,100,read locally",
                "\"b4\",\"Shanghai, CN\",9000000,100000,\"said \"\"hi\"\", twice\"",
                "c5,CN-33,7000000,-7,server rejects this one too",
                "c6,CN-33,7000000",
                "",
                "\"c7\",CN-32,8000000,300000,\"two",
                "lines\"",
                "c8,CN-32,oops,1,after the multi-line cell") + "\n");
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).dataDir(dir.resolve("data")))
                .start()) {
            PrintStream original = System.out;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int exit;
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            try {
                exit = Formica.run("load", csv.toString(), "--target", "127.0.0.1:" + server.port());
            } finally {
                System.setOut(original);
            }
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertEquals(3, exit, "some rows were rejected: " + out);
            assertTrue(out.contains(
                    "loaded 2 profiles (2 created, 0 updated), rejected 3 by the server and 3 unreadable"), out);
            List<Integer> lines = new ArrayList<>();
            Matcher m = ERROR_LINE.matcher(out);
            while (m.find()) {
                lines.add(Integer.parseInt(m.group(1)));
            }
            assertEquals(List.of(3, 4, 6, 7, 9, 11), lines, "every error once, by file line: " + out);
            assertTrue(out.contains("line 7: 3 cells, header has 5"), out);
            // the quoted cell with a line break is one record (lines 9-10), sent whole; the engine refuses
            // control characters in attributes, and the record after it is still counted from line 11
            assertTrue(out.contains("line 9: attributes[note]: control or invalid characters"), out);
            assertTrue(out.contains("line 11: annual_income_minor: not a whole number"), out);

            try (FormicaClient client = FormicaClient.builder().target("127.0.0.1:" + server.port()).build()) {
                Profile b4 = client.getProfile("b4");
                assertEquals("Shanghai, CN", b4.getRegion());
                assertEquals("said \"hi\", twice", b4.getAttributesOrThrow("note").getStringValue());
                assertEquals(100_000, b4.getLines(0).getLineMinor());
                assertEquals(Product.CONSUMER_CREDIT, b4.getLines(0).getProduct());
            }
        }
    }
}
