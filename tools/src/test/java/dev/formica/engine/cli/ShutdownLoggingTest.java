package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.formica.engine.server.EngineServer;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 5: {@code formica serve} in a child JVM gets SIGTERM and its last log line, "formica stopped",
 * written after the drain by the shutdown hook, must reach its output. The JDK's own logging shutdown hook used to
 * close the handlers first, so the lines of the drain were lost; now Logback is stopped by serve's own hook, last.
 */
class ShutdownLoggingTest {
    @TempDir
    Path dir;

    @Test
    void shouldLogTheLastLinesAfterSigterm() throws Exception {
        try (ServeProcess serve = ServeProcess.start(120, "--port=0", "--shards=1",
                "--data-dir=" + dir.resolve("data"))) {
            int exit = serve.terminate(60);
            String out = serve.output();
            // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks and exited on the signal
            assertEquals(143, exit, out);
            assertTrue(out.contains("formica listening on"), out);
            assertTrue(out.contains("formica stopped"), "the last log line after SIGTERM:\n" + out);
            // the output is a pipe, so the lines are JSON: the last one arrives whole, flushed before Logback stops
            String stopped = out.lines().filter(l -> l.contains("formica stopped")).findFirst().orElseThrow();
            JsonObject line = JsonParser.parseString(stopped).getAsJsonObject();
            assertEquals("formica stopped", line.get("message").getAsString(), stopped);
            assertEquals(EngineServer.class.getName(), line.get("logger_name").getAsString(), stopped);
            // a clean stop writes every window's frames to the segments and removes the windows from /dev/shm
            Properties layout = new Properties();
            try (Reader in = Files.newBufferedReader(dir.resolve("data").resolve("formica.properties"))) {
                layout.load(in);
            }
            Path windows = Path.of("/dev/shm", "formica-" + layout.getProperty("id"));
            assertFalse(Files.exists(windows), windows + " left after a clean stop:\n" + out);
        }
    }
}
