package dev.formica.engine.risk;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleProblem;
import java.util.ArrayList;
import java.util.List;

/** Test regulation: one version, {@code test-v1}, of the ONLINE_MICROLOAN licence with only the limits a test sets. */
final class OneVersion {
    /** After test-v1's effective date (2020-01-01) and the times the tests run decisions at: 2030-01-01. */
    private static final long IN_FORCE_MS = 1_893_456_000_000L;

    private OneVersion() {
    }

    /** The limits of test-v1, effective 2020-01-01, from "key=value" entries (YAML values of the licence). */
    static RegulatoryParameters.Limits limits(String... entries) {
        StringBuilder yaml = new StringBuilder("""
                name: cn-microlending
                versions:
                  - version: test-v1
                    effective_from: 2020-01-01
                    licences:
                      ONLINE_MICROLOAN:
                """);
        for (String entry : entries) {
            String[] kv = entry.split("=");
            yaml.append("        ").append(kv[0]).append(": {value: ").append(kv[1]).append(", source: \"test\"}\n");
        }
        List<RuleProblem> problems = new ArrayList<>();
        RegulatoryParameters p = RegulatoryParameters.parse(yaml.toString(), problems);
        assertTrue(problems.isEmpty(), problems.toString());
        return p.at(IN_FORCE_MS, "ONLINE_MICROLOAN");
    }
}
