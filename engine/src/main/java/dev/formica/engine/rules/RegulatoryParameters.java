package dev.formica.engine.rules;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The regulatory parameter file: named, versioned, effective-dated limits keyed by licence type, each number
 * with its source. A decision uses the newest version whose effective date has come, and records its name.
 * docs/rules.md describes the format; {@code regulatory/cn-microlending.yaml} on the class path is the
 * default file.
 *
 * <p>Thread contract: immutable after {@link #parse}.
 */
public final class RegulatoryParameters {
    /** The default file shipped with the engine. */
    public static final String BUILTIN = "regulatory/cn-microlending.yaml";

    /** Licence types the parameters are keyed by. */
    public static final List<String> LICENCES = List.of("ONLINE_MICROLOAN", "MICROLOAN", "BANK", "LPBBTI");

    /** Parameter names a licence section may set. */
    static final List<String> KEYS = List.of("consumer_balance_cap_minor", "business_balance_cap_minor",
            "income_ratio_cap_bps", "min_own_share_bps", "leverage_x", "single_borrower_net_assets_bps",
            "all_in_rate_cap_bps", "related_party_net_assets_bps", "registered_capital_minor",
            "cross_province_min_capital_minor", "registered_region", "lending_regions");

    /** A region code: ISO 3166-1 alpha-2 country ("CN": every region of it) or ISO 3166-2 ("CN-33"). */
    private static final java.util.regex.Pattern REGION = java.util.regex.Pattern.compile("[A-Z]{2}(-[A-Z0-9]{1,3})?");

    /** Product names as the API spells them, indexed by product number ({@link LoanProduct#NAMES}). */
    private static final List<String> PRODUCTS = LoanProduct.NAMES;

    /**
     * The limits of one licence in one version; -1 where the version sets none.
     *
     * @param effectiveFromMs the version's {@code effective_from}, epoch ms (midnight in {@code zone})
     * @param allInRateCapBpsByProduct the cap on the annualised, fee-inclusive rate of a loan
     *        ({@code InstallmentPlan.annualised_rate_bps}) by product number 0..3; -1 = none
     * @param zone the zone the file's dates are read in: UTC, or the market's ({@link #load(Path, ZoneId)})
     */
    public record Limits(String version, long effectiveFromMs, long consumerBalanceCapMinor,
            long businessBalanceCapMinor, long incomeRatioCapBps, long minOwnShareBps, long leverageX,
            long singleBorrowerNetAssetsBps, long[] allInRateCapBpsByProduct, Map<String, String> sources,
            long relatedPartyNetAssetsBps, Regions regions, java.time.ZoneId zone) {
        /** Whether the licence may lend to a borrower in {@code region} (see {@link Regions#lendsIn}). */
        public boolean lendsIn(CharSequence region) {
            return regions.lendsIn(region);
        }

        /** The all-in (annualised, fee-inclusive) rate cap of a product number, basis points; -1 = none. */
        public long allInRateCapBps(int product) {
            return product < 0 || product >= allInRateCapBpsByProduct.length ? -1 : allInRateCapBpsByProduct[product];
        }

        /** {@code effective_from} as an ISO date (YYYY-MM-DD). */
        public String effectiveFrom() {
            return java.time.Instant.ofEpochMilli(effectiveFromMs).atZone(zone).toLocalDate().toString();
        }

        /** The source text of a parameter (a key of the file), or "" when it has none. */
        public String source(String key) {
            return sources.getOrDefault(key, "");
        }
    }

    /**
     * Where a licence may lend (issue 20, deliverable 3): its registered region, every region of that country when
     * its registered capital meets the cross-province minimum (REGULATION.md: online microloan companies lend across
     * provinces only with registered capital of at least 5 billion CNY paid in cash, 2020 draft), and the regions
     * listed in {@code lending_regions} (a country code covers every region of it: a bank's national licence, or a
     * province approved besides the registered one). A version that sets none of these has no region rule.
     *
     * @param registeredRegion       ISO 3166-2 code, or null
     * @param registeredCapitalMinor paid-in registered capital, minor units; -1 = not given
     * @param crossProvinceMinMinor  the capital a cross-province licence needs, minor units; -1 = no such rule
     * @param lendingRegions         further regions or countries, upper case; empty = none
     */
    public record Regions(String registeredRegion, long registeredCapitalMinor, long crossProvinceMinMinor,
            String[] lendingRegions) {
        static final Regions NONE = new Regions(null, -1, -1, new String[0]);

        /** Whether any region rule is set. */
        public boolean restricted() {
            return registeredRegion != null || lendingRegions.length > 0;
        }

        /** Whether the registered capital qualifies for lending across provinces (every region of its country). */
        public boolean crossProvince() {
            return registeredRegion != null && crossProvinceMinMinor >= 0 && registeredCapitalMinor >= 0
                    && registeredCapitalMinor >= crossProvinceMinMinor;
        }

        /**
         * Whether the licence may lend to a borrower in {@code region} (an ISO 3166-2 code such as "CN-31"; case is
         * ignored). An unknown (empty) region passes only where the licence lends in a whole country, since the
         * borrower cannot be placed in or out of a province. Allocation-free.
         */
        public boolean lendsIn(CharSequence region) {
            if (!restricted()) {
                return true;
            }
            boolean wholeCountry = crossProvince();
            if (registeredRegion != null && (wholeCountry ? inCountry(region, registeredRegion)
                    : same(region, registeredRegion))) {
                return true;
            }
            for (String allowed : lendingRegions) {
                boolean country = allowed.length() == 2;
                wholeCountry |= country;
                if (country ? inCountry(region, allowed) : same(region, allowed)) {
                    return true;
                }
            }
            return region.length() == 0 && wholeCountry;
        }

        /** The regions as a reason's value shows them, e.g. "CN-33" or "CN (cross-province)". */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            if (registeredRegion != null) {
                sb.append(crossProvince() ? registeredRegion.substring(0, 2) + " (cross-province)"
                        : registeredRegion);
            }
            for (String r : lendingRegions) {
                sb.append(sb.length() > 0 ? " " : "").append(r);
            }
            return sb.toString();
        }

        private static boolean same(CharSequence region, String code) {
            if (region.length() != code.length()) {
                return false;
            }
            for (int i = 0; i < code.length(); i++) {
                if (Character.toUpperCase(region.charAt(i)) != code.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        /** "CN" or "CN-xx" against the country of {@code code} ("CN" or "CN-33"). */
        private static boolean inCountry(CharSequence region, String code) {
            int n = region.length();
            if (n != 2 && (n < 4 || region.charAt(2) != '-')) {
                return false;
            }
            return Character.toUpperCase(region.charAt(0)) == code.charAt(0)
                    && Character.toUpperCase(region.charAt(1)) == code.charAt(1);
        }
    }

    /** One effective-dated version. */
    record Version(String name, long effectiveFromMs, Map<String, Limits> byLicence) {
    }

    private final String name;
    private final List<Version> versions;

    private RegulatoryParameters(String name, List<Version> versions) {
        this.name = name;
        this.versions = versions;
    }

    public String name() {
        return name;
    }

    public List<String> versionNames() {
        return versions.stream().map(Version::name).toList();
    }

    /**
     * How far before the engine's clock a request's {@code event_time_ms} may lie and still choose the regulatory
     * version (24 h): a transaction made before midnight and decided after it is judged by the rules of its own
     * time, while a request back-dated further cannot pick an older, looser version than the one in force now.
     */
    public static final long EVENT_TIME_PAST_TOLERANCE_MS = 24L * 60 * 60 * 1000;
    /** How far after the engine's clock an event time may lie (caller clock skew): 5 minutes. */
    public static final long EVENT_TIME_FUTURE_TOLERANCE_MS = 5L * 60 * 1000;

    /**
     * The time a decision's regulation is looked up at: the request's event time when it gives one (non-zero)
     * within {@link #EVENT_TIME_PAST_TOLERANCE_MS} before and {@link #EVENT_TIME_FUTURE_TOLERANCE_MS} after the
     * engine's clock, else the engine's clock. Allocation-free; any thread.
     */
    public static long decisionTime(long eventTimeMs, long nowMs) {
        if (eventTimeMs <= 0 || eventTimeMs < nowMs - EVENT_TIME_PAST_TOLERANCE_MS
                || eventTimeMs > nowMs + EVENT_TIME_FUTURE_TOLERANCE_MS) {
            return nowMs;
        }
        return eventTimeMs;
    }

    /** The limits of {@code licence} in force at {@code nowMs}; null when no version is in force yet. */
    public Limits at(long nowMs, String licence) {
        Limits found = null;
        // by index: a for-each would make an iterator on every decision
        for (int i = 0, n = versions.size(); i < n; i++) {
            Version v = versions.get(i);
            if (v.effectiveFromMs() <= nowMs && v.byLicence().containsKey(licence)) {
                found = v.byLicence().get(licence);
            }
        }
        return found;
    }

    /**
     * The limits of {@code licence} in every version that comes into force after {@code nowMs}, oldest first:
     * what a rule set will meet at those dates (warnings at load, the schedule the engine switches to).
     */
    public List<Limits> after(long nowMs, String licence) {
        List<Limits> later = new ArrayList<>();
        for (Version v : versions) {
            if (v.effectiveFromMs() > nowMs && v.byLicence().containsKey(licence)) {
                later.add(v.byLicence().get(licence));
            }
        }
        return later;
    }

    public boolean hasLicence(String licence) {
        return versions.stream().anyMatch(v -> v.byLicence().containsKey(licence));
    }

    /** Loads the built-in file. */
    public static RegulatoryParameters builtin() {
        return resource(BUILTIN, ZoneOffset.UTC);
    }

    /** Loads a file shipped on the class path (e.g. {@code regulatory/id-lpbbti.yaml}), dates read in {@code zone}. */
    public static RegulatoryParameters resource(String name, ZoneId zone) {
        try (InputStream in = RegulatoryParameters.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException(name + " missing from the class path");
            }
            return parseOrThrow(new String(in.readAllBytes(), StandardCharsets.UTF_8), name, zone);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name, e);
        }
    }

    /** Loads a file; {@link IllegalArgumentException} listing every problem with line and column. */
    public static RegulatoryParameters load(Path file) throws IOException {
        return load(file, ZoneOffset.UTC);
    }

    /**
     * As {@link #load(Path)}, reading each {@code effective_from} as midnight in {@code zone} (a market's time zone:
     * a version comes into force when the day begins where the market is).
     */
    public static RegulatoryParameters load(Path file, ZoneId zone) throws IOException {
        return parseOrThrow(Files.readString(file), file.toString(), zone);
    }

    static RegulatoryParameters parseOrThrow(String text, String where) {
        return parseOrThrow(text, where, ZoneOffset.UTC);
    }

    static RegulatoryParameters parseOrThrow(String text, String where, ZoneId zone) {
        List<RuleProblem> problems = new ArrayList<>();
        RegulatoryParameters p = parse(text, problems, zone);
        if (p == null) {
            StringBuilder sb = new StringBuilder(where).append(": invalid regulatory parameter file");
            problems.forEach(pr -> sb.append("\n  ").append(pr));
            throw new IllegalArgumentException(sb.toString());
        }
        return p;
    }

    /** Parses the file, dates in UTC; null with {@code problems} filled when it is invalid. */
    public static RegulatoryParameters parse(String text, List<RuleProblem> problems) {
        return parse(text, problems, ZoneOffset.UTC);
    }

    /** As {@link #parse(String, List)}, each {@code effective_from} midnight in {@code zone}. */
    public static RegulatoryParameters parse(String text, List<RuleProblem> problems, ZoneId zone) {
        YamlNodes y = new YamlNodes();
        MappingNode root = y.root(text);
        List<Version> versions = new ArrayList<>();
        String name = null;
        if (root != null) {
            Map<String, Node> top = y.entries(root, "regulatory file", "name", "description", "versions");
            name = y.requiredString(top, "name", root, "regulatory file");
            for (Node vn : y.list(top.get("versions"), "versions")) {
                Version v = version(y, vn, zone);
                if (v != null) {
                    if (versions.stream().anyMatch(o -> o.name().equals(v.name()))) {
                        y.problem(vn, "versions: '" + v.name() + "' appears twice");
                    }
                    versions.add(v);
                }
            }
            if (versions.isEmpty()) {
                y.problem(root, "versions: at least one version is required");
            }
        }
        problems.addAll(y.problems());
        if (!problems.isEmpty()) {
            return null;
        }
        versions.sort(Comparator.comparingLong(Version::effectiveFromMs));
        return new RegulatoryParameters(name, List.copyOf(versions));
    }

    private static Version version(YamlNodes y, Node vn, ZoneId zone) {
        Map<String, Node> e = y.entries(vn, "version", "version", "effective_from", "licences", "note");
        String vname = y.requiredString(e, "version", vn, "version");
        String from = y.requiredString(e, "effective_from", vn, "version");
        long fromMs = 0;
        if (from != null) {
            try {
                fromMs = LocalDate.parse(from).atStartOfDay(zone).toInstant().toEpochMilli();
            } catch (DateTimeParseException ex) {
                y.problem(e.get("effective_from"), "effective_from: '" + from + "' is not a date (YYYY-MM-DD)");
            }
        }
        Map<String, Limits> byLicence = new HashMap<>();
        Map<String, Node> licences = y.entries(e.get("licences"), "licences");
        for (Map.Entry<String, Node> l : licences.entrySet()) {
            if (!LICENCES.contains(l.getKey())) {
                y.problem(y.keys(e.get("licences")).get(l.getKey()), "licences: unknown licence type '" + l.getKey()
                        + "' (" + String.join(", ", LICENCES) + ")");
                continue;
            }
            byLicence.put(l.getKey(), limits(y, vname, fromMs, l.getKey(), l.getValue(), zone));
        }
        return vname == null ? null : new Version(vname, fromMs, Map.copyOf(byLicence));
    }

    private static Limits limits(YamlNodes y, String version, long fromMs, String licence, Node node, ZoneId zone) {
        Map<String, Node> params = y.entries(node, licence, KEYS.toArray(new String[0]));
        long[] values = new long[KEYS.size()];
        java.util.Arrays.fill(values, -1);
        long[] allIn = new long[PRODUCTS.size()];
        java.util.Arrays.fill(allIn, -1);
        Map<String, String> sources = new HashMap<>();
        String[] registered = {null};
        List<String> lending = new ArrayList<>();
        for (Map.Entry<String, Node> p : params.entrySet()) {
            Map<String, Node> v = y.entries(p.getValue(), licence + "." + p.getKey(), "value", "source");
            Node valueNode = v.get("value");
            String source = y.requiredString(v, "source", p.getValue(), licence + "." + p.getKey());
            if (valueNode == null) {
                y.problem(p.getValue(), licence + "." + p.getKey() + ": 'value' is required");
                continue;
            }
            if ("all_in_rate_cap_bps".equals(p.getKey())) {
                allInCap(y, licence, valueNode, allIn);
                if (source != null) {
                    sources.put(p.getKey(), source);
                }
                continue;
            }
            if ("registered_region".equals(p.getKey())) {
                String region = y.string(valueNode, licence + ".registered_region.value");
                if (region != null && !REGION.matcher(region).matches() || region != null && region.length() == 2) {
                    y.problem(valueNode, licence + ".registered_region.value: '" + region + "' is not an ISO 3166-2"
                            + " region code such as CN-33");
                } else {
                    registered[0] = region;
                }
                if (source != null) {
                    sources.put(p.getKey(), source);
                }
                continue;
            }
            if ("lending_regions".equals(p.getKey())) {
                for (Node r : y.list(valueNode, licence + ".lending_regions.value")) {
                    String region = y.string(r, licence + ".lending_regions.value");
                    if (region != null && !REGION.matcher(region).matches()) {
                        y.problem(r, licence + ".lending_regions.value: '" + region + "' is not a country (CN) or"
                                + " region (CN-33) code");
                    } else if (region != null) {
                        lending.add(region);
                    }
                }
                if (source != null) {
                    sources.put(p.getKey(), source);
                }
                continue;
            }
            Long value = y.integer(valueNode, licence + "." + p.getKey() + ".value", 0, Long.MAX_VALUE / 4);
            if (value != null) {
                values[KEYS.indexOf(p.getKey())] = value;
            }
            if (source != null) {
                sources.put(p.getKey(), source);
            }
        }
        Regions regions = registered[0] == null && lending.isEmpty() ? Regions.NONE
                : new Regions(registered[0], values[KEYS.indexOf("registered_capital_minor")],
                        values[KEYS.indexOf("cross_province_min_capital_minor")], lending.toArray(new String[0]));
        if (registered[0] == null && values[KEYS.indexOf("cross_province_min_capital_minor")] >= 0) {
            y.problem(node, licence + ": cross_province_min_capital_minor needs registered_region (and"
                    + " registered_capital_minor)");
        }
        return new Limits(version, fromMs, values[0], values[1], values[2], values[3], values[4], values[5], allIn,
                Map.copyOf(sources), values[KEYS.indexOf("related_party_net_assets_bps")], regions, zone);
    }

    /**
     * {@code all_in_rate_cap_bps.value}: one number for every product, or a map of product name to number (a
     * product not listed has no cap in this version). Basis points of the annualised rate, 0..100,000.
     */
    private static void allInCap(YamlNodes y, String licence, Node valueNode, long[] allIn) {
        String what = licence + ".all_in_rate_cap_bps.value";
        if (valueNode instanceof MappingNode) {
            Map<String, Node> keys = y.keys(valueNode);
            for (Map.Entry<String, Node> e : y.entries(valueNode, what).entrySet()) {
                int product = PRODUCTS.indexOf(e.getKey());
                if (product <= 0) {
                    y.problem(keys.get(e.getKey()), what + ": unknown product '" + e.getKey() + "' ("
                            + String.join(", ", PRODUCTS.subList(1, PRODUCTS.size())) + ")");
                    continue;
                }
                Long v = y.integer(e.getValue(), what + "." + e.getKey(), 0, 100_000);
                if (v != null) {
                    allIn[product] = v;
                }
            }
            return;
        }
        Long v = y.integer(valueNode, what, 0, 100_000);
        if (v != null) {
            java.util.Arrays.fill(allIn, 1, allIn.length, v);
        }
    }
}
