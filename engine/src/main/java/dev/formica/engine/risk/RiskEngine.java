package dev.formica.engine.risk;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import org.agrona.CloseHelper;

/**
 * Everything risk logic shares across shards: the regulatory parameters, the rule-set registry (active and
 * shadow), block lists, the risk appetite, the velocity table and a cache of parsed profiles.
 *
 * <p>Thread contract: every member is safe for concurrent use; see each class.
 */
public final class RiskEngine implements AutoCloseable {
    private final RegulatoryParameters regulatory;
    private final RuleSetRegistry rules;
    private final BlockLists blockLists;
    private final RiskAppetite appetite;
    private final VelocityWindows velocity;
    private final Cache<String, Profile> profiles;
    private final ZoneId zone;

    private RiskEngine(RegulatoryParameters regulatory, RuleSetRegistry rules, BlockLists blockLists,
            RiskAppetite appetite, VelocityWindows velocity, Cache<String, Profile> profiles, ZoneId zone) {
        this.regulatory = regulatory;
        this.rules = rules;
        this.blockLists = blockLists;
        this.appetite = appetite;
        this.velocity = velocity;
        this.profiles = profiles;
        this.zone = zone;
    }

    /**
     * Opens the engine-wide risk state under {@code dataDir}: {@code rules/}, {@code blocklists.dat},
     * {@code risk-appetite.properties} and {@code velocity.dat}.
     */
    public static RiskEngine open(Path dataDir, RegulatoryParameters regulatory, int velocityKeys,
            long profileCacheEntries, ZoneId zone) throws IOException {
        RuleSetRegistry rules = RuleSetRegistry.open(dataDir.resolve("rules"), regulatory);
        BlockLists blockLists = null;
        VelocityWindows velocity = null;
        try {
            blockLists = BlockLists.open(dataDir.resolve("blocklists.dat"));
            RiskAppetite appetite = RiskAppetite.open(dataDir.resolve("risk-appetite.properties"));
            velocity = VelocityWindows.open(dataDir.resolve("velocity.dat"), velocityKeys);
            Cache<String, Profile> profiles = Caffeine.newBuilder()
                    .maximumSize(profileCacheEntries)
                    .executor(Runnable::run)
                    .build();
            return new RiskEngine(regulatory, rules, blockLists, appetite, velocity, profiles, zone);
        } catch (IOException | RuntimeException e) {
            CloseHelper.quietCloseAll(blockLists, velocity);
            throw e;
        }
    }

    /** Opens with the shipped regulatory file and default sizes (tests, benchmarks, tools). */
    public static RiskEngine openDefaults(Path dataDir) throws IOException {
        return open(dataDir, RegulatoryParameters.builtin(), 1 << 14, 10_000, ZoneId.of("Asia/Shanghai"));
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

    @Override
    public void close() {
        CloseHelper.quietCloseAll(blockLists, velocity);
    }
}
