package dev.formica.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.cli.ServeCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 21, deliverable 5: one precedence order for every setting, flags over {@code FORMICA_*} environment
 * variables over the {@code --config} file over the defaults; the readable block that says where each came from;
 * {@code formica config show}.
 */
class ConfigurationPrecedenceTest {
    @TempDir
    Path dir;

    private EngineConfiguration serve(Map<String, String> environment, String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        serve.environment(environment);
        return serve.configuration();
    }

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("formica.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void shouldTakeFlagsOverEnvironmentOverFileOverDefaults() throws Exception {
        Path f = file("port: 1111\nholdTtl: 20m\nmaxInFlightDecisions: 10\ncurrency: HKD\n");
        EngineConfiguration c = serve(Map.of("FORMICA_PORT", "2222", "FORMICA_HOLD_TTL", "30m",
                "FORMICA_SHED_RETRY_DELAY", "75ms", "PATH", "/usr/bin"),
                "--config", f.toString(), "--port", "3333", "--data-dir", dir.resolve("d").toString());

        assertEquals(3333, c.port());
        assertEquals("flag --port", c.sourceOf("port"));
        assertEquals(Duration.ofMinutes(30), c.holdTtl());
        assertEquals("environment FORMICA_HOLD_TTL", c.sourceOf("holdTtl"));
        assertEquals(Duration.ofMillis(75), c.shedRetryDelay());
        assertEquals(10, c.maxInFlightDecisions());
        assertEquals("file " + f, c.sourceOf("maxInFlightDecisions"));
        assertEquals("HKD", c.currency());
        assertEquals(EngineConfiguration.DEFAULT_QUEUE_CAPACITY, c.queueCapacity());
        assertEquals("default", c.sourceOf("queueCapacity"));
        assertEquals("flag --data-dir", c.sourceOf("dataDir"));
    }

    @Test
    void shouldSplitEnvironmentListsOnSemicolonsBecauseSubjectsHoldCommas() {
        // not concluded: subjects alone would need mutual TLS at start-up
        EngineConfiguration c = new EngineConfiguration().applyEnvironment(Map.of("FORMICA_CLUSTER_NODES",
                "127.0.0.1:50440; 127.0.0.1:50441", "FORMICA_CLUSTER_NODE_ID", "1", "FORMICA_ADMIN_SUBJECTS",
                "CN=ops-admin,O=Example;CN=sre,O=Example"));

        assertEquals(List.of("127.0.0.1:50440", "127.0.0.1:50441"), c.clusterNodes());
        assertEquals(1, c.clusterNodeId());
        assertEquals(List.of("CN=ops-admin,O=Example", "CN=sre,O=Example"), c.adminSubjects());
        assertEquals("environment FORMICA_ADMIN_SUBJECTS", c.sourceOf("adminSubjects"));
    }

    @Test
    void shouldRefuseAFormicaVariableThatIsNoSettingAndABadValueNamingTheVariable() {
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> serve(Map.of("FORMICA_PROT", "1")));
        assertTrue(typo.getMessage().startsWith("environment: FORMICA_PROT is not a setting (settings: "),
                typo.getMessage());
        assertTrue(typo.getMessage().contains("FORMICA_PORT"), typo.getMessage());

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> serve(Map.of("FORMICA_HOLD_TTL", "soon")));
        assertTrue(bad.getMessage().startsWith("FORMICA_HOLD_TTL: setting 'holdTtl' = 'soon'"), bad.getMessage());

        // the launcher's and the admin commands' variables are not settings, and not errors
        EngineConfiguration c = serve(Map.of("FORMICA_JAVA_OPTS", "-Xmx1g", "FORMICA_ADMIN_TOKEN", "t",
                "FORMICA_SERVER_HEAP", "2g"), "--data-dir", dir.resolve("d").toString());
        assertEquals(EngineConfiguration.DEFAULT_PORT, c.port());
    }

    @Test
    void shouldDescribeEverySettingWithItsSourceInOneBlock() {
        EngineConfiguration c = serve(Map.of("FORMICA_SHARDS", "3"), "--port", "50442", "--data-dir",
                dir.resolve("d").toString());

        assertEquals(EngineConfiguration.KEYS, List.copyOf(c.values().keySet()), "every setting is described");
        String block = c.describe();
        assertEquals(EngineConfiguration.KEYS.size() + 1, block.lines().count(), block);
        assertTrue(block.startsWith("configuration (flags > environment FORMICA_* > file > defaults):"), block);
        assertTrue(Pattern.compile("(?m)^  port +50442 +flag --port$").matcher(block).find(), block);
        assertTrue(Pattern.compile("(?m)^  shards +3 +environment FORMICA_SHARDS$").matcher(block).find(), block);
        assertTrue(Pattern.compile("(?m)^  holdTtl +15m +default$").matcher(block).find(), block);
        assertTrue(Pattern.compile("(?m)^  rulesFile +\\(none\\) +default$").matcher(block).find(), block);
    }

    @Test
    void shouldNameEveryEnvironmentVariableAfterItsKey() {
        assertEquals("FORMICA_DATA_DIR", EngineConfiguration.environmentVariable("dataDir"));
        assertEquals("FORMICA_MAX_IN_FLIGHT_DECISIONS",
                EngineConfiguration.environmentVariable("maxInFlightDecisions"));
        assertEquals("FORMICA_TLS_CLIENT_CA", EngineConfiguration.environmentVariable("tlsClientCa"));
    }

    @Test
    void shouldShowTheConfigurationServeWouldRunWithWithoutStartingIt() throws Exception {
        Path f = file("holdTtl: 20m\n");
        Path data = dir.resolve("never-made");
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int shown;
        int refused;
        try {
            shown = Formica.run("config", "show", "--config", f.toString(), "--data-dir", data.toString(),
                    "--max-in-flight-decisions", "8");
            refused = Formica.run("config", "show", "--max-in-flight-decisions", "-1");
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String printed = o.toString(StandardCharsets.UTF_8);
        assertEquals(0, shown, printed + e);
        assertTrue(Pattern.compile("(?m)^  holdTtl +20m +file " + Pattern.quote(f.toString()) + "$").matcher(printed)
                .find(), printed);
        assertTrue(Pattern.compile("(?m)^  maxInFlightDecisions +8 +flag --max-in-flight-decisions$")
                .matcher(printed).find(), printed);
        assertTrue(Files.notExists(data), "config show starts nothing and makes no data directory");
        assertEquals(2, refused, e.toString());
        String errors = e.toString(StandardCharsets.UTF_8);
        assertTrue(errors.startsWith("formica config show: configuration: maxInFlightDecisions must be >= 0"), errors);
    }
}
