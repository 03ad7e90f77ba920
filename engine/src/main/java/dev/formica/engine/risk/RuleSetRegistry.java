package dev.formica.engine.risk;

import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.funding.FundingAllocator;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleSetCompiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Published rule-set versions, which one is active and which runs in shadow. A version is compiled once,
 * when published (or re-read at start-up); activation swaps one volatile reference, so every shard picks
 * the new set up at its next request and no request ever sees a mix. Versions are stored as their YAML
 * under {@code <data-dir>/rules/}, the pointers in {@code rules/state.properties}.
 *
 * <p>Thread contract: reads ({@link #active()}, {@link #shadow()}) from any thread, lock-free. Changes are
 * serialised by the monitor.
 */
public final class RuleSetRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(RuleSetRegistry.class);

    /** The active rule set with its funding allocator, swapped as one reference. */
    public record Active(CompiledRuleSet rules, FundingAllocator funding) {
    }

    /** One published version. */
    public record Published(CompiledRuleSet ruleSet, String author, long publishedMs) {
    }

    /** Decisions the shadow saw, and how many it would have decided differently. */
    public static final class ShadowCounts {
        private final AtomicLong decisions = new AtomicLong();
        private final AtomicLong disagreements = new AtomicLong();

        public void count(boolean disagreed) {
            decisions.incrementAndGet();
            if (disagreed) {
                disagreements.incrementAndGet();
            }
        }

        public long decisions() {
            return decisions.get();
        }

        public long disagreements() {
            return disagreements.get();
        }
    }

    private final Path dir;
    private final RuleSetCompiler compiler;
    private final Map<String, Published> published = new ConcurrentHashMap<>();
    private final Map<String, ShadowCounts> shadowCounts = new ConcurrentHashMap<>();
    private final Function<CompiledRuleSet, FundingAllocator> fundingFactory;
    private volatile Active current;
    private volatile CompiledRuleSet shadow;

    private RuleSetRegistry(Path dir, RuleSetCompiler compiler, Function<CompiledRuleSet, FundingAllocator> funding) {
        this.dir = dir;
        this.compiler = compiler;
        this.fundingFactory = funding;
    }

    /**
     * Opens the registry in {@code dir}: re-compiles every stored version and restores the active and shadow
     * pointers. With nothing active yet, the shipped default is published and activated.
     */
    public static RuleSetRegistry open(Path dir, RegulatoryParameters regulatory,
            Function<CompiledRuleSet, FundingAllocator> fundingFactory) throws IOException {
        return open(dir, regulatory, System::currentTimeMillis, fundingFactory);
    }

    /**
     * As {@link #open(Path, RegulatoryParameters, Function)}, compiling against the regulatory version in force
     * at {@code clock} (epoch ms): a version dated later never stops start-up, it only warns (logged here).
     */
    public static RuleSetRegistry open(Path dir, RegulatoryParameters regulatory, LongSupplier clock,
            Function<CompiledRuleSet, FundingAllocator> fundingFactory) throws IOException {
        return open(dir, regulatory, clock, fundingFactory, null);
    }

    /**
     * As {@link #open(Path, RegulatoryParameters, LongSupplier, Function)} with the rule set (its YAML) published
     * and activated when nothing is active yet: a market's own rule set and product catalogue (a market whose
     * regulatory file is not the shipped one cannot start from the shipped default); null = the shipped default.
     */
    public static RuleSetRegistry open(Path dir, RegulatoryParameters regulatory, LongSupplier clock,
            Function<CompiledRuleSet, FundingAllocator> fundingFactory, String initialYaml) throws IOException {
        OwnerOnly.directory(dir);
        RuleSetRegistry r = new RuleSetRegistry(dir, new RuleSetCompiler(regulatory, clock), fundingFactory);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".yaml")).toList()) {
                RuleSetCompiler.Outcome o = r.compiler.compile(Files.readString(f));
                if (!o.valid()) {
                    throw new IllegalStateException("stored rule set " + f + " no longer compiles: " + o.errors());
                }
                Properties meta = r.meta(o.ruleSet().version());
                r.published.put(o.ruleSet().version(), new Published(o.ruleSet(), meta.getProperty("author", ""),
                        Long.parseLong(meta.getProperty("published_ms", "0"))));
            }
        }
        Properties state = r.state();
        String activeVersion = state.getProperty("active");
        if (activeVersion == null || !r.published.containsKey(activeVersion)) {
            CompiledRuleSet def = initialYaml == null ? DefaultRuleSet.compile(r.compiler)
                    : r.compileOrThrow(initialYaml, "the market's rule set");
            if (!r.published.containsKey(def.version())) {
                r.store(def, "formica (shipped default)", 0);
            }
            activeVersion = def.version();
        }
        CompiledRuleSet first = r.published.get(activeVersion).ruleSet();
        first.warnings().stream().filter(w -> w.message().contains("regulatory version"))
                .forEach(w -> LOG.warn("active rule set " + first.version() + ": " + w));
        r.current = new Active(first, fundingFactory.apply(first));
        String shadowVersion = state.getProperty("shadow", "");
        r.shadow = shadowVersion.isEmpty() || !r.published.containsKey(shadowVersion) ? null
                : r.published.get(shadowVersion).ruleSet();
        r.saveState();
        return r;
    }

    private CompiledRuleSet compileOrThrow(String yaml, String what) {
        RuleSetCompiler.Outcome o = compiler.compile(yaml);
        if (!o.valid()) {
            throw new IllegalArgumentException(what + " does not validate: " + o.errors());
        }
        return o.ruleSet();
    }

    public CompiledRuleSet active() {
        return current.rules();
    }

    /** The active rule set and its funding allocator, read together. */
    public Active current() {
        return current;
    }

    /** The shadow rule set, or null. */
    public CompiledRuleSet shadow() {
        return shadow;
    }

    public RuleSetCompiler compiler() {
        return compiler;
    }

    /** Counts for one active/shadow pairing, created on first use. */
    public ShadowCounts shadowCounts(String shadowVersion) {
        return shadowCounts.computeIfAbsent(shadowVersion, v -> new ShadowCounts());
    }

    /**
     * Stores a compiled rule set as a new published version.
     *
     * @throws IllegalArgumentException when the version exists with different content
     */
    public synchronized Published publish(CompiledRuleSet rs, String author, long nowMs) {
        Published existing = published.get(rs.version());
        if (existing != null) {
            if (existing.ruleSet().yaml().equals(rs.yaml())) {
                return existing;
            }
            throw new IllegalArgumentException("version: '" + rs.version()
                    + "' is already published with other content; give the new rule set a new version");
        }
        return store(rs, author, nowMs);
    }

    /** Makes a published version active; returns the previous active version. */
    public synchronized String activate(String version) {
        CompiledRuleSet next = require(version);
        String previous = current.rules().version();
        current = new Active(next, fundingFactory.apply(next));
        saveState();
        LOG.info("rule set " + version + " active (was " + previous + ")");
        return previous;
    }

    /** Runs a published version in shadow, or stops shadowing with an empty version. */
    public synchronized void setShadow(String version) {
        shadow = version.isEmpty() ? null : require(version);
        saveState();
        LOG.info(version.isEmpty() ? "shadow rule set cleared" : "rule set " + version + " in shadow");
    }

    public List<Published> list() {
        List<Published> all = new ArrayList<>(published.values());
        all.sort((a, b) -> Long.compare(a.publishedMs(), b.publishedMs()));
        return all;
    }

    private CompiledRuleSet require(String version) {
        Published p = published.get(version);
        if (p == null) {
            throw new IllegalArgumentException("version: '" + version + "' is not published");
        }
        return p.ruleSet();
    }

    private Published store(CompiledRuleSet rs, String author, long nowMs) {
        try {
            OwnerOnly.writeAtomically(dir.resolve(rs.version() + ".yaml"), rs.yaml());
            Properties meta = new Properties();
            meta.setProperty("author", author);
            meta.setProperty("published_ms", Long.toString(nowMs));
            store(dir.resolve(rs.version() + ".properties"), meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store rule set " + rs.version(), e);
        }
        Published p = new Published(rs, author, nowMs);
        published.put(rs.version(), p);
        return p;
    }

    private Properties meta(String version) throws IOException {
        return properties(dir.resolve(version + ".properties"));
    }

    private Properties state() throws IOException {
        return properties(dir.resolve("state.properties"));
    }

    /** The file's properties; empty when it does not exist. */
    private static Properties properties(Path f) throws IOException {
        Properties p = new Properties();
        if (Files.exists(f)) {
            try (var in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                p.load(in);
            }
        }
        return p;
    }

    private void saveState() {
        Properties state = new Properties();
        state.setProperty("active", current.rules().version());
        state.setProperty("shadow", shadow == null ? "" : shadow.version());
        try {
            store(dir.resolve("state.properties"), state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the active rule set", e);
        }
    }

    private static void store(Path file, Properties p) throws IOException {
        java.io.StringWriter text = new java.io.StringWriter();
        p.store(text, null);
        OwnerOnly.writeAtomically(file, text.toString());
    }
}
