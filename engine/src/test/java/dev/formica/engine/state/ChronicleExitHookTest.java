package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On SIGTERM the JVM runs its shutdown hooks at once, and Chronicle Map registers one that closes every map. It
 * used to close the server's maps while the server's own hook was still draining calls and the shard loops were
 * still expiring holds ({@code shard agent error ... ChronicleHashClosedException} at every stop of a loaded
 * server). The server owns its maps' lifetime: after Chronicle's hooks have run, every map still answers. A child
 * JVM, because Chronicle's hook, once run, refuses every map created after it in that JVM.
 */
class ChronicleExitHookTest {
    @TempDir
    Path dir;

    @Test
    void shouldLeaveTheServersMapsToTheServerAtExit() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ExitHookProbe.class.getName(),
                dir.toString()));
        Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, probe.exitValue(), out);
        assertTrue(out.contains(ExitHookProbe.OPEN), out);
    }
}
