package dev.formica.engine.stress;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A stress scenario: the shocks applied to a portfolio's decisions. Factors and ratios are exact decimals
 * ({@code risk_appetite: 0.7}, {@code lgd: 0.45}); cuts and drops are basis points of the unshocked value.
 *
 * <pre>
 *   name: downturn
 *   description: ...
 *   risk_appetite: 0.7          # multiplies each product's risk-appetite factor (1 = unchanged)
 *   pd_multiplier: 1.5          # PD x 1.5: the scorecard's base odds divided by 1.5
 *   partner_quota_cut_bps: 3000 # partners' total and daily quotas cut by 30 %
 *   income_drop_bps: 1000       # every declared income 10 % lower (income caps bind earlier)
 *   lgd: 0.45                   # loss given default, a ratio of the exposure
 * </pre>
 *
 * <p>Thread contract: immutable.
 */
public record Scenario(String name, String description, BigDecimal riskAppetite, BigDecimal pdMultiplier,
        int partnerQuotaCutBps, int incomeDropBps, BigDecimal lgd) {
    private static final Set<String> KEYS = Set.of("name", "description", "risk_appetite", "pd_multiplier",
            "partner_quota_cut_bps", "income_drop_bps", "lgd");
    public static final BigDecimal DEFAULT_LGD = new BigDecimal("0.45");

    public Scenario {
        require(riskAppetite.signum() > 0 && riskAppetite.compareTo(BigDecimal.valueOf(2)) <= 0,
                "risk_appetite: must be > 0 and <= 2, was " + riskAppetite);
        require(pdMultiplier.signum() > 0 && pdMultiplier.compareTo(BigDecimal.valueOf(100)) <= 0,
                "pd_multiplier: must be > 0 and <= 100, was " + pdMultiplier);
        require(partnerQuotaCutBps >= 0 && partnerQuotaCutBps <= 10_000,
                "partner_quota_cut_bps: must be 0..10000, was " + partnerQuotaCutBps);
        require(incomeDropBps >= 0 && incomeDropBps <= 10_000, "income_drop_bps: must be 0..10000, was "
                + incomeDropBps);
        require(lgd.signum() >= 0 && lgd.compareTo(BigDecimal.ONE) <= 0, "lgd: must be 0..1, was " + lgd);
    }

    /** No shock: what the portfolio does under today's policy. */
    public static Scenario unshocked() {
        return new Scenario("unshocked", "no shock", BigDecimal.ONE, BigDecimal.ONE, 0, 0, DEFAULT_LGD);
    }

    /** The risk-appetite factor in basis points (0.7 → 7000). */
    public int riskAppetiteBps() {
        return riskAppetite.movePointRight(4).intValue();
    }

    /** Reads a scenario file; unknown keys and out-of-range values fail naming the key. */
    public static Scenario load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Reads a scenario shipped on the class path ({@code scenarios/NAME.yaml}). */
    public static Scenario builtin(String name) {
        try (InputStream in = Scenario.class.getClassLoader().getResourceAsStream("scenarios/" + name + ".yaml")) {
            if (in == null) {
                throw new IllegalArgumentException("no shipped scenario '" + name + "'");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "scenarios/" + name + ".yaml");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Scenario parse(String text, String source) {
        Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        if (!(loaded instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(source + ": expected a mapping of scenario keys");
        }
        for (Object key : map.keySet()) {
            if (!KEYS.contains(String.valueOf(key))) {
                throw new IllegalArgumentException(source + ": unknown key '" + key + "' (known: " + KEYS + ")");
            }
        }
        try {
            Object name = map.get("name");
            Object description = map.get("description");
            return new Scenario(name == null ? "scenario" : String.valueOf(name),
                    description == null ? "" : String.valueOf(description),
                    decimal(map.get("risk_appetite"), BigDecimal.ONE),
                    decimal(map.get("pd_multiplier"), BigDecimal.ONE),
                    decimal(map.get("partner_quota_cut_bps"), BigDecimal.ZERO).intValueExact(),
                    decimal(map.get("income_drop_bps"), BigDecimal.ZERO).intValueExact(),
                    decimal(map.get("lgd"), DEFAULT_LGD));
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static BigDecimal decimal(Object value, BigDecimal fallback) {
        // Through the text: 0.7 stays exactly 0.7, not the nearest double.
        return value == null ? fallback : new BigDecimal(String.valueOf(value));
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
