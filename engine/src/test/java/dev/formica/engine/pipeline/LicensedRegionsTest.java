package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.RegulationBindsTest.gradeB;
import static dev.formica.engine.pipeline.RegulationBindsTest.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleProblem;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, deliverable 3: where a licence may lend is regulatory data. REGULATION.md (CBIRC/PBoC 2020 draft on
 * online microloans): an online microloan company lends in its registered province, and across provinces only with
 * registered capital of at least 5 billion CNY paid in cash. A decision for a borrower outside declines with the
 * built-in OUTSIDE_LICENSED_REGION (no CEL rule involved).
 */
class LicensedRegionsTest {
    /** 5 billion CNY in fen: the 2020 draft's cross-province minimum. */
    static final long FIVE_BILLION_CNY = 500_000_000_000L;

    @TempDir
    Path dir;
    final CachedEpochClock clock = new CachedEpochClock();
    DecisionPipeline pipeline;

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    /** An online microloan licence registered in Zhejiang (CN-33) with {@code capital} paid in. */
    static String zhejiang(long capitalMinor) {
        return """
                name: cn-microlending
                versions:
                  - version: zj
                    effective_from: 2026-01-01
                    licences:
                      ONLINE_MICROLOAN:
                        min_own_share_bps: {value: 3000, source: "joint lending: own share >= 30 %% (REGULATION.md)"}
                        registered_region: {value: CN-33, source: "the licence's registered province"}
                        registered_capital_minor: {value: %d, source: "the licence's paid-in capital"}
                        cross_province_min_capital_minor:
                          value: %d
                          source: "2020 draft: cross-province online microloans need >= 5 billion CNY paid in cash"
                      BANK:
                        min_own_share_bps: {value: 3000, source: "CBIRC 2021 notice: partner share >= 30 %%"}
                        lending_regions: {value: [CN, HK], source: "a national licence, and an approval for HK"}
                """.formatted(capitalMinor, FIVE_BILLION_CNY);
    }

    static RegulatoryParameters.Limits limits(String yaml, String licence) {
        List<RuleProblem> problems = new ArrayList<>();
        RegulatoryParameters p = RegulatoryParameters.parse(yaml, problems);
        assertNotNull(p, problems.toString());
        return p.at(ms("2026-06-01"), licence);
    }

    @Test
    void shouldLendOnlyInTheRegisteredProvinceBelowTheFiveBillionCrossProvinceCapital() {
        RegulatoryParameters.Limits oneBillion = limits(zhejiang(FIVE_BILLION_CNY / 5), "ONLINE_MICROLOAN");
        assertTrue(oneBillion.lendsIn("CN-33"));
        assertTrue(oneBillion.lendsIn("cn-33"), "region codes are compared without case");
        assertFalse(oneBillion.lendsIn("CN-31"), "Shanghai is another province");
        assertFalse(oneBillion.lendsIn(""), "an unknown region cannot be placed in the province");
        assertEquals("CN-33", oneBillion.regions().describe());
    }

    @Test
    void shouldLendInEveryProvinceWithExactlyFiveBillionOfRegisteredCapital() {
        RegulatoryParameters.Limits five = limits(zhejiang(FIVE_BILLION_CNY), "ONLINE_MICROLOAN");
        assertTrue(five.lendsIn("CN-31"));
        assertTrue(five.lendsIn("CN-65"));
        assertTrue(five.lendsIn(""), "a nationwide licence takes a borrower whose region is unknown");
        assertFalse(five.lendsIn("HK"), "not another country");
        assertFalse(five.lendsIn("US-CA"));
        assertFalse(limits(zhejiang(FIVE_BILLION_CNY - 1), "ONLINE_MICROLOAN").lendsIn("CN-31"),
                "one fen short of 5 billion CNY");
    }

    @Test
    void shouldReadLendingRegionsOfANationalBankLicence() {
        RegulatoryParameters.Limits bank = limits(zhejiang(0), "BANK");
        assertTrue(bank.lendsIn("CN-44"));
        assertTrue(bank.lendsIn("HK"));
        assertFalse(bank.lendsIn("SG"));
    }

