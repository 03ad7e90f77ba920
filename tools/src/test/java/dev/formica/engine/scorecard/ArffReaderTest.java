package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ARFF reader on the parts of the format that real files use, and on broken files. */
class ArffReaderTest {
    private static final String SAMPLE = String.join("\n",
            "% German-credit-like sample",
            "% with comments, quoting and missing values",
            "@RELATION 'tiny loans'",
            "",
            "@attribute 'checking status' { '<0', '0<=X<200', 'no checking'}",
            "@Attribute duration NUMERIC   % months",
            "@attribute purpose {radio/tv, \"new car\", 'it\\'s other'}",
            "@attribute amount real",
            "@attribute note string",
            "@attribute class {good,bad}",
            "@DATA",
            "'<0',6,radio/tv,1169.5,'a, b',good",
            "% a comment between rows",
            "  'no checking' , 48 , \"new car\" , ? , ?, bad  ",
            "?,12,'it\\'s other',2096,'?',good",
            "");

    @Test
    void shouldReadNumericNominalAndStringAttributesWithQuotesCommentsAndMissingValues() throws IOException {
        ArffData data = ArffReader.read(new StringReader(SAMPLE));
        assertEquals("tiny loans", data.relation());
        assertEquals(List.of("checking status", "duration", "purpose", "amount", "note", "class"),
                data.attributes().stream().map(ArffData.Attribute::name).toList());
        assertEquals(ArffData.Kind.NOMINAL, data.attributes().get(0).kind());
        assertEquals(List.of("<0", "0<=X<200", "no checking"), data.attributes().get(0).nominalValues());
        assertEquals(List.of("radio/tv", "new car", "it's other"), data.attributes().get(2).nominalValues());
        assertEquals(ArffData.Kind.NUMERIC, data.attributes().get(1).kind());
        assertEquals(ArffData.Kind.STRING, data.attributes().get(4).kind());
        assertEquals(3, data.rowCount());
        assertArrayEquals(new String[] {"<0", "no checking", null}, data.labels(0));
        assertArrayEquals(new double[] {6, 48, 12}, data.numbers(1));
        assertArrayEquals(new String[] {"radio/tv", "new car", "it's other"}, data.labels(2));
        assertEquals(1169.5, data.numbers(3)[0]);
        assertTrue(Double.isNaN(data.numbers(3)[1]), "? is missing");
        assertEquals("a, b", data.labels(4)[0]);
        assertNull(data.labels(4)[1]);
        assertEquals("?", data.labels(4)[2], "a quoted ? is a value, not a missing one");
        assertArrayEquals(new String[] {"good", "bad", "good"}, data.labels(5));
    }

    @Test
    void shouldReadAGzippedFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("sample.arff.gz");
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)),
                StandardCharsets.UTF_8)) {
            w.write(SAMPLE);
        }
        assertEquals(3, ArffReader.read(file).rowCount());
    }

    @Test
    void shouldNameTheLineOfAnUndeclaredNominalValue() {
        String arff = "@relation r\n@attribute c {a,b}\n@data\na\nz\n";
        var e = assertThrows(ArffReader.ArffFormatException.class, () -> ArffReader.read(new StringReader(arff)));
        assertTrue(e.getMessage().startsWith("line 5: 'z' is not a declared value of 'c'"), e.getMessage());
    }

    @Test
    void shouldRefuseRowsOfTheWrongWidthBadNumbersAndUnsupportedFeatures() {
        assertFormatError("@relation r\n@attribute a numeric\n@attribute b numeric\n@data\n1\n", "line 5: 1 values");
        assertFormatError("@relation r\n@attribute a numeric\n@data\n1,2\n", "line 4: more than");
        assertFormatError("@relation r\n@attribute a numeric\n@data\nabc\n", "line 4: 'abc' is not a number");
        assertFormatError("@relation r\n@attribute a numeric\n@data\n{0 1}\n", "line 4: sparse");
        assertFormatError("@relation r\n@attribute d date\n@data\n", "line 2: attribute 'd' has type 'date'");
        assertFormatError("@relation r\n@attribute a {x, y\n@data\n", "line 2: value list of 'a' is not closed");
        assertFormatError("@relation r\n@attribute a {x}\n@data\n'x\n", "line 4: unterminated quote");
        assertFormatError("@relation r\n@attribute a numeric\n", "line 2: no @data section");
    }

    private static void assertFormatError(String arff, String expected) {
        var e = assertThrows(ArffReader.ArffFormatException.class, () -> ArffReader.read(new StringReader(arff)));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
