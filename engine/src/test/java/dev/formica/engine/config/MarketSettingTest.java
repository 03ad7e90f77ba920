package dev.formica.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code markets} setting: read from a file and from the environment, checked at start-up. */
class MarketSettingTest {
    @TempDir
    Path dir;

    static final String ID = "{code: ID, currency: IDR, timeZone: Asia/Jakarta,"
            + " regulatory: 'classpath:regulatory/id-lpbbti.yaml', rules: 'classpath:rules/id-default.yaml'}";

    @Test
    void shouldReadTheListFromAFileAndFromTheEnvironment() throws Exception {
        Path file = dir.resolve("formica.yaml");
        Files.writeString(file, "markets:\n  - {code: CN, currency: CNY, timeZone: Asia/Shanghai}\n  - " + ID + "\n");
        EngineConfiguration c = EngineConfiguration.fromYaml(file).conclude();
        assertEquals(List.of("CN", "ID"), c.markets().stream().map(MarketSetting::code).toList());
        assertEquals("IDR", c.markets().get(1).currency());
        assertEquals("classpath:rules/id-default.yaml", c.markets().get(1).rules());
        assertEquals(null, c.markets().get(0).regulatory(), "the shipped CN file");
        assertTrue(c.describe().contains("code:ID"), c.describe());

        EngineConfiguration env = new EngineConfiguration().applyEnvironment(Map.of("FORMICA_MARKETS",
                "[{code: CN, currency: CNY, timeZone: Asia/Shanghai}, " + ID + "]")).conclude();
        assertEquals(c.markets(), env.markets());
        assertTrue(new EngineConfiguration().conclude().markets().isEmpty(), "one market by default");
    }

    @Test
    void shouldRefuseABadEntryNamingIt() {
        assertProblem("markets.ID.currency must be an ISO 4217 code", "[{code: ID, currency: IDX, timeZone: UTC}]");
        assertProblem("markets.ID.timeZone 'Asia/Atlantis'", "[{code: ID, currency: IDR, timeZone: Asia/Atlantis}]");
        assertProblem("markets.ID is listed twice", "[{code: ID, currency: IDR, timeZone: UTC}, "
                + "{code: ID, currency: IDR, timeZone: UTC}]");
        assertProblem("markets[0].code must be 2..8 upper-case letters", "[{code: id, currency: IDR, timeZone: UTC}]");
        assertProblem("markets.ID: file /no/such.yaml does not exist",
                "[{code: ID, currency: IDR, timeZone: UTC, regulatory: /no/such.yaml}]");
        IllegalArgumentException unknownKey = assertThrows(IllegalArgumentException.class,
                () -> MarketSetting.parse("[{code: ID, currency: IDR, zone: UTC}]"));
        assertTrue(unknownKey.getMessage().contains("unknown key 'zone'"), unknownKey.getMessage());
    }

    @Test
    void shouldRefuseTheOneMarketSettingsBesideMarkets() throws Exception {
        Path file = dir.resolve("both.yaml");
        Files.writeString(file, "currency: CNY\nmarkets:\n  - {code: CN, currency: CNY, timeZone: Asia/Shanghai}\n");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> EngineConfiguration.fromYaml(file).conclude());
        assertTrue(e.getMessage().contains("currency is set beside markets"), e.getMessage());
    }

    private static void assertProblem(String expected, String yaml) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new EngineConfiguration().markets(MarketSetting.parse(yaml)).conclude());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
