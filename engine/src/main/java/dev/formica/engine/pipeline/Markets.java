package dev.formica.engine.pipeline;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.config.MarketSetting;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleSetCompiler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.CloseHelper;

/**
 * The markets a server lends in (the {@code markets} setting; docs/regulation.md, "Markets"). A market is a code, a
 * currency, and a {@link RiskContext} of its own: its regulatory parameters (dates in its zone), its rule-set registry
 * (active, shadow, published versions: its product catalogue), its zone for the time features and its funders'
 * quota slots. The engines share the block lists, risk appetite, velocity table, profile cache, quota table and
 * concentration table of the first (default) market's engine, which owns them. Without the setting there is one
 * market with the code "" made of the {@code currency}, {@code timeZone}, {@code regulatoryFile} and {@code rulesFile}
 * settings, exactly as before markets existed.
 *
 * <p>Thread contract: immutable after {@link #open}; the engines are safe for concurrent use.
 */
public final class Markets implements AutoCloseable {
    /** Where the rule sets of a market other than the default live, under the data directory. */
    static final String DIRECTORY = "markets";

    /** One market: its code ("" on a one-market server), the currency of its lines and its engine. */
    public record Market(String code, String currency, RiskContext risk) {
    }

    private final List<Market> all;
    private final Map<String, Market> byCode = new LinkedHashMap<>();

    private Markets(List<Market> all) {
        this.all = List.copyOf(all);
        for (Market m : all) {
            byCode.put(m.code(), m);
        }
    }

    /** One market with the code "" (tests, tools, and a server without the {@code markets} setting). */
    public static Markets single(String currency, RiskContext risk) {
        return new Markets(List.of(new Market("", currency, risk)));
    }

    /**
     * Opens the engine of every market under {@code dataDir}: the default (first) market's in the data directory as
     * a one-market server's (its {@code rules/}, quota table and block lists), each other's rule sets under
     * {@code markets/<code>/rules}. A market's rule set (or {@code rulesFile}) is published and activated at every
     * start, as {@code rulesFile} always was.
     */
    static Markets open(EngineConfiguration config, Path dataDir, long nowMs) throws IOException {
        List<MarketSetting> settings = config.markets();
        if (settings.isEmpty()) {
            RegulatoryParameters regulatory = config.regulatoryFile() == null ? RegulatoryParameters.builtin()
                    : RegulatoryParameters.load(config.regulatoryFile());
            RiskContext risk = openEngine(config, dataDir, regulatory, ZoneId.of(config.timeZone()));
            try {
                activate(risk, config.rulesFile() == null ? null : Files.readString(config.rulesFile()),
                        String.valueOf(config.rulesFile()), nowMs);
            } catch (IOException | RuntimeException e) {
                risk.close();
                throw e;
            }
            return single(config.currency(), risk);
        }
        List<Market> markets = new ArrayList<>();
        try {
            MarketSetting first = settings.get(0);
            RiskContext primary = openEngine(config, dataDir, regulatory(first), first.zone());
            markets.add(new Market(first.code(), first.currency(), primary));
            activate(primary, first.rules() == null ? null : text(first.rules()), first.rules(), nowMs);
            for (MarketSetting m : settings.subList(1, settings.size())) {
                String yaml = m.rules() == null ? null : text(m.rules());
                Path marketDir = dataDir.resolve(DIRECTORY).resolve(m.code());
                OwnerOnly.directory(marketDir.getParent()); // owner-only, as every directory of the data directory
                OwnerOnly.directory(marketDir);
                RiskContext risk = primary.forMarket(regulatory(m), m.zone(), marketDir.resolve("rules"), yaml,
                        m.code() + ":", System::currentTimeMillis);
                markets.add(new Market(m.code(), m.currency(), risk));
                activate(risk, yaml, m.rules(), nowMs);
            }
        } catch (IOException | RuntimeException e) {
            new Markets(markets).close();
            throw e;
        }
        return new Markets(markets);
    }

    private static RiskContext openEngine(EngineConfiguration config, Path dataDir, RegulatoryParameters regulatory,
            ZoneId zone) throws IOException {
        return RiskContext.open(dataDir, regulatory, config.velocityKeys(), config.profileCacheEntries(), zone,
                System::currentTimeMillis, config.concentrationKeys());
    }

