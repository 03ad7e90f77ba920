package dev.formica.engine.risk;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.formica.engine.funding.FunderSpec;
import dev.formica.engine.funding.FundingAllocator;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.funding.ProductFunding;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.FundingPolicy;
import dev.formica.engine.rules.Money;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.Product;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.agrona.CloseHelper;

/**
 * The context a market's risk logic runs in, shared by every shard: the regulatory parameters, the rule-set registry
 * (active and shadow), block lists, the risk appetite, the velocity table, the funding quotas, the concentration
 * table and a cache of parsed profiles. It decides nothing itself ({@link RiskEvaluator} and {@link CreditPolicy}
 * do); it holds and closes what they read, like the {@code Context} of an Aeron component. Named {@code RiskEngine}
 * until the engine's code was reshaped (issue 23): it was no engine.
 *
 * <p>Thread contract: every member is safe for concurrent use; see each class.
 */
public final class RiskContext implements AutoCloseable {
    private final RegulatoryParameters regulatory;
    private final RuleSetRegistry rules;
    private final BlockLists blockLists;
    private final RiskAppetite appetite;
    private final VelocityWindows velocity;
    private final Cache<String, Profile> profiles;
    private final ZoneId zone;
    private final FundingQuotas quotas;
    private final ConcentrationTable concentration;
    /** False for a market's engine ({@link #forMarket}): the shared members belong to the engine it came from. */
    private final boolean ownsShared;

    /** Concentration keys of an engine opened without a size (tests, tools): 4,096. */
    public static final int DEFAULT_CONCENTRATION_KEYS = 1 << 12;

    private RiskContext(RegulatoryParameters regulatory, RuleSetRegistry rules, BlockLists blockLists,
            RiskAppetite appetite, VelocityWindows velocity, Cache<String, Profile> profiles, ZoneId zone,
            FundingQuotas quotas, ConcentrationTable concentration, boolean ownsShared) {
        this.ownsShared = ownsShared;
        this.regulatory = regulatory;
        this.rules = rules;
        this.blockLists = blockLists;
        this.appetite = appetite;
        this.velocity = velocity;
        this.profiles = profiles;
        this.zone = zone;
        this.quotas = quotas;
        this.concentration = concentration;
    }

    /**
     * Opens the engine-wide risk state under {@code dataDir}: {@code rules/}, {@code blocklists.dat},
     * {@code risk-appetite.properties}; the velocity table is in memory (the shard logs rebuild it).
     */
    public static RiskContext open(Path dataDir, RegulatoryParameters regulatory, int velocityKeys,
            long profileCacheEntries, ZoneId zone) throws IOException {
        return open(dataDir, regulatory, velocityKeys, profileCacheEntries, zone, System::currentTimeMillis);
    }

    /**
     * As {@link #open(Path, RegulatoryParameters, int, long, ZoneId)} with the clock (epoch ms) that says which
     * regulatory version is in force when rule sets are compiled and activated (tests inject one). Decisions
     * read the version in force at their own time, so a version loaded ahead of its date applies at that date
     * without a restart.
     */
    public static RiskContext open(Path dataDir, RegulatoryParameters regulatory, int velocityKeys,
            long profileCacheEntries, ZoneId zone, LongSupplier clock) throws IOException {
        return open(dataDir, regulatory, velocityKeys, profileCacheEntries, zone, clock, DEFAULT_CONCENTRATION_KEYS);
    }

    /**
     * As {@link #open(Path, RegulatoryParameters, int, long, ZoneId, LongSupplier)} with a concentration table of
     * {@code concentrationKeys} keys (regions, industries, merchants and groups with exposure).
     */
    public static RiskContext open(Path dataDir, RegulatoryParameters regulatory, int velocityKeys,
            long profileCacheEntries, ZoneId zone, LongSupplier clock, int concentrationKeys) throws IOException {
        java.nio.file.Files.createDirectories(dataDir);
        FundingQuotas quotas = FundingQuotas.open(dataDir.resolve("funding-quotas.dat"));
        BlockLists blockLists = null;
        VelocityWindows velocity = null;
        try {
            RuleSetRegistry rules = RuleSetRegistry.open(dataDir.resolve("rules"), regulatory, clock,
                    rs -> allocator(rs, regulatory, quotas, clock.getAsLong()));
            blockLists = BlockLists.open(dataDir.resolve("blocklists.dat"));
            RiskAppetite appetite = RiskAppetite.open(dataDir.resolve("risk-appetite.properties"));
            velocity = VelocityWindows.inMemory(velocityKeys); // rebuilt from the shard logs at start-up
            Cache<String, Profile> profiles = Caffeine.newBuilder()
                    .maximumSize(profileCacheEntries)
                    .executor(Runnable::run)
                    .build();
            // the concentration table is filled from the shards' exposure records at start-up
            return new RiskContext(regulatory, rules, blockLists, appetite, velocity, profiles, zone, quotas,
                    new ConcentrationTable(concentrationKeys), true);
        } catch (IOException | RuntimeException e) {
            CloseHelper.quietCloseAll(blockLists, velocity, quotas);
            throw e;
        }
    }

