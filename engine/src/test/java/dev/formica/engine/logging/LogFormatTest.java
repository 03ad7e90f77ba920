package dev.formica.engine.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@code logback.xml} as shipped: each event is written once, to stderr, as one JSON object per line or
 * as a text line, by the active {@link LogFormat}; java.util.logging (gRPC's) comes out the same way.
 */
class LogFormatTest {
    private static final Logger LOG = LoggerFactory.getLogger(LogFormatTest.class);

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream err;
    private LogFormat before;

    @BeforeEach
    void captureStderr() {
        before = LogFormat.active();
        err = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(err);
        LogFormat.use(before);
    }

    private List<String> lines() {
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void autoIsTextOnATerminalAndJsonOtherwise() {
        assertEquals(LogFormat.TEXT, LogFormat.resolve(LogFormat.AUTO, true));
        assertEquals(LogFormat.JSON, LogFormat.resolve(LogFormat.AUTO, false));
        assertEquals(LogFormat.JSON, LogFormat.resolve(LogFormat.JSON, true));
        assertEquals(LogFormat.TEXT, LogFormat.resolve(LogFormat.TEXT, false));
        assertEquals(LogFormat.JSON, LogFormat.parse(" Json "));
        assertThrows(IllegalArgumentException.class, () -> LogFormat.parse("xml"));
        // surefire's stdout is a pipe, not a terminal
        assertFalse(LogFormat.terminal());
        LogFormat.use(LogFormat.AUTO);
        assertEquals(LogFormat.JSON, LogFormat.active());
    }

    @Test
    void jsonWritesOneObjectPerLineWithTheStandardFields() {
        LogFormat.use(LogFormat.JSON);
        LOG.warn("shard {} cut a torn tail", 3, new IllegalStateException("disk"));
        List<String> lines = lines();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("{")).count(), String.join("\n", lines));
        JsonObject line = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertEquals("shard 3 cut a torn tail", line.get("message").getAsString());
        assertEquals("WARN", line.get("level").getAsString());
        assertEquals(LogFormatTest.class.getName(), line.get("logger_name").getAsString());
        assertEquals(Thread.currentThread().getName(), line.get("thread_name").getAsString());
        assertEquals("formica", line.get("service").getAsString());
        assertTrue(line.get("@timestamp").getAsString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z"),
                line.toString());
        assertTrue(line.get("stack_trace").getAsString().contains("IllegalStateException: disk"), line.toString());
        assertFalse(line.has("HOSTNAME"), "no context properties: " + line);
    }

    @Test
    void textWritesOneReadableLine() {
        LogFormat.use(LogFormat.TEXT);
        LOG.info("formica stopped");
        List<String> lines = lines();
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  "
                + "dev\\.formica\\.engine\\.logging\\.LogFormatTest - formica stopped"), lines.get(0));
    }

    @Test
    void javaUtilLoggingComesOutInTheSameFormat() {
        LogFormat.bridgeJavaUtilLogging();
        LogFormat.use(LogFormat.JSON);
        java.util.logging.Logger.getLogger("io.grpc.FormicaBridgeCheck").warning("channel closed");
        java.util.logging.Logger.getLogger("io.grpc.FormicaBridgeCheck").fine("below the level: not written");
        List<String> lines = lines();
        assertEquals(1, lines.size(), String.join("\n", lines));
        JsonObject line = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertEquals("channel closed", line.get("message").getAsString());
        assertEquals("io.grpc.FormicaBridgeCheck", line.get("logger_name").getAsString());
    }
}