    @Test
    void shouldRefuseARegionThatIsNotAnIsoCode() {
        List<RuleProblem> problems = new ArrayList<>();
        assertEquals(null, RegulatoryParameters.parse(zhejiang(1).replace("value: CN-33", "value: Zhejiang"),
                problems));
        assertTrue(problems.toString().contains("registered_region.value: 'Zhejiang' is not an ISO 3166-2"),
                problems.toString());
    }

    @Test
    void shouldShipALicenceThatLendsAcrossProvincesFromTheRegionsVersion() {
        RegulatoryParameters shipped = RegulatoryParameters.builtin();
        RegulatoryParameters.Limits before = shipped.at(ms("2026-06-01"), "ONLINE_MICROLOAN");
        assertFalse(before.regions().restricted(), "cn-2026-all-in-cap has no region rule");
        RegulatoryParameters.Limits regions = shipped.at(ms("2026-07-01"), "ONLINE_MICROLOAN");
        assertEquals("cn-2026-regions", regions.version());
        assertTrue(regions.regions().crossProvince(), "12 billion CNY registered >= 5 billion");
        assertTrue(regions.lendsIn("CN-31"));
        assertFalse(regions.lendsIn("HK"));
    }

    // ---- decisions ------------------------------------------------------------------------------------------------

    void open(Path regulatory) {
        clock.update(ms("2026-06-01"));
        pipeline = DecisionPipeline.open(new EngineConfiguration().dataDir(dir.resolve("data")).shards(2)
                .holdTtl(Duration.ofMinutes(15)).expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.CALLER_DRAINS).queueCapacity(1024)
                .regulatoryFile(regulatory), clock);
    }

    DecisionResponse decide(DecisionRequest r) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        pipeline.decide(r, sink, System.nanoTime(), null);
        return sink.get();
    }

    static DecisionRequest loan(String id, String borrower) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId(borrower).setProduct(Product.CASH_LOAN)
                .setAmountMinor(500_000).setInstallments(12).setRegion("CN-33")
                .setEventTimeMs(RegulationBindsTest.NOON_SHANGHAI).build();
    }

    @Test
    void shouldDeclineABorrowerOutsideTheRegisteredProvinceWithTheBuiltInReason() throws Exception {
        Path reg = dir.resolve("zj.yaml");
        Files.writeString(reg, zhejiang(FIVE_BILLION_CNY / 5));
        open(reg);
        FutureSink<Boolean> sink = new FutureSink<>();
        pipeline.upsert(gradeB("sh").toBuilder().setRegion("CN-31").build(), sink, null);
        sink.get();
        FutureSink<Boolean> sink2 = new FutureSink<>();
        pipeline.upsert(gradeB("zj").toBuilder().setRegion("CN-33").build(), sink2, null);
        sink2.get();

        DecisionResponse outside = decide(loan("d1", "sh"));
        assertEquals(Outcome.DECLINE, outside.getOutcome(), outside.toString());
        assertEquals("OUTSIDE_LICENSED_REGION", outside.getReasons(0).getCode());
        assertEquals("region=CN-31, licensed=CN-33", outside.getReasons(0).getValue(),
                "the borrower's registered region decides, not the transaction's (CN-33)");
        assertTrue(outside.getHoldId().isEmpty());
        assertEquals("zj", outside.getRegulatoryVersion());

        DecisionResponse inside = decide(loan("d2", "zj"));
        assertEquals(Outcome.APPROVE, inside.getOutcome(), inside.toString());

        FutureSink<CreditOffer> offer = new FutureSink<>();
        pipeline.apply(CreditApplication.newBuilder().setRequestId("a1").setBorrowerId("new-sh")
                .setProduct(Product.CASH_LOAN).setAnnualIncomeMinor(10_000_000).setRegion("CN-31")
                .putAllAttributes(gradeB("x").getAttributesMap()).build(), offer, null);
        CreditOffer declined = offer.get();
        assertEquals(Outcome.DECLINE, declined.getOutcome(), declined.toString());
        assertEquals("OUTSIDE_LICENSED_REGION", declined.getReasons(0).getCode());
    }
}