    /** Opens with the shipped regulatory file and default sizes (tests, benchmarks, tools). */
    public static RiskContext openDefaults(Path dataDir) throws IOException {
        return open(dataDir, RegulatoryParameters.builtin(), 1 << 14, 10_000, ZoneId.of("Asia/Shanghai"));
    }

    /**
     * The engine of another market served beside this one: its own regulatory parameters (dates in its zone), its
     * own rule-set registry under {@code rulesDir} (its parent must exist; started from {@code rulesYaml} when
     * nothing is active there) and its own zone (hour of day, month); its funders take quota slots of their own
     * ({@code slotPrefix + id}, {@link FundingAllocator}). It shares this engine's block lists, risk appetite,
     * velocity table, profile cache, quota table and concentration table. Closing it closes nothing shared.
     */
    public RiskContext forMarket(RegulatoryParameters marketRegulatory, ZoneId marketZone, Path rulesDir,
            String rulesYaml, String slotPrefix, LongSupplier clock) throws IOException {
        RuleSetRegistry marketRules = RuleSetRegistry.open(rulesDir, marketRegulatory, clock,
                rs -> allocator(rs, marketRegulatory, quotas, clock.getAsLong(), slotPrefix), rulesYaml);
        return new RiskContext(marketRegulatory, marketRules, blockLists, appetite, velocity, profiles, marketZone,
                quotas, concentration, false);
    }

    public RegulatoryParameters regulatory() {
        return regulatory;
    }

    public RuleSetRegistry rules() {
        return rules;
    }

    public BlockLists blockLists() {
        return blockLists;
    }

    public RiskAppetite appetite() {
        return appetite;
    }

    public VelocityWindows velocity() {
        return velocity;
    }

    /** Parsed profiles by borrower id; the shard writer invalidates on every profile write. */
    public Cache<String, Profile> profiles() {
        return profiles;
    }

    public ZoneId zone() {
        return zone;
    }

    /** Exposure per region, industry, merchant and related-party group, shared by every shard. */
    public ConcentrationTable concentration() {
        return concentration;
    }

    /** Partner and platform quota counters, shared by every shard. */
    public FundingQuotas quotas() {
        return quotas;
    }

    /**
     * Builds the allocator for a rule set being activated: its funders and splits, the regulatory minimum own
     * share, and the leverage limit (leverage × the platform's net assets) in force now.
     */
    static FundingAllocator allocator(CompiledRuleSet rs, RegulatoryParameters regulatory, FundingQuotas quotas,
            long nowMs) {
        return allocator(rs, regulatory, quotas, nowMs, "");
    }

    private static FundingAllocator allocator(CompiledRuleSet rs, RegulatoryParameters regulatory,
            FundingQuotas quotas, long nowMs, String slotPrefix) {
        FundingPolicy f = rs.funding();
        RegulatoryParameters.Limits limits = regulatory.at(nowMs, rs.licence());
        int minShare = limits == null || limits.minOwnShareBps() < 0 ? FundingAllocator.DEFAULT_MIN_PLATFORM_SHARE_BPS
                : (int) limits.minOwnShareBps();
        long leverage = limits == null || limits.leverageX() < 0 ? 1 : limits.leverageX();
        long cap = Math.min(FunderSpec.MAX_TOTAL_QUOTA, Money.applyBps(f.platformNetAssetsMinor(), leverage * 10_000));
        List<FunderSpec> partners = new ArrayList<>();
        for (FundingPolicy.Funder funder : f.funders()) {
            partners.add(new FunderSpec(funder.id(), Math.min(FunderSpec.MAX_TOTAL_QUOTA, funder.totalQuotaMinor()),
                    Math.min(FunderSpec.UNLIMITED_DAILY, funder.dailyQuotaMinor())));
        }
        List<ProductFunding> products = new ArrayList<>();
        f.products().forEach((product, shares) -> products.add(new ProductFunding(Product.forNumber(product),
                shares.stream().map(s -> new ProductFunding.Share(s.funderId(), s.shareBps())).toList())));
        // Versions loaded ahead of their date: the allocator moves the split at each date (the leverage limit
        // stays the one in force at activation: the quota table holds one platform cap).
        List<FundingAllocator.LaterMinimum> later = new ArrayList<>();
        for (RegulatoryParameters.Limits l : regulatory.after(nowMs, rs.licence())) {
            int min = l.minOwnShareBps() < 0 ? FundingAllocator.DEFAULT_MIN_PLATFORM_SHARE_BPS
                    : (int) l.minOwnShareBps();
            later.add(new FundingAllocator.LaterMinimum(l.effectiveFromMs(), min));
        }
        return new FundingAllocator(quotas, partners, products, minShare, cap, later, slotPrefix);
    }

    @Override
    public void close() {
        if (!ownsShared) {
            return;
        }
        CloseHelper.quietCloseAll(blockLists, velocity, quotas);
    }
}
