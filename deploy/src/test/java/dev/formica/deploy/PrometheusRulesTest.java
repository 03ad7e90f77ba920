package dev.formica.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules ({@code prometheus/formica-alerts.yaml}) through Prometheus' own {@code promtool}: they parse,
 * and their unit tests ({@code formica-alerts.test.yaml}) pass: the p99 alert fires on a fleet p99 above the SLO
 * and not below it, the shedding alert on 5 % shed. promtool comes with Debian's {@code prometheus} package; where
 * it is missing the test is skipped with a message. That every metric the rules name is exported is checked
 * against a live server by the engine's {@code DashboardAndAlertQueriesTest}.
 */
class PrometheusRulesTest {
    private static final Path RULES = Path.of("prometheus", "formica-alerts.yaml");
    private static final Path RULE_TESTS = Path.of("prometheus", "formica-alerts.test.yaml");

    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish in 60 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
        return out;
    }

    @Test
    void shouldPassPromtoolsCheckAndTheRuleUnitTests() throws Exception {
        String promtool = promtool();
        assumeTrue(promtool != null, "promtool not found (Debian package prometheus): the rule tests are skipped");
        String check = run(promtool, "check", "rules", RULES.toString());
        assertTrue(check.contains("SUCCESS"), check);
        String tests = run(promtool, "test", "rules", RULE_TESTS.toString());
        assertTrue(tests.contains("SUCCESS"), tests);
        assertTrue(Files.readString(RULE_TESTS).contains("alertname: FormicaDecideP99AboveSlo"),
                "the p99 alert is tested");
    }
}
