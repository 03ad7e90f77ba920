package dev.formica.engine.rules;

import dev.formica.engine.pricing.FeeSpec;
import dev.formica.engine.pricing.InstallmentPlanner;
import dev.formica.engine.pricing.InstallmentSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.agrona.collections.LongHashSet;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads a rule-set YAML file, type-checks every CEL expression against the declared and built-in
 * features, and builds a {@link CompiledRuleSet}. Every problem is reported with its line and column; an
 * unknown variable, a wrong type, an unknown key or a missing section is an error. docs/rules.md is the
 * reference of the format.
 *
 * <p>Thread contract: stateless; {@link #compile} may run on any thread.
 */
public final class RuleSetCompiler {
    /** Product names as the API spells them, indexed by product number. */
    public static final List<String> PRODUCTS = LoanProduct.NAMES;
    static final List<String> GRADES = List.of("", "A", "B", "C", "D", "E");
    /** Risk event types as early-warning rules name them (RiskEventType without its prefix). */
    public static final List<String> EVENT_TYPES = List.of("OVERDUE", "REPAID", "SALES_CHANGE", "BUREAU_HIT",
            "BLOCKLIST_HIT");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
    private static final Pattern CODE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Set<String> RESERVED = Set.of("in", "as", "break", "const", "continue", "else", "for",
            "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
            "true", "false", "null");

    /** The result: a compiled rule set, or the errors; warnings either way. */
    public record Outcome(CompiledRuleSet ruleSet, List<RuleProblem> errors, List<RuleProblem> warnings) {
        public boolean valid() {
            return ruleSet != null;
        }
    }

    private final RegulatoryParameters regulatory;
    private final LongSupplier clock;

    /** Checks rule sets against the regulatory version in force at the wall-clock time of each compilation. */
    public RuleSetCompiler(RegulatoryParameters regulatory) {
        this(regulatory, System::currentTimeMillis);
    }

    /**
     * Checks each rule set against the regulatory version in force at {@code clock} (epoch ms) when it is
     * compiled: a conflict with it is an error; a conflict with a version that comes into force later is a
     * warning naming the date (the engine applies that version at its date, see docs/regulation.md).
     */
    public RuleSetCompiler(RegulatoryParameters regulatory, LongSupplier clock) {
        this.regulatory = regulatory;
        this.clock = clock;
    }

    public Outcome compile(String yaml) {
        return new Run(yaml).compile();
    }

    /** One compilation: collects problems as it goes. */
    private final class Run {
        private final String text;
        private final YamlNodes y = new YamlNodes();
        private final List<RuleProblem> warnings = new ArrayList<>();
        private final long nowMs = clock.getAsLong();
        private FeatureLayout layout;
        private ExprCompiler exprs;

        Run(String text) {
            this.text = text;
        }

        Outcome compile() {
            MappingNode root = y.root(text);
            if (root == null) {
                return new Outcome(null, List.copyOf(y.problems()), List.of());
            }
            Map<String, Node> top = y.entries(root, "rule set", "version", "description", "regulatory", "features",
                    "fraud", "credit", "scorecard", "lines", "pricing", "funding", "concentration", "early_warning");
            String version = y.requiredString(top, "version", root, "rule set");
            if (version != null && !VERSION.matcher(version).matches()) {
                y.problem(top.get("version"), "version: 1..64 characters of [A-Za-z0-9._-], starting with a letter or"
                        + " digit");
            }
            String description = top.containsKey("description") ? y.string(top.get("description"), "description") : "";
            String licence = regulatory(top.get("regulatory"), root);
            layout = new FeatureLayout(features(top.get("features")));
            exprs = new ExprCompiler(layout);
            Rule[] fraud = rules(top.get("fraud"), "fraud", false);
            Rule[] credit = rules(top.get("credit"), "credit", true);
            Scorecard scorecard = scorecard(top.get("scorecard"), root);
            LinePolicy[] lines = lines(top.get("lines"), root);
            PricingPolicy pricing = pricing(top.get("pricing"), root);
            FundingPolicy funding = funding(top.get("funding"), root, licence);
            EarlyWarningRule[] warningRules = earlyWarning(top.get("early_warning"));
            ConcentrationPolicy concentration = concentration(top.get("concentration"), licence);
            if (!y.problems().isEmpty()) {
                return new Outcome(null, List.copyOf(y.problems()), List.copyOf(warnings));
            }
            CompiledRuleSet rs = new CompiledRuleSet(version, description == null ? "" : description, text, licence,
                    layout, fraud, credit, scorecard, lines, pricing, funding, concentration, warningRules, warnings);
            allInCap(rs, top.get("pricing"));
            if (!y.problems().isEmpty()) {
                return new Outcome(null, List.copyOf(y.problems()), List.copyOf(warnings));
            }
            return new Outcome(rs, List.of(), List.copyOf(warnings));
        }

        private String regulatory(Node node, Node root) {
            if (node == null) {
                y.problem(root, "rule set: 'regulatory' is required (name and licence of the regulatory file)");
                return null;
            }
            Map<String, Node> e = y.entries(node, "regulatory", "name", "licence");
            String name = y.requiredString(e, "name", node, "regulatory");
            String licence = y.requiredString(e, "licence", node, "regulatory");
            if (name != null && !name.equals(regulatory.name())) {
                y.problem(e.get("name"), "regulatory.name: the engine runs the regulatory file '" + regulatory.name()
                        + "', not '" + name + "'");
            }
            if (licence != null && !regulatory.hasLicence(licence)) {
                y.problem(e.get("licence"), "regulatory.licence: '" + licence + "' has no limits in '"
                        + regulatory.name() + "' (" + String.join(", ", RegulatoryParameters.LICENCES) + ")");
            }
            return licence;
        }

        private Map<String, FeatureType> features(Node node) {
            Map<String, FeatureType> declared = new LinkedHashMap<>();
            if (node == null) {
                return declared;
            }
            Map<String, Node> keys = y.keys(node);
            for (Map.Entry<String, Node> e : y.entries(node, "features").entrySet()) {
                String name = e.getKey();
                Node at = keys.get(name);
                if (!NAME.matcher(name).matches() || name.length() > 64) {
                    y.problem(at, "features: '" + name + "' is not a valid name ([A-Za-z_][A-Za-z0-9_.]*, ≤ 64)");
                    continue;
                }
                if (Arrays.stream(name.split("\\.")).anyMatch(RESERVED::contains)) {
                    y.problem(at, "features: '" + name + "' uses a CEL reserved word");
                    continue;
                }
                if (Features.builtins().stream().anyMatch(b -> b.name().equals(name))) {
                    y.problem(at, "features: '" + name + "' is built in; do not declare it");
                    continue;
                }
                String type = y.string(e.getValue(), "features." + name);
                try {
                    declared.put(name, FeatureType.parse(type == null ? "" : type));
                } catch (IllegalArgumentException ex) {
                    y.problem(e.getValue(), "features." + name + ": " + ex.getMessage());
                }
            }
            for (String name : declared.keySet()) {
                for (Features.Builtin b : Features.builtins()) {
                    if (b.name().startsWith(name + ".") || name.startsWith(b.name() + ".")) {
                        y.problem(keys.get(name), "features: '" + name + "' clashes with built-in '" + b.name() + "'");
                    }
                }
            }
            return declared;
        }

        private Rule[] rules(Node node, String section, boolean creditStage) {
            List<Rule> out = new ArrayList<>();
            Set<String> codes = new HashSet<>();
            for (Node rn : y.list(node, section)) {
                Map<String, Node> e = y.entries(rn, section + " rule", "code", "when", "action", "text", "report");
                String code = y.requiredString(e, "code", rn, section + " rule");
                String what = section + " rule " + (code == null ? "" : code);
                if (code != null && !CODE.matcher(code).matches()) {
                    y.problem(e.get("code"), what + ": code must be UPPER_SNAKE_CASE, ≤ 64 characters");
                }
                if (code != null && !codes.add(code)) {
                    y.problem(e.get("code"), what + ": code appears twice in " + section);
                }
                String text = y.requiredString(e, "text", rn, what);
                String actionText = y.requiredString(e, "action", rn, what);
                Rule.Action action = null;
                if (actionText != null) {
                    try {
                        action = Rule.Action.valueOf(actionText);
                    } catch (IllegalArgumentException ex) {
                        y.problem(e.get("action"), what + ": action must be DECLINE, REVIEW or TAG");
                    }
                }
                Node whenNode = e.get("when");
                if (whenNode == null) {
                    y.problem(rn, what + ": 'when' (a CEL condition) is required");
                    continue;
                }
                ExprCompiler.Result r = expression(whenNode, what + ".when", FeatureType.BOOL, creditStage);
                if (r == null) {
                    continue;
                }
                List<FeatureLayout.Slot> reported = new ArrayList<>();
                if (e.containsKey("report")) {
                    for (Node n : y.list(e.get("report"), what + ".report")) {
                        String f = y.string(n, what + ".report");
                        FeatureLayout.Slot s = f == null ? null : layout.slot(f);
                        if (f != null && s == null) {
                            y.problem(n, what + ".report: unknown feature '" + f + "'");
                        } else if (s != null) {
                            reported.add(s);
                        }
                    }
                } else {
                    r.references().stream().limit(2).forEach(n -> reported.add(layout.slot(n)));
                }
                if (!r.expr().compiled()) {
                    int[] at = YamlNodes.textStart(whenNode);
                    warnings.add(new RuleProblem(at[0], at[1], what
                            + ": runs on the CEL interpreter (slower, allocates); docs/rules.md lists what compiles"));
                }
                if (code != null && text != null && action != null) {
                    out.add(new Rule(code, text, action, r.expr(), ((ScalarNode) whenNode).getValue(),
                            reported.toArray(new FeatureLayout.Slot[0])));
                }
            }
            return out.toArray(new Rule[0]);
        }

        private EarlyWarningRule[] earlyWarning(Node node) {
            List<EarlyWarningRule> out = new ArrayList<>();
            Set<String> codes = new HashSet<>();
            for (Node rn : y.list(node, "early_warning")) {
                Map<String, Node> e = y.entries(rn, "early_warning rule", "code", "event", "when", "action", "cut_bps",
                        "text");
                String code = y.requiredString(e, "code", rn, "early_warning rule");
                String what = "early_warning rule " + (code == null ? "" : code);
                if (code != null && (!CODE.matcher(code).matches() || !codes.add(code))) {
                    y.problem(e.get("code"), what + ": code must be UPPER_SNAKE_CASE and unique");
                }
                String text = y.requiredString(e, "text", rn, what);
                String on = y.requiredString(e, "event", rn, what);
                if (on != null && !EVENT_TYPES.contains(on)) {
                    y.problem(e.get("event"), what + ".event: one of " + String.join(", ", EVENT_TYPES));
                }
                String actionText = y.requiredString(e, "action", rn, what);
                EarlyWarningRule.Action action = null;
                if (actionText != null) {
                    try {
                        action = EarlyWarningRule.Action.valueOf(actionText);
                    } catch (IllegalArgumentException ex) {
                        y.problem(e.get("action"), what + ".action: FREEZE, CUT, WATCH or RESTORE");
                    }
                }
                long cut = y.integer(e, "cut_bps", what, 1, 10_000, 0);
                if (action == EarlyWarningRule.Action.CUT && cut == 0) {
                    y.problem(rn, what + ": CUT needs cut_bps (1..10000)");
                }
                Expr when = null;
                List<FeatureLayout.Slot> reported = new ArrayList<>();
                if (e.containsKey("when")) {
                    ExprCompiler.Result r = expression(e.get("when"), what + ".when", FeatureType.BOOL, false);
                    if (r == null) {
                        continue;
                    }
                    when = r.expr();
                    r.references().stream().limit(2).forEach(n -> reported.add(layout.slot(n)));
                }
                if (code != null && text != null && on != null && action != null) {
                    out.add(new EarlyWarningRule(code, text, on, action, cut, when,
                            reported.toArray(new FeatureLayout.Slot[0])));
                }
            }
            return out.toArray(new EarlyWarningRule[0]);
        }

        private ExprCompiler.Result expression(Node node, String what, FeatureType type, boolean creditStage) {
            String source = y.string(node, what);
            if (source == null) {
                return null;
            }
            ExprCompiler.Result r = exprs.compile(source, type, creditStage);
            if (!r.ok()) {
                int[] at = YamlNodes.textStart(node);
                for (ExprCompiler.Problem p : r.problems()) {
                    int line = at[0] + Math.max(0, p.line() - 1);
                    int column = p.line() <= 1 ? at[1] + Math.max(0, p.column() - 1) : p.column();
                    y.problems().add(new RuleProblem(line, column, what + ": " + p.message()));
                }
                return null;
            }
            return r;
        }

        private Scorecard scorecard(Node node, Node root) {
            if (node == null) {
                y.problem(root, "rule set: 'scorecard' is required");
                return null;
            }
            Map<String, Node> e = y.entries(node, "scorecard", "base_score", "base_odds", "pdo", "attributes",
                    "grades");
            long base = y.integer(e, "base_score", "scorecard", -100_000, 100_000, 600);
            Double odds = e.containsKey("base_odds") ? y.number(e.get("base_odds"), "scorecard.base_odds") : 50.0;
            Double pdo = e.containsKey("pdo") ? y.number(e.get("pdo"), "scorecard.pdo") : 20.0;
            if (odds != null && odds <= 0) {
                y.problem(e.get("base_odds"), "scorecard.base_odds: must be > 0");
            }
            if (pdo != null && pdo <= 0) {
                y.problem(e.get("pdo"), "scorecard.pdo: must be > 0");
            }
            List<Scorecard.Attribute> attributes = new ArrayList<>();
            for (Node an : y.list(e.get("attributes"), "scorecard.attributes")) {
                Scorecard.Attribute a = attribute(an);
                if (a != null) {
                    attributes.add(a);
                }
            }
            int[] minimum = new int[4];
            Map<String, Node> grades = y.entries(e.get("grades"), "scorecard.grades", "A", "B", "C", "D");
            for (int g = 1; g <= 4; g++) {
                Node gn = grades.get(GRADES.get(g));
                if (gn == null) {
                    y.problem(e.getOrDefault("grades", node), "scorecard.grades: minimum score for "
                            + GRADES.get(g) + " is required");
                    continue;
                }
                Long v = y.integer(gn, "scorecard.grades." + GRADES.get(g), -1_000_000, 1_000_000);
                minimum[g - 1] = v == null ? 0 : v.intValue();
                if (g > 1 && v != null && minimum[g - 1] > minimum[g - 2]) {
                    y.problem(gn, "scorecard.grades: " + GRADES.get(g) + " must not need more than "
                            + GRADES.get(g - 1));
                }
            }
            return new Scorecard((int) base, odds == null ? 1 : odds, pdo == null ? 1 : pdo,
                    attributes.toArray(new Scorecard.Attribute[0]), minimum);
        }

        private Scorecard.Attribute attribute(Node an) {
            Map<String, Node> e = y.entries(an, "scorecard attribute", "feature", "missing_points", "bins");
            String feature = y.requiredString(e, "feature", an, "scorecard attribute");
            FeatureLayout.Slot slot = feature == null ? null : layout.slot(feature);
            if (feature != null && slot == null) {
                y.problem(e.get("feature"), "scorecard attribute: unknown feature '" + feature + "' (declare it under"
                        + " features)");
                return null;
            }
            if (slot != null && slot.creditStage()) {
                y.problem(e.get("feature"), "scorecard attribute: '" + feature + "' is computed from the score");
                return null;
            }
            String what = "scorecard attribute " + feature;
            int missing = (int) y.integer(e, "missing_points", what, -10_000, 10_000, 0);
            List<Scorecard.Bin> bins = new ArrayList<>();
            List<Node> binNodes = y.list(e.get("bins"), what + ".bins");
            if (binNodes.isEmpty()) {
                y.problem(an, what + ": at least one bin is required");
            }
            double lastBelow = Double.NEGATIVE_INFINITY;
            for (Node bn : binNodes) {
                Map<String, Node> b = y.entries(bn, what + " bin", "below", "in", "points");
                Node pointsNode = b.get("points");
                if (pointsNode == null) {
                    y.problem(bn, what + " bin: 'points' is required");
                    continue;
                }
                Long points = y.integer(pointsNode, what + " bin points", -10_000, 10_000);
                if (points == null || slot == null) {
                    continue;
                }
                if (b.containsKey("below") && b.containsKey("in")) {
                    y.problem(bn, what + " bin: give 'below' or 'in', not both");
                } else if (b.containsKey("below")) {
                    if (slot.type() != FeatureType.INT && slot.type() != FeatureType.DOUBLE) {
                        y.problem(b.get("below"), what + " bin: 'below' needs a number feature; " + feature + " is "
                                + slot.type());
                        continue;
                    }
                    Double below = y.number(b.get("below"), what + " bin below");
                    if (below != null) {
                        if (below <= lastBelow) {
                            y.problem(b.get("below"), what + " bin: bounds must increase");
                        }
                        String from = lastBelow == Double.NEGATIVE_INFINITY ? "(-inf" : "[" + fmt(lastBelow);
                        bins.add(new Scorecard.Bin(from + "," + fmt(below) + ")", points.intValue(), below, null,
                                null));
                        lastBelow = below;
                    }
                } else if (b.containsKey("in")) {
                    Scorecard.Bin bin = inBin(b.get("in"), slot, what, points.intValue());
                    if (bin != null) {
                        bins.add(bin);
                    }
                } else {
                    String label = lastBelow == Double.NEGATIVE_INFINITY ? "any" : "[" + fmt(lastBelow) + ",+inf)";
                    bins.add(new Scorecard.Bin(bins.isEmpty() ? "any" : label.equals("any") ? "other" : label,
                            points.intValue(), Double.NaN, null, null));
                }
            }
            return slot == null ? null : new Scorecard.Attribute(slot, missing, bins.toArray(new Scorecard.Bin[0]));
        }

        private Scorecard.Bin inBin(Node node, FeatureLayout.Slot slot, String what, int points) {
            List<String> values = new ArrayList<>();
            for (Node v : y.list(node, what + " bin in")) {
                String s = y.string(v, what + " bin in");
                if (s != null) {
                    values.add(s);
                }
            }
            String label = "in [" + String.join(", ", values) + "]";
            switch (slot.type()) {
                case STRING:
                    return new Scorecard.Bin(label, points, Double.NaN, null, Set.copyOf(values));
                case INT:
                case BOOL:
                    LongHashSet ints = new LongHashSet();
                    for (String s : values) {
                        if (slot.type() == FeatureType.BOOL) {
                            ints.add("true".equals(s) ? 1 : 0);
                            continue;
                        }
                        try {
                            ints.add(Long.parseLong(s));
                        } catch (NumberFormatException e) {
                            y.problem(node, what + " bin in: '" + s + "' is not a whole number");
                        }
                    }
                    return new Scorecard.Bin(label, points, Double.NaN, ints, null);
                default:
                    y.problem(node, what + " bin: 'in' does not apply to a double feature; use 'below'");
                    return null;
            }
        }

        private LinePolicy[] lines(Node node, Node root) {
            LinePolicy[] out = new LinePolicy[PRODUCTS.size()];
            if (node == null) {
                y.problem(root, "rule set: 'lines' is required (a policy per product)");
                return out;
            }
            Map<String, Node> keys = y.keys(node);
            for (Map.Entry<String, Node> p : y.entries(node, "lines").entrySet()) {
                int product = PRODUCTS.indexOf(p.getKey());
                if (product <= 0) {
                    y.problem(keys.get(p.getKey()), "lines: unknown product '" + p.getKey() + "'");
                    continue;
                }
                out[product] = linePolicy(p.getValue(), "lines." + p.getKey());
            }
            return out;
        }

        private LinePolicy linePolicy(Node node, String what) {
            Map<String, Node> e = y.entries(node, what, "income_multiple_bps", "min_minor", "max_minor",
                    "income_ratio_cap_bps", "seasonal_uplift", "order_backed");
            long[] multiples = new long[6];
            Arrays.fill(multiples, -1);
            Map<String, Node> m = y.entries(e.get("income_multiple_bps"), what + ".income_multiple_bps", "A", "B",
                    "C", "D", "E");
            if (m.isEmpty()) {
                y.problem(node, what + ": income_multiple_bps needs at least one grade");
            }
            for (Map.Entry<String, Node> g : m.entrySet()) {
                Long v = y.integer(g.getValue(), what + ".income_multiple_bps." + g.getKey(), 0, 1_000_000);
                multiples[GRADES.indexOf(g.getKey())] = v == null ? -1 : v;
            }
            long min = y.integer(e, "min_minor", what, 0, 10_000_000_000_000L, 0);
            long max = y.integer(e, "max_minor", what, 1, 10_000_000_000_000L, -1);
            if (max < 0) {
                y.problem(node, what + ": 'max_minor' (the product cap) is required");
            } else if (min > max) {
                y.problem(e.get("min_minor"), what + ": min_minor is above max_minor");
            }
            long ratio = y.integer(e, "income_ratio_cap_bps", what, 1, 1_000_000, -1);
            int months = 0;
            long uplift = 0;
            Expr when = null;
            if (e.containsKey("seasonal_uplift")) {
                Map<String, Node> s = y.entries(e.get("seasonal_uplift"), what + ".seasonal_uplift", "months",
                        "uplift_bps", "when");
                for (Node mn : y.list(s.get("months"), what + ".seasonal_uplift.months")) {
                    Long month = y.integer(mn, what + ".seasonal_uplift.months", 1, 12);
                    if (month != null) {
                        months |= 1 << month;
                    }
                }
                uplift = y.integer(s, "uplift_bps", what + ".seasonal_uplift", 1, 100_000, 0);
                if (months == 0 || uplift == 0) {
                    y.problem(e.get("seasonal_uplift"), what + ".seasonal_uplift: months and uplift_bps are required");
                }
                if (s.containsKey("when")) {
                    ExprCompiler.Result r = expression(s.get("when"), what + ".seasonal_uplift.when", FeatureType.BOOL,
                            false);
                    when = r == null ? null : r.expr();
                }
            }
            FeatureLayout.Slot order = null;
            long advance = 0;
            if (e.containsKey("order_backed")) {
                Map<String, Node> o = y.entries(e.get("order_backed"), what + ".order_backed", "feature",
                        "advance_bps");
                String f = y.requiredString(o, "feature", e.get("order_backed"), what + ".order_backed");
                order = f == null ? null : layout.slot(f);
                if (f != null && (order == null || order.type() != FeatureType.INT)) {
                    y.problem(o.get("feature"), what + ".order_backed.feature: '" + f + "' must be a declared int"
                            + " feature (verified order value, minor units)");
                    order = null;
                }
                advance = y.integer(o, "advance_bps", what + ".order_backed", 1, 10_000, 0);
                if (advance == 0) {
                    y.problem(e.get("order_backed"), what + ".order_backed: advance_bps (1..10000) is required");
                }
            }
            return new LinePolicy(multiples, min, max, ratio, months, uplift, when, order, advance);
        }

        private PricingPolicy pricing(Node node, Node root) {
            if (node == null) {
                y.problem(root, "rule set: 'pricing' is required");
                return null;
            }
            Map<String, Node> e = y.entries(node, "pricing", "apr_cap_bps", "apr_bps", "fees", "above_all_in_cap");
            boolean lower = true;
            if (e.containsKey("above_all_in_cap")) {
                String mode = y.string(e.get("above_all_in_cap"), "pricing.above_all_in_cap");
                if ("DECLINE".equals(mode)) {
                    lower = false;
                } else if (!"LOWER".equals(mode)) {
                    y.problem(e.get("above_all_in_cap"), "pricing.above_all_in_cap: LOWER or DECLINE, was '" + mode
                            + "'");
                }
            }
            int cap = (int) y.integer(e, "apr_cap_bps", "pricing", 0, 100_000, 2400);
            int[] apr = new int[6];
            Map<String, Node> grades = y.entries(e.get("apr_bps"), "pricing.apr_bps", "A", "B", "C", "D", "E");
            for (int g = 1; g <= 5; g++) {
                Node gn = grades.get(GRADES.get(g));
                if (gn == null) {
                    y.problem(e.getOrDefault("apr_bps", node), "pricing.apr_bps: an APR for grade " + GRADES.get(g)
                            + " is required");
                    continue;
                }
                Long v = y.integer(gn, "pricing.apr_bps." + GRADES.get(g), 0, 100_000);
                if (v != null && v > cap) {
                    y.problem(gn, "pricing.apr_bps." + GRADES.get(g) + ": " + v + " is above apr_cap_bps " + cap);
                }
                apr[g] = v == null ? 0 : v.intValue();
            }
            List<PricingPolicy.FeeRule> fees = new ArrayList<>();
            for (Node fn : y.list(e.get("fees"), "pricing.fees")) {
                Map<String, Node> f = y.entries(fn, "fee", "code", "text", "products", "bps", "fixed_minor", "when");
                String code = y.requiredString(f, "code", fn, "fee");
                String text = y.requiredString(f, "text", fn, "fee");
                int mask = products(f.get("products"), "fee " + code);
                long bps = y.integer(f, "bps", "fee " + code, 0, 10_000, 0);
                long fixed = y.integer(f, "fixed_minor", "fee " + code, 0, 10_000_000_000L, 0);
                String when = f.containsKey("when") ? y.string(f.get("when"), "fee when") : "UPFRONT";
                if (!"UPFRONT".equals(when) && !"PER_INSTALLMENT".equals(when)) {
                    y.problem(f.get("when"), "fee " + code + ".when: UPFRONT or PER_INSTALLMENT");
                }
                if (code != null && !CODE.matcher(code).matches()) {
                    y.problem(f.get("code"), "fee: code must be UPPER_SNAKE_CASE");
                }
                fees.add(new PricingPolicy.FeeRule(code, text, mask, bps, fixed, "UPFRONT".equals(when)));
            }
            return new PricingPolicy(cap, apr, List.copyOf(fees), lower);
        }

        private int products(Node node, String what) {
            if (node == null) {
                return 0b1110;
            }
            int mask = 0;
            for (Node pn : y.list(node, what + ".products")) {
                String p = y.string(pn, what + ".products");
                int i = PRODUCTS.indexOf(p);
                if (i <= 0) {
                    y.problem(pn, what + ".products: unknown product '" + p + "'");
                } else {
                    mask |= 1 << i;
                }
            }
            return mask;
        }

        private FundingPolicy funding(Node node, Node root, String licence) {
            if (node == null) {
                y.problem(root, "rule set: 'funding' is required");
                return null;
            }
            Map<String, Node> e = y.entries(node, "funding", "platform_net_assets_minor", "funders", "products");
            long netAssets = y.integer(e, "platform_net_assets_minor", "funding", 1, Long.MAX_VALUE / 16, -1);
            if (!e.containsKey("platform_net_assets_minor")) {
                y.problem(node, "funding: 'platform_net_assets_minor' is required (the leverage limit uses it)");
            }
            List<FundingPolicy.Funder> funders = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            ids.add(FundingPolicy.PLATFORM);
            for (Node fn : y.list(e.get("funders"), "funding.funders")) {
                Map<String, Node> f = y.entries(fn, "funder", "id", "total_quota_minor", "daily_quota_minor");
                String id = y.requiredString(f, "id", fn, "funder");
                if (id != null && !ids.add(id)) {
                    y.problem(f.get("id"), "funder: id '" + id + "' appears twice (or is the reserved 'platform')");
                }
                long total = y.integer(f, "total_quota_minor", "funder " + id, 0, Long.MAX_VALUE / 16, -1);
                long daily = y.integer(f, "daily_quota_minor", "funder " + id, 0, Long.MAX_VALUE / 16, -1);
                if (total < 0 || daily < 0) {
                    y.problem(fn, "funder " + id + ": total_quota_minor and daily_quota_minor are required");
                }
                funders.add(new FundingPolicy.Funder(id, total, daily));
            }
            Map<Integer, List<FundingPolicy.Share>> products = new HashMap<>();
            Map<String, Node> keys = y.keys(e.get("products"));
            long minOwn = minOwnShare(licence);
            for (Map.Entry<String, Node> p : y.entries(e.get("products"), "funding.products").entrySet()) {
                int product = PRODUCTS.indexOf(p.getKey());
                if (product <= 0) {
                    y.problem(keys.get(p.getKey()), "funding.products: unknown product '" + p.getKey() + "'");
                    continue;
                }
                List<FundingPolicy.Share> shares = new ArrayList<>();
                int sum = 0;
                int platform = 0;
                for (Node sn : y.list(p.getValue(), "funding.products." + p.getKey())) {
                    Map<String, Node> s = y.entries(sn, "share", "funder", "share_bps");
                    String id = y.requiredString(s, "funder", sn, "share");
                    int bps = (int) y.integer(s, "share_bps", "share", 1, 10_000, 0);
                    if (id != null && !ids.contains(id)) {
                        y.problem(s.get("funder"), "share: unknown funder '" + id + "'");
                    }
                    sum += bps;
                    if (FundingPolicy.PLATFORM.equals(id)) {
                        platform += bps;
                    }
                    shares.add(new FundingPolicy.Share(id, bps));
                }
                if (sum != 10_000) {
                    y.problem(p.getValue(), "funding.products." + p.getKey() + ": shares add up to " + sum
                            + " bps, not 10000");
                }
                if (minOwn > 0 && platform < minOwn) {
                    y.problem(p.getValue(), "funding.products." + p.getKey() + ": the platform's share " + platform
                            + " bps is below the regulatory minimum " + minOwn + " bps in force now");
                }
                for (RegulatoryParameters.Limits later : licence == null ? List.<RegulatoryParameters.Limits>of()
                        : regulatory.after(nowMs, licence)) {
                    if (later.minOwnShareBps() > platform) {
                        warn(p.getValue(), "funding.products." + p.getKey() + ": from " + later.effectiveFrom()
                                + " (regulatory version " + later.version() + ") the minimum own share is "
                                + later.minOwnShareBps() + " bps, above the platform's " + platform
                                + " bps; from that date the engine raises the platform's part to the minimum (taken"
                                + " from the last partners listed); publish a rule set that sets it ("
                                + later.source("min_own_share_bps") + ")");
                    }
                }
                if (shares.size() > 4) {
                    y.problem(p.getValue(), "funding.products." + p.getKey() + ": at most 4 funders per product");
                }
                products.put(product, List.copyOf(shares));
            }
            return new FundingPolicy(netAssets, List.copyOf(funders), Map.copyOf(products));
        }

        /**
         * The {@code concentration} section: per dimension a limit in basis points of the platform's net assets
         * (1..1,000,000: a region or industry limit can exceed the net assets, since partners fund most loans). A group
         * limit above the regulatory related-party limit in force is a warning: the regulation's binds.
         */
        private ConcentrationPolicy concentration(Node node, String licence) {
            if (node == null) {
                return ConcentrationPolicy.NONE;
            }
            String[] keys = new String[ConcentrationPolicy.Dimension.values().length];
            for (ConcentrationPolicy.Dimension d : ConcentrationPolicy.Dimension.values()) {
                keys[d.ordinal()] = d.label() + "_bps";
            }
            Map<String, Node> e = y.entries(node, "concentration", keys);
            long[] bps = new long[keys.length];
            for (int i = 0; i < keys.length; i++) {
                bps[i] = y.integer(e, keys[i], "concentration", 1, 1_000_000, -1);
            }
            RegulatoryParameters.Limits now = licence == null ? null : regulatory.at(nowMs, licence);
            int group = ConcentrationPolicy.Dimension.GROUP.ordinal();
            if (now != null && now.relatedPartyNetAssetsBps() >= 0 && bps[group] > now.relatedPartyNetAssetsBps()) {
                warn(e.get(keys[group]), "concentration.group_bps: " + bps[group] + " bps is above the regulatory"
                        + " related-party limit " + now.relatedPartyNetAssetsBps() + " bps in force now ("
                        + now.version() + "); the regulatory limit binds (" + now.source("related_party_net_assets_bps")
                        + ")");
            }
            return new ConcentrationPolicy(bps);
        }

        private long minOwnShare(String licence) {
            if (licence == null) {
                return -1;
            }
            // The version in force now; later versions give warnings (the engine switches at their date).
            RegulatoryParameters.Limits l = regulatory.at(nowMs, licence);
            return l == null ? -1 : l.minOwnShareBps();
        }

        private void warn(Node at, String message) {
            int[] pos = at == null ? new int[] {0, 0} : new int[] {at.getStartMark().getLine() + 1,
                    at.getStartMark().getColumn() + 1};
            warnings.add(new RuleProblem(pos[0], pos[1], message));
        }

        /**
         * The all-in cost cap against the rule set's prices. The best grade (A) must be offerable under the cap in
         * force now on every plan of every product the rule set lends on: its APR with the product's fees, 1 to 36
         * installments, on the product's minimum line ({@code lines.<product>.min_minor}, or 1,000.00 when unset:
         * a fixed fee weighs most on the smallest loan). Above it is an error; above a cap that comes into force
         * later is a warning with the date; another grade above the cap in force is a warning (those decisions
         * are lowered or declined, as {@code pricing.above_all_in_cap} says).
         */
        private void allInCap(CompiledRuleSet rs, Node pricingNode) {
            if (rs.licence() == null) {
                return;
            }
            RegulatoryParameters.Limits now = regulatory.at(nowMs, rs.licence());
            List<RegulatoryParameters.Limits> later = regulatory.after(nowMs, rs.licence());
            InstallmentPlanner planner = new InstallmentPlanner();
            InstallmentSchedule plan = new InstallmentSchedule();
            for (int product = 1; product < PRODUCTS.size(); product++) {
                if (rs.lines(product) == null) {
                    continue;
                }
                long principal = rs.lines(product).minMinor() > 0 ? rs.lines(product).minMinor() : 100_000;
                List<FeeSpec> fees = rs.feesFor(product);
                String name = PRODUCTS.get(product);
                if (now != null && now.allInRateCapBps(product) >= 0) {
                    long cap = now.allInRateCapBps(product);
                    int[] worst = worst(planner, plan, principal, rs.pricing().aprFor(1), fees);
                    if (worst != null && worst[1] > cap) {
                        y.problem(pricingNode, "pricing: grade A (" + rs.pricing().aprFor(1) + " bps APR) with the "
                                + name + " fees costs " + worst[1] + " bps a year all-in on a " + worst[0]
                                + "-installment loan of " + principal + " minor units, above the regulatory all-in"
                                + " cap " + cap + " bps in force now (" + now.version() + ": "
                                + now.source("all_in_rate_cap_bps") + ")");
                    }
                    StringBuilder over = new StringBuilder();
                    for (int g = 2; g <= 5; g++) {
                        int[] w = worst(planner, plan, principal, rs.pricing().aprFor(g), fees);
                        if (w != null && w[1] > cap) {
                            over.append(over.isEmpty() ? "" : ", ").append(GRADES.get(g)).append(" (")
                                    .append(w[1]).append(" bps, ").append(w[0]).append("-installment plan)");
                        }
                    }
                    if (!over.isEmpty()) {
                        warn(pricingNode, "pricing: on " + name + " grades " + over + " are above the regulatory"
                                + " all-in cap " + cap + " bps (" + now.version() + "); such decisions are "
                                + (rs.pricing().lowerToAllInCap() ? "lowered to the cap (fees first, then the APR)"
                                        : "declined with " + AllInRateCap.CODE));
                    }
                }
                for (RegulatoryParameters.Limits l : later) {
                    long cap = l.allInRateCapBps(product);
                    if (cap < 0) {
                        continue;
                    }
                    int[] worst = worst(planner, plan, principal, rs.pricing().aprFor(1), fees);
                    if (worst != null && worst[1] > cap) {
                        warn(pricingNode, "pricing: from " + l.effectiveFrom() + " (regulatory version "
                                + l.version() + ") the all-in cap on " + name + " is " + cap + " bps; grade A costs "
                                + worst[1] + " bps on a " + worst[0] + "-installment loan of " + principal
                                + " minor units; from that date such decisions are "
                                + (rs.pricing().lowerToAllInCap() ? "lowered to the cap" : "declined")
                                + " (" + l.source("all_in_rate_cap_bps") + ")");
                    }
                }
            }
        }

        /** {installments, annualised bps} of the costliest plan of 1..36 installments; null when none plans. */
        private int[] worst(InstallmentPlanner planner, InstallmentSchedule plan, long principal, int aprBps,
                List<FeeSpec> fees) {
            int[] worst = null;
            for (int n = 1; n <= InstallmentPlanner.MAX_INSTALLMENTS; n++) {
                try {
                    planner.plan(principal, aprBps, n, 0, fees, plan);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (worst == null || plan.annualisedRateBps() > worst[1]) {
                    worst = new int[] {n, plan.annualisedRateBps()};
                }
            }
            return worst;
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
