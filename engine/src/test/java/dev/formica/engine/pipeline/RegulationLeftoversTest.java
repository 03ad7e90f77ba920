package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.RegulationBindsTest.codes;
import static dev.formica.engine.pipeline.RegulationBindsTest.gradeB;
import static dev.formica.engine.pipeline.RegulationBindsTest.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.pricing.InstallmentPlanner;
import dev.formica.engine.pricing.InstallmentSchedule;
import dev.formica.engine.risk.RuleSetRegistry;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, what the first round left: the regulation is looked up at the decision's event time, Apply's offer and
 * the shadow rule set are held under the all-in cap, and GetCreditLine names the regulatory version in force. The cap
 * is the shipped 24 % (cn-2026-all-in-cap: REGULATION.md's 15-24 % microloan band held as the ceiling, assumed date).
 */
class RegulationLeftoversTest {
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

    EngineConfiguration config() {
        return new EngineConfiguration().dataDir(dir.resolve("data")).shards(2).holdTtl(Duration.ofMinutes(15))
                .expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.CALLER_DRAINS).queueCapacity(1024);
    }

    void open(EngineConfiguration config, long nowMs) {
        clock.update(nowMs);
        pipeline = DecisionPipeline.open(config, clock);
    }

    void upsert(dev.formica.v1.Profile p) {
        FutureSink<Boolean> sink = new FutureSink<>();
        pipeline.upsert(p, sink, null);
        assertTrue(sink.get());
    }

    DecisionResponse decide(DecisionRequest r) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        pipeline.decide(r, sink, System.nanoTime(), null);
        return sink.get();
    }

    CreditOffer apply(CreditApplication a) {
        FutureSink<CreditOffer> sink = new FutureSink<>();
        pipeline.apply(a, sink, null);
        return sink.get();
    }

    /** Grade B's CASH_LOAN of 10,000.00 in one installment: 17 % APR + 50 bps fee = 2573 bps all-in (issue 20). */
    static DecisionRequest oneInstallment(String id, long eventTimeMs) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId("bea").setProduct(Product.CASH_LOAN)
                .setAmountMinor(1_000_000).setInstallments(1).setRegion("CN-31").setEventTimeMs(eventTimeMs).build();
    }

    /** Version A (no all-in cap) in force until 2026-09-01, then B with the 24 % cap. */
    static String capFromSeptember() {
        return """
                name: cn-microlending
                versions:
                  - version: A
                    effective_from: 2026-01-01
                    licences:
                      ONLINE_MICROLOAN:
                        min_own_share_bps: {value: 3000, source: "joint lending: own share >= 30 %% (REGULATION.md)"}
                  - version: B
                    effective_from: 2026-09-01
                    licences:
                      ONLINE_MICROLOAN:
                        min_own_share_bps: {value: 3000, source: "joint lending: own share >= 30 %% (REGULATION.md)"}
                        all_in_rate_cap_bps: {value: 2400, source: "all-in cost <= 24 %% (REGULATION.md band)"}
                """.formatted();
    }

    /**
     * A transaction made at 23:00 UTC on 31 August and decided at 01:00 on 1 September is judged by version A (no
     * cap); one without an event time by B (24 %: the fee is lowered); one back-dated beyond the 24 h tolerance
     * cannot pick the older, looser version.
     */
    @Test
    void shouldLookUpTheRegulationAtTheRequestsEventTimeWithinTheTolerance() throws Exception {
        Path reg = dir.resolve("reg.yaml");
        Files.writeString(reg, capFromSeptember());
        long septemberFirst = ms("2026-09-01");
        open(config().regulatoryFile(reg), septemberFirst + 3_600_000L);
        upsert(gradeB("bea"));

        DecisionResponse late = decide(oneInstallment("late", septemberFirst - 3_600_000L));
        assertEquals(Outcome.APPROVE, late.getOutcome(), late.toString());
        assertEquals("A", late.getRegulatoryVersion());
        assertEquals(2573, late.getPlan().getAnnualisedRateBps(), "no cap in version A");
        assertFalse(codes(late).contains("CAP_ALL_IN_RATE"));

        DecisionResponse now = decide(oneInstallment("now", 0));
        assertEquals("B", now.getRegulatoryVersion());
        assertTrue(now.getPlan().getAnnualisedRateBps() <= 2400, now.toString());
        assertTrue(codes(now).contains("CAP_ALL_IN_RATE"));

        DecisionResponse backDated = decide(oneInstallment("old", septemberFirst - 2 * 86_400_000L));
        assertEquals("B", backDated.getRegulatoryVersion(), "48 h back is beyond the 24 h tolerance");
        assertTrue(backDated.getPlan().getAnnualisedRateBps() <= 2400);

        DecisionResponse future = decide(oneInstallment("future", septemberFirst + 2 * 3_600_000L));
        assertEquals("B", future.getRegulatoryVersion(), "an hour ahead of the clock: the clock decides");
    }

    /**
     * A rule set pricing grades B-E at 24 % APR: a fee-free 24 % APR plan costs (1.02)^12 - 1 = 26.82 % a year, above
     * the 24 % cap, so Apply's offer for a grade-B applicant states the highest APR within the cap (the reason names
     * it); with {@code above_all_in_cap: DECLINE} the application is declined instead.
     */
    @Test
    void shouldHoldTheOfferedAprOfAnApplicationUnderThe24PercentAllInCap() throws Exception {
        Path rules = dir.resolve("steep.yaml");
        Files.writeString(rules, steep("steep-1", ""));
        open(config().rulesFile(rules), ms("2026-06-01"));
        CreditOffer offer = apply(application("o1"));
        assertEquals("steep-1", offer.getRuleSetVersion());
        assertEquals(Outcome.APPROVE, offer.getOutcome(), offer.toString());
        assertTrue(offer.getAprBps() < 2400, "lowered from 2400: " + offer.getAprBps());
        assertEquals(highestAprWithin(2400), offer.getAprBps(), "the highest APR whose fee-free plan fits 24 %");
        Reason cap = offer.getReasonsList().stream().filter(r -> r.getCode().equals("CAP_ALL_IN_RATE")).findFirst()
                .orElseThrow(() -> new AssertionError(offer.toString()));
        assertEquals("cap_bps=2400, apr_bps=2400->" + offer.getAprBps(), cap.getValue());
        assertEquals("cn-2026-all-in-cap", offer.getRegulatoryVersion());
    }

    @Test
    void shouldDeclineAnApplicationWhoseAprAloneIsAboveTheCapWhenTheRuleSetSaysDecline() throws Exception {
        Path rules = dir.resolve("steep.yaml");
        Files.writeString(rules, steep("steep-2", "  above_all_in_cap: DECLINE\n"));
        open(config().rulesFile(rules), ms("2026-06-01"));
        CreditOffer offer = apply(application("o2"));
        assertEquals(Outcome.DECLINE, offer.getOutcome(), offer.toString());
        assertEquals("CAP_ALL_IN_RATE", offer.getReasons(0).getCode());
        assertEquals("apr_bps=2400, cap_bps=2400", offer.getReasons(0).getValue());
        assertEquals(0, offer.getLineMinor());
        io.grpc.StatusRuntimeException none = org.junit.jupiter.api.Assertions.assertThrows(
                io.grpc.StatusRuntimeException.class, () -> line("bea"));
        assertEquals(io.grpc.Status.Code.NOT_FOUND, none.getStatus().getCode(), "no profile or line was written");
    }

    /**
     * The active rule set lowers the price to the cap (LOWER, the shipped default); a shadow that declines above it
     * would decline the same grade-B one-installment loan (2573 > 2400 bps): a disagreement it now counts.
     */
    @Test
    void shouldCountTheShadowRuleSetAsDecliningAboveTheAllInCap() {
        open(config(), ms("2026-06-01"));
        upsert(gradeB("bea"));
        RuleSetRegistry rules = pipeline.risk().rules();
        RuleSetCompiler.Outcome shadow = rules.compiler().compile(DefaultRuleSet.yaml()
                .replace("version: default-2026.11.1", "version: shadow-decline")
                .replace("  apr_cap_bps: 2400\n", "  apr_cap_bps: 2400\n  above_all_in_cap: DECLINE\n"));
        assertTrue(shadow.valid(), shadow.errors().toString());
        rules.publish(shadow.ruleSet(), "test", clock.time());
        rules.setShadow("shadow-decline");

        DecisionResponse within = decide(oneInstallment("twelve", RegulationBindsTest.NOON_SHANGHAI).toBuilder()
                .setInstallments(12).build());
        assertEquals(Outcome.APPROVE, within.getOutcome(), within.toString());
        assertEquals(0, rules.shadowCounts("shadow-decline").disagreements(), "12 installments fit the cap");

        DecisionResponse lowered = decide(oneInstallment("one", RegulationBindsTest.NOON_SHANGHAI));
        assertEquals(Outcome.APPROVE, lowered.getOutcome(), lowered.toString());
        assertTrue(codes(lowered).contains("CAP_ALL_IN_RATE"));
        assertEquals(2, rules.shadowCounts("shadow-decline").decisions());
        assertEquals(1, rules.shadowCounts("shadow-decline").disagreements(), "the shadow would have declined");
    }

    /** GetCreditLine names the version in force at the engine's clock, and follows it across an effective date. */
    @Test
    void shouldNameTheRegulatoryVersionInForceInGetCreditLine() {
        open(config(), ms("2026-06-01"));
        upsert(gradeB("bea"));
        assertEquals("cn-2026-all-in-cap", line("bea").getRegulatoryVersion());
        clock.update(ms("2026-07-01") + 60_000);
        assertEquals("cn-2026-regions", line("bea").getRegulatoryVersion(), "the next version from its date");
    }

    CreditLine line(String borrower) {
        FutureSink<CreditLine> sink = new FutureSink<>();
        pipeline.creditLine(GetCreditLineRequest.newBuilder().setBorrowerId(borrower).setProduct(Product.CASH_LOAN)
                .build(), sink, null);
        return sink.get();
    }

    static String steep(String version, String extra) {
        String yaml = DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: " + version)
                .replace("apr_bps: {A: 1500, B: 1700, C: 1900, D: 2150, E: 2400}",
                        "apr_bps: {A: 1500, B: 2400, C: 2400, D: 2400, E: 2400}")
                .replace("  apr_cap_bps: 2400\n", "  apr_cap_bps: 2400\n" + extra);
        assertTrue(yaml.contains("B: 2400, C: 2400"));
        return yaml;
    }

    static CreditApplication application(String id) {
        return CreditApplication.newBuilder().setRequestId(id).setBorrowerId("bea").setProduct(Product.CASH_LOAN)
                .setAnnualIncomeMinor(10_000_000).setRegion("CN-31")
                .putAllAttributes(gradeB("bea").getAttributesMap()).setEventTimeMs(RegulationBindsTest.NOON_SHANGHAI)
                .build();
    }

    /** The largest APR (bps) whose fee-free 12-installment plan of 10,000.00 is within {@code cap} bps a year. */
    static int highestAprWithin(int cap) {
        InstallmentPlanner planner = new InstallmentPlanner();
        InstallmentSchedule s = new InstallmentSchedule();
        int best = 0;
        for (int apr = 1800; apr <= 2400; apr++) {
            planner.plan(1_000_000, apr, 12, ms("2026-06-01"), List.of(), s);
            if (s.annualisedRateBps() <= cap) {
                best = apr;
            }
        }
        return best;
    }
}
