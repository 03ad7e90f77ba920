package dev.formica.engine.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Currency;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * One entry of the {@code markets} setting: a market the server lends in (docs/configuration.md, docs/regulation.md).
 *
 * @param code       the market's code as requests and profiles name it: 2..8 upper-case letters (e.g. {@code CN},
 *                   {@code ID})
 * @param currency   the ISO 4217 currency of its lines (e.g. {@code IDR})
 * @param timeZone   its time zone (hour of day, month and season features; regulatory effective dates)
 * @param regulatory its regulatory parameter file: a path, or {@code classpath:NAME} for one shipped with the engine;
 *                   null = the shipped CN file ({@code regulatory/cn-microlending.yaml})
 * @param rules      its rule set and product catalogue, activated at start-up like {@code rulesFile}: a path or
 *                   {@code classpath:NAME}; null = the shipped default rule set
 */
public record MarketSetting(String code, String currency, String timeZone, String regulatory, String rules) {
    /** The prefix of a location on the class path. */
    public static final String CLASSPATH = "classpath:";
    private static final List<String> KEYS = List.of("code", "currency", "timeZone", "regulatory", "rules");

    /** The entry as one YAML flow mapping, as {@code config show} prints it. */
    @Override
    public String toString() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("code", code);
        m.put("currency", currency);
        m.put("timeZone", timeZone);
        if (regulatory != null) {
            m.put("regulatory", regulatory);
        }
        if (rules != null) {
            m.put("rules", rules);
        }
        return m.toString().replace('=', ':');
    }

    /** The zone as an id. */
    public ZoneId zone() {
        return ZoneId.of(timeZone);
    }

    /**
     * Parses the setting's value: the YAML list of a configuration file, or the same as YAML text (an environment
     * variable or a flag: {@code [{code: CN, currency: CNY, timeZone: Asia/Shanghai}, {code: ID, ...}]}).
     *
     * @throws IllegalArgumentException naming the entry and the key
     */
    public static List<MarketSetting> parse(Object value) {
        Object loaded = value instanceof String text ? new Yaml(new SafeConstructor(new LoaderOptions())).load(text)
                : value;
        if (!(loaded instanceof List<?> list)) {
            throw new IllegalArgumentException("markets: expected a list of {code, currency, timeZone, regulatory,"
                    + " rules} entries");
        }
        List<MarketSetting> markets = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("markets[" + markets.size() + "]: expected a mapping, was " + item);
            }
            for (Object key : map.keySet()) {
                if (!KEYS.contains(String.valueOf(key))) {
                    throw new IllegalArgumentException("markets[" + markets.size() + "]: unknown key '" + key
                            + "' (" + String.join(", ", KEYS) + ")");
                }
            }
            markets.add(new MarketSetting(text(map, "code"), text(map, "currency"), text(map, "timeZone"),
                    text(map, "regulatory"), text(map, "rules")));
        }
        return List.copyOf(markets);
    }

    private static String text(Map<?, ?> map, String key) {
        Object v = map.get(key);
        return v == null ? null : String.valueOf(v);
    }

    /**
     * Checks every entry: a code of 2..8 upper-case letters, unique; an ISO 4217 currency; a time-zone id; files
     * that exist. Returns the problem, or null.
     */
    public static String problem(List<MarketSetting> markets) {
        Set<String> codes = new HashSet<>();
        for (int i = 0; i < markets.size(); i++) {
            MarketSetting m = markets.get(i);
            String where = "markets[" + i + "]";
            if (m.code() == null || !m.code().matches("[A-Z]{2,8}")) {
                return where + ".code must be 2..8 upper-case letters (e.g. CN, ID), was " + m.code();
            }
            where = "markets." + m.code();
            if (!codes.add(m.code())) {
                return where + " is listed twice";
            }
            if (m.currency() == null || !m.currency().matches("[A-Z]{3}") || !isCurrency(m.currency())) {
                return where + ".currency must be an ISO 4217 code like CNY or IDR, was " + m.currency();
            }
            try {
                if (m.timeZone() == null) {
                    return where + ".timeZone is required (e.g. Asia/Jakarta)";
                }
                ZoneId.of(m.timeZone());
            } catch (DateTimeException e) {
                return where + ".timeZone '" + m.timeZone() + "' is not a time zone id (e.g. Asia/Jakarta)";
            }
            for (String file : new String[] {m.regulatory(), m.rules()}) {
                if (file != null && !file.startsWith(CLASSPATH) && !Files.isRegularFile(Path.of(file))) {
                    return where + ": file " + file + " does not exist";
                }
            }
        }
        return null;
    }

    private static boolean isCurrency(String code) {
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
