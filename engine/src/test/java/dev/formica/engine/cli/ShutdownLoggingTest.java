package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, finding 5: {@code formica serve} in a child JVM gets SIGTERM ({@link ProcessHandle#destroy()}) and
 * its last log line, "formica stopped", written after the drain by the shutdown hook, must reach its output. The JDK's
 * own logging shutdown hook used to close the handlers first, so the lines of the drain were lost.
 */
class ShutdownLoggingTest {
    @TempDir
    Path dir;

    @Test
    void shouldLogTheLastLinesAfterSigterm() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.formica.engine.Formica", "serve",
                "--port=0", "--shards=1", "--data-dir=" + dir.resolve("data")));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch serving = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    output.add(line);
                    if (line.contains("formica serving on")) {
                        serving.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the stream closes with the process
            } finally {
                serving.countDown();
                ended.countDown();
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        try {
            assertTrue(serving.await(120, TimeUnit.SECONDS), "the child did not start: " + output);
            assertTrue(process.isAlive(), "the child died: " + output);
            // SIGTERM; not Process.destroy(), which also closes our end of the child's output
            assertTrue(process.toHandle().destroy(), "SIGTERM not sent");
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child did not stop on SIGTERM: " + output);
            assertTrue(ended.await(30, TimeUnit.SECONDS), "the child's output did not end");
        } finally {
            process.destroyForcibly();
        }
        List<String> lines;
        synchronized (output) {
            lines = List.copyOf(output);
        }
        // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks and exited on the signal
        assertEquals(143, process.exitValue(), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("formica listening on")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("formica stopped")),
                "the last log line after SIGTERM:\n" + String.join("\n", lines));
    }
}
