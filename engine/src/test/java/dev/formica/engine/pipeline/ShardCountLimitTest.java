package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23 finding 3: {@code shards: 200} passed the configuration's check, created 200 shard directories and
 * wrote the layout file, then failed in {@link ShardRouter} ("shards must be 1..128") — and the data directory
 * could never start again, since any count up to 128 was then refused as "created with 200 shards". Every limit
 * must be checked by the configuration before a file is touched.
 */
class ShardCountLimitTest {
    @TempDir
    Path dir;

    private static EngineConfiguration small(Path dataDir, int shards) {
        return new EngineConfiguration().dataDir(dataDir).shards(shards).expectedBorrowers(10_000)
                .expectedDecisionsPerDay(100_000).velocityKeys(1 << 10);
    }

    @Test
    void shouldRefuseTooManyShardsBeforeTouchingTheDataDirectoryAndStartAfterwardsWithAValidCount()
            throws Exception {
        Path data = dir.resolve("data");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DecisionPipeline.open(small(data, 200), SystemEpochClock.INSTANCE).close());
        assertTrue(e.getMessage().contains("shards must be 1.." + EngineConfiguration.MAX_SHARDS),
                e.getMessage());
        assertFalse(Files.exists(data), "nothing may be created for a configuration that does not pass its check");

        DecisionPipeline pipeline = assertDoesNotThrow(() -> DecisionPipeline.open(small(data, 2),
                SystemEpochClock.INSTANCE), "the same data directory starts with a valid shard count");
        pipeline.close();
    }

    @Test
    void shouldRefuseTooManyShardsFromAYamlFileInTheConfigurationCheck() throws Exception {
        Path yaml = dir.resolve("formica.yaml");
        Files.writeString(yaml, "shards: 200\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(yaml);
        IllegalStateException e = assertThrows(IllegalStateException.class, c::conclude);
        assertTrue(e.getMessage().contains("shards must be 1..128, was 200"), e.getMessage());
    }

    @Test
    void shouldAgreeWithTheRouterOnTheLargestShardCount() {
        int max = EngineConfiguration.MAX_SHARDS;
        assertDoesNotThrow(() -> small(dir, max).conclude());
        assertDoesNotThrow(() -> new ShardRouter(max), "the router takes every count the configuration passes");
        assertThrows(IllegalStateException.class, () -> small(dir, max + 1).conclude());
        assertThrows(IllegalArgumentException.class, () -> new ShardRouter(max + 1));
    }
}
