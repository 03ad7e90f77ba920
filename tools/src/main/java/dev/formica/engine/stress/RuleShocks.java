package dev.formica.engine.stress;

import dev.formica.engine.rules.DefaultRuleSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Applies a scenario's rule-set shocks to a rule set's YAML: the scorecard's base odds divided by the PD
 * multiplier (PD = 1 / (1 + odds · 2^((score − base) / pdo)), so PD scales by the multiplier where PD is small,
 * and never above 1), partner quotas cut, and a new version name. The result is compiled like any rule set.
 *
 * <p>Thread contract: stateless, any thread.
 */
public final class RuleShocks {
    private RuleShocks() {
    }

    /** The rule set with the scenario's shocks, versioned {@code <version>-<scenario>}. */
    @SuppressWarnings("unchecked")
    public static String apply(String rulesYaml, Scenario s) {
        Map<String, Object> root = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(rulesYaml);
        String version = root.get("version") + "-" + s.name().replaceAll("[^A-Za-z0-9._-]", "_");
        root.put("version", version.length() > 64 ? version.substring(0, 64) : version);
        Map<String, Object> card = (Map<String, Object>) root.get("scorecard");
        if (card != null && s.pdMultiplier().compareTo(BigDecimal.ONE) != 0) {
            BigDecimal odds = new BigDecimal(String.valueOf(card.getOrDefault("base_odds", 50)));
            card.put("base_odds", odds.divide(s.pdMultiplier(), MathContext.DECIMAL64).doubleValue());
        }
        Map<String, Object> funding = (Map<String, Object>) root.get("funding");
        if (funding != null && s.partnerQuotaCutBps() > 0 && funding.get("funders") instanceof List<?> funders) {
            for (Object f : funders) {
                Map<String, Object> funder = (Map<String, Object>) f;
                cut(funder, "total_quota_minor", s.partnerQuotaCutBps());
                cut(funder, "daily_quota_minor", s.partnerQuotaCutBps());
            }
        }
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(200);
        return new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options).dump(root);
    }

    private static void cut(Map<String, Object> funder, String key, int cutBps) {
        Object v = funder.get(key);
        if (v != null) {
            long quota = Long.parseLong(String.valueOf(v));
            // Split so quota × (10000 − cut) cannot overflow for quotas near Long.MAX_VALUE / 16.
            funder.put(key, quota / 10_000 * (10_000 - cutBps)
                    + quota % 10_000 * (10_000 - cutBps) / 10_000);
        }
    }

    /** The YAML of the rule set active in a data directory, or the shipped default when there is none. */
    public static String activeRules(Path dataDir) {
        if (dataDir == null) {
            return DefaultRuleSet.yaml();
        }
        Path state = dataDir.resolve("rules").resolve("state.properties");
        try {
            if (Files.isRegularFile(state)) {
                Properties p = new Properties();
                try (var in = Files.newBufferedReader(state, StandardCharsets.UTF_8)) {
                    p.load(in);
                }
                Path yaml = dataDir.resolve("rules").resolve(p.getProperty("active", "") + ".yaml");
                if (Files.isRegularFile(yaml)) {
                    return Files.readString(yaml, StandardCharsets.UTF_8);
                }
            }
            return DefaultRuleSet.yaml();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the active rule set of " + dataDir, e);
        }
    }
}