    /** Publishes and activates {@code yaml} (a rules file) in the engine's registry; null = nothing. */
    private static void activate(RiskContext risk, String yaml, String where, long nowMs) {
        if (yaml == null) {
            return;
        }
        RuleSetCompiler.Outcome o = risk.rules().compiler().compile(yaml);
        if (!o.valid()) {
            StringBuilder sb = new StringBuilder("rulesFile " + where + " does not validate:");
            o.errors().forEach(e -> sb.append("\n  ").append(e));
            throw new IllegalArgumentException(sb.toString());
        }
        risk.rules().publish(o.ruleSet(), "rulesFile", nowMs);
        risk.rules().activate(o.ruleSet().version());
    }

    private static RegulatoryParameters regulatory(MarketSetting m) throws IOException {
        if (m.regulatory() == null) {
            return RegulatoryParameters.resource(RegulatoryParameters.BUILTIN, m.zone());
        }
        return m.regulatory().startsWith(MarketSetting.CLASSPATH)
                ? RegulatoryParameters.resource(m.regulatory().substring(MarketSetting.CLASSPATH.length()), m.zone())
                : RegulatoryParameters.load(Path.of(m.regulatory()), m.zone());
    }

    /** The text of a path or of a {@code classpath:} resource. */
    static String text(String location) throws IOException {
        if (!location.startsWith(MarketSetting.CLASSPATH)) {
            return Files.readString(Path.of(location));
        }
        String name = location.substring(MarketSetting.CLASSPATH.length());
        try (InputStream in = Markets.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException(location + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The default market: the first listed (the only one on a one-market server). */
    public Market defaultMarket() {
        return all.get(0);
    }

    /** Every market, the default first. */
    public List<Market> all() {
        return all;
    }

    /** The market of a code; "" = the default; null when the server does not serve it. */
    public Market get(String code) {
        return code.isEmpty() ? defaultMarket() : byCode.get(code);
    }

    /** Whether the server lends in {@code currency} in some market. */
    public boolean lendsIn(String currency) {
        return all.stream().anyMatch(m -> m.currency().equals(currency));
    }

    /** The market of a code, or INVALID_ARGUMENT naming {@code market} (changes nothing). */
    Market require(String code) {
        Market m = get(code);
        if (m == null) {
            throw unknown(code);
        }
        return m;
    }

    /**
     * The market of a request for a borrower: the one it names, else its profile's, else the default. Refuses
     * (INVALID_ARGUMENT) a market the server does not serve or other than the profile's, naming {@code market}, and
     * an amount in another currency than the market's (the line's), naming {@code currency}.
     *
     * @param profile the borrower's profile, or null
     */
    Market resolve(String requested, dev.formica.v1.Profile profile, String askedCurrency) {
        Market named = requested.isEmpty() ? null : require(requested);
        Market own = profile == null ? null : require(profile.getMarket());
        if (named != null && own != null && named != own) {
            throw Refused.invalid("market: the borrower is in market " + name(own) + ", not " + requested);
        }
        Market m = named != null ? named : own != null ? own : defaultMarket();
        if (!askedCurrency.isEmpty() && !askedCurrency.equals(m.currency())) {
            throw wrongCurrency(m, askedCurrency);
        }
        return m;
    }

    /**
     * A concentration key (merchant, industry) in {@code market}: as given in the default market, prefixed with the
     * market's code in another, so one merchant code in two markets (two currencies, two lenders' net assets) is two
     * keys.
     */
    String key(Market market, String key) {
        return key.isEmpty() || market == defaultMarket() ? key : market.code() + ":" + key;
    }

    private static String name(Market m) {
        return m.code().isEmpty() ? "(default)" : m.code();
    }

    /** INVALID_ARGUMENT naming {@code market}: the server does not serve it. */
    public Refused unknown(String code) {
        String shown = code.length() > 16 ? code.substring(0, 16) + "..." : code;
        String text = "market: '" + shown + "' is not served here (markets: " + String.join(", ", codes()) + ")";
        return Refused.invalid(text).metadata("market", shown);
    }

    /** INVALID_ARGUMENT naming {@code currency}: {@code market}'s lines are in its currency. */
    public static Refused wrongCurrency(Market market, String asked) {
        String text = "currency: " + (market.code().isEmpty() ? "this server lends in " : "market " + market.code()
                + " lends in ") + market.currency() + ", not " + asked;
        return Refused.invalid(DomainError.CURRENCY_NOT_SUPPORTED, text).metadata("currency", market.currency());
    }

    private List<String> codes() {
        return all.stream().map(Markets::name).toList();
    }

    /** Closes the engines, the default's (which owns what they share) last. */
    @Override
    public void close() {
        for (int i = all.size() - 1; i >= 0; i--) {
            CloseHelper.quietClose(all.get(i).risk());
        }
    }
}
