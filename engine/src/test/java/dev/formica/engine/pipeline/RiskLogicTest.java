package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.risk.BlockLists;
import dev.formica.engine.risk.RuleSetRegistry;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Grade;
import dev.formica.v1.Installment;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.Reason;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import dev.formica.v1.RiskEventType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped default rule set through the real pipeline: each rule kind, each cap, pricing and funding. */
class RiskLogicTest {
    @TempDir
    Path dir;
    PipelineFixture f;

    @BeforeEach
    void open() {
        f = new PipelineFixture(dir, EngineConfiguration.ShardMode.CALLER_DRAINS, false);
    }

    @AfterEach
    void close() {
        f.close();
    }

    static AttributeValue i(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    static AttributeValue s(String v) {
        return AttributeValue.newBuilder().setStringValue(v).build();
    }

    /** A good borrower: grade A or B with the default scorecard. */
    Profile.Builder goodBorrower(String id, long lineMinor) {
        return Profile.newBuilder().setBorrowerId(id).setRegion("CN-31").setAnnualIncomeMinor(30_000_000)
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(lineMinor))
                .putAttributes("bureau.active_lenders", i(0)).putAttributes("bureau.months_on_book", i(80))
                .putAttributes("bureau.overdue_24m", i(0)).putAttributes("bureau.max_dpd_12m", i(0))
                .putAttributes("employment.months", i(60)).putAttributes("housing", s("own"))
                .putAttributes("age", i(35)).putAttributes("kyc.level", i(3));
    }

    void upsert(Profile p) {
        FutureSink<Boolean> sink = new FutureSink<>();
        f.pipeline.upsert(p, sink, null);
        sink.get();
    }

    DecisionResponse decide(DecisionRequest.Builder r) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        f.pipeline.decide(r.build(), sink, System.nanoTime(), null);
        return sink.get();
    }

    static DecisionRequest.Builder request(String id, String borrower, long amount) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).setRegion("CN-31");
    }

    static List<String> codes(List<Reason> reasons) {
        return reasons.stream().map(Reason::getCode).toList();
    }

    @Test
    void shouldApprovePriceAndFundAGoodBorrower() {
        upsert(goodBorrower("alice", 1_000_000).build());
        DecisionResponse r = decide(request("r1", "alice", 120_000).setInstallments(12).setDeviceId("d1"));
        assertEquals(Outcome.APPROVE, r.getOutcome(), r.toString());
        assertTrue(r.getScore() >= 640, "score " + r.getScore());
        assertTrue(r.getGrade() == Grade.GRADE_A || r.getGrade() == Grade.GRADE_B);
        assertEquals("default-2026.11.1", r.getRuleSetVersion());
        assertEquals("cn-2026-all-in-cap", r.getRegulatoryVersion());
        assertTrue(r.getAprBps() >= 1500 && r.getAprBps() <= 2400);
        assertEquals(12, r.getPlan().getInstallments());
        assertEquals(120_000, r.getPlan().getPeriodsList().stream().mapToLong(Installment::getPrincipalMinor).sum());
        assertEquals(r.getPlan().getTotalInterestMinor() + r.getPlan().getTotalFeesMinor(),
                r.getPlan().getTotalCostMinor());
        assertTrue(r.getPlan().getAnnualisedRateBps() > r.getAprBps(), "fees and compounding raise the rate");
        long funded = r.getFundingList().stream().mapToLong(FundingShare::getAmountMinor).sum();
        assertEquals(120_000, funded);
        FundingShare platform = r.getFundingList().stream().filter(s -> s.getFunderId().equals("platform"))
                .findFirst().orElseThrow();
        assertTrue(platform.getShareBps() >= 3000, "platform share " + platform.getShareBps());
        assertFalse(r.getContributionsList().isEmpty());
    }

    @Test
    void shouldDeclineOnABlockListWithTheValueThatFired() {
        upsert(goodBorrower("bob", 1_000_000).build());
        f.pipeline.risk().blockLists().update(BlockLists.Kind.DEVICE, List.of("stolen-phone"), List.of(), 0);
        DecisionResponse r = decide(request("r1", "bob", 10_000).setDeviceId("stolen-phone"));
        assertEquals(Outcome.DECLINE, r.getOutcome());
        Reason reason = r.getReasons(0);
        assertEquals("BLOCKLIST_DEVICE", reason.getCode());
        assertEquals("blocked.device=true", reason.getValue());
        assertEquals(0, f.line("bob").getHeldMinor(), "a decline reserves nothing");
        assertEquals("", r.getHoldId());
        assertEquals(Outcome.APPROVE, decide(request("r2", "bob", 10_000).setDeviceId("own-phone")).getOutcome());
    }

    @Test
    void shouldDeclineAVelocityBurstOfOneBorrower() {
        upsert(goodBorrower("carol", 10_000_000).build());
        for (int k = 1; k <= 5; k++) {
            assertEquals(Outcome.APPROVE, decide(request("v" + k, "carol", 1_000).setDeviceId("d")).getOutcome());
        }
        DecisionResponse sixth = decide(request("v6", "carol", 1_000).setDeviceId("d"));
        assertEquals(Outcome.DECLINE, sixth.getOutcome());
        assertTrue(codes(sixth.getReasonsList()).contains("VELOCITY_BORROWER_1M"), sixth.toString());
        f.clock.update(f.clock.time() + 120_000);
        assertEquals(Outcome.APPROVE, decide(request("v7", "carol", 1_000).setDeviceId("d")).getOutcome(),
                "the one-minute window moves on");
    }

    @Test
    void shouldDeclineOneDeviceAcrossManyBorrowers() {
        DecisionResponse last = null;
        for (int k = 0; k < 9; k++) {
            upsert(goodBorrower("m" + k, 1_000_000).build());
            last = decide(request("d" + k, "m" + k, 1_000).setDeviceId("farm-device"));
        }
        assertEquals(Outcome.DECLINE, last.getOutcome());
        assertTrue(codes(last.getReasonsList()).contains("VELOCITY_DEVICE_1M"));
    }

    @Test
    void shouldReviewATaggedAndReviewedTransactionWithoutAHold() {
        upsert(goodBorrower("dan", 1_000_000).build());
        DecisionResponse tagged = decide(request("t1", "dan", 5_000).setRegion("CN-11"));
        assertEquals(Outcome.APPROVE, tagged.getOutcome(), "a TAG rule explains but does not stop");
        assertTrue(codes(tagged.getReasonsList()).contains("REGION_MISMATCH"));
        DecisionResponse review = decide(request("t2", "dan", 5_000).putAttributes("ip.country", s("US")));
        assertEquals(Outcome.REVIEW, review.getOutcome());
        assertEquals("IP_FOREIGN", review.getReasons(0).getCode());
        assertEquals("", review.getHoldId());
    }

    @Test
    void shouldDeclineOverBorrowingFromBureauData() {
        upsert(goodBorrower("erin", 1_000_000).putAttributes("bureau.active_lenders", i(6)).build());
        DecisionResponse r = decide(request("b1", "erin", 5_000));
        assertEquals(Outcome.DECLINE, r.getOutcome());
        assertTrue(codes(r.getReasonsList()).contains("MULTI_LENDER"));
        assertEquals("bureau.active_lenders", r.getContributions(0).getAttribute(), "the largest contribution first");
        assertEquals(-60, r.getContributions(0).getPoints());
    }

    @Test
    void shouldNameTheBindingCap() {
        upsert(goodBorrower("hh", 30_000_000).setAnnualIncomeMinor(200_000_000).build());
        DecisionResponse household = decide(request("c1", "hh", 25_000_000));
        assertEquals("CAP_REGULATORY_HOUSEHOLD", household.getReasons(0).getCode());
        assertEquals("headroom_minor=20000000", household.getReasons(0).getValue());

        upsert(goodBorrower("inc", 2_000_000).setAnnualIncomeMinor(1_000_000).build());
        assertEquals("CAP_INCOME_RATIO", decide(request("c2", "inc", 600_000)).getReasons(0).getCode());

        upsert(goodBorrower("self", 2_000_000).setSelfLimitMinor(100_000).build());
        assertEquals("CAP_SELF_LIMIT", decide(request("c3", "self", 150_000)).getReasons(0).getCode());

        upsert(goodBorrower("line", 100_000).build());
        DecisionResponse insufficient = decide(request("c4", "line", 150_000));
        assertEquals("INSUFFICIENT_LINE", insufficient.getReasons(0).getCode());
        assertEquals("available_minor=100000", insufficient.getReasons(0).getValue());
    }

    @Test
    void shouldLowerNewApprovalsWithTheRiskAppetiteButKeepDrawnBalances() {
        upsert(goodBorrower("ra", 1_000_000).build());
        f.pipeline.risk().appetite().set(0, 5_000, "downturn drill", 0);
        DecisionResponse big = decide(request("a1", "ra", 600_000));
        assertEquals(Outcome.DECLINE, big.getOutcome());
        assertEquals("RISK_APPETITE", big.getReasons(0).getCode());
        assertEquals(Outcome.APPROVE, decide(request("a2", "ra", 400_000)).getOutcome());
        assertEquals(1_000_000, f.line("ra").getLineMinor(), "the line itself is not touched");
    }

    @Test
    void shouldAssignAGradedCappedLineOnApplyAndExplainIt() {
        CreditOffer offer = apply(CreditApplication.newBuilder().setRequestId("app1").setBorrowerId("newbie")
                .setProduct(Product.CONSUMER_CREDIT).setAnnualIncomeMinor(50_000_000).setRegion("CN-44")
                .putAllAttributes(goodBorrower("x", 0).getAttributesMap()).build());
        assertEquals(Outcome.APPROVE, offer.getOutcome(), offer.toString());
        assertEquals("CAP_PRODUCT", offer.getReasons(0).getCode(), "income x multiple exceeds the 50,000 CNY cap");
        assertEquals(5_000_000, offer.getLineMinor());
        assertEquals(offer.getContributionsCount(), 12);
        assertTrue(Math.abs(offer.getContributions(0).getPoints()) >= Math.abs(offer.getContributions(1).getPoints()));
        var line = f.line("newbie");
        assertEquals(5_000_000, line.getLineMinor());
        assertEquals(offer.getGrade(), line.getGrade());
        CreditOffer again = apply(CreditApplication.newBuilder().setRequestId("app1").setBorrowerId("newbie")
                .setProduct(Product.CONSUMER_CREDIT).setAnnualIncomeMinor(50_000_000).setRegion("CN-44")
                .putAllAttributes(goodBorrower("x", 0).getAttributesMap()).build());
        assertTrue(again.getReplayed());
        assertEquals(offer.getLineMinor(), again.getLineMinor());
        FutureSink<CreditOffer> changed = new FutureSink<>();
        f.pipeline.apply(CreditApplication.newBuilder().setRequestId("app1").setBorrowerId("newbie")
                .setProduct(Product.CONSUMER_CREDIT).setAnnualIncomeMinor(1).build(), changed, null);
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, changed.errorCode(),
                "the same request id with another income is a different application");

        CreditOffer poor = apply(CreditApplication.newBuilder().setRequestId("app2").setBorrowerId("poor")
                .setProduct(Product.CONSUMER_CREDIT).setAnnualIncomeMinor(50_000_000)
                .putAttributes("bureau.max_dpd_12m", i(120)).putAttributes("bureau.overdue_24m", i(5)).build());
        assertEquals(Outcome.DECLINE, poor.getOutcome());
        assertEquals(Grade.GRADE_E, poor.getGrade());
    }

    CreditOffer apply(CreditApplication a) {
        FutureSink<CreditOffer> sink = new FutureSink<>();
        f.pipeline.apply(a, sink, null);
        return sink.get();
    }

    @Test
    void shouldReturnTheStoredExplanationByRequestId() {
        upsert(goodBorrower("gd", 1_000_000).build());
        DecisionResponse r = decide(request("explain-me", "gd", 5_000).setRegion("CN-11"));
        DecisionResponse stored = f.pipeline.storedDecision("explain-me", "gd");
        assertTrue(stored.getReplayed());
        assertEquals(r.getReasonsList(), stored.getReasonsList());
        assertEquals(r.getContributionsList(), stored.getContributionsList());
        assertEquals(r.getRuleSetVersion(), stored.getRuleSetVersion());
    }

    @Test
    void shouldCountShadowDisagreementsOnly() {
        RuleSetRegistry rules = f.pipeline.risk().rules();
        String declineAll = DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: shadow-strict")
                .replace("fraud:\n",
                        "fraud:\n  - {code: STRICT, action: DECLINE, when: \"amount_minor > 0\", text: x}\n");
        RuleSetCompiler.Outcome o = rules.compiler().compile(declineAll);
        assertTrue(o.valid(), o.errors().toString());
        rules.publish(o.ruleSet(), "test", 0);
        rules.setShadow("shadow-strict");
        upsert(goodBorrower("sh", 1_000_000).build());
        for (int k = 0; k < 3; k++) {
            assertEquals(Outcome.APPROVE, decide(request("s" + k, "sh", 1_000)).getOutcome(),
                    "the shadow never changes the live answer");
        }
        RuleSetRegistry.ShadowCounts counts = rules.shadowCounts("shadow-strict");
        assertEquals(3, counts.decisions());
        assertEquals(3, counts.disagreements());
        rules.setShadow("default-2026.11.1");
        assertEquals(Outcome.APPROVE, decide(request("s9", "sh", 1_000)).getOutcome());
        assertNotNull(rules.shadowCounts("default-2026.11.1"));
        assertEquals(0, rules.shadowCounts("default-2026.11.1").decisions(), "the active set is not its own shadow");
    }

    static Map<String, AttributeValue> none() {
        return Map.of();
    }

    RiskEventResponse event(RiskEvent.Builder e) {
        FutureSink<RiskEventResponse> sink = new FutureSink<>();
        f.pipeline.riskEvent(e.build(), sink, null);
        return sink.get();
    }

    @Test
    void shouldCutFreezeWatchAndRestoreLinesOnRiskEvents() {
        upsert(goodBorrower("late", 1_000_000).build());
        RiskEventResponse cut = event(RiskEvent.newBuilder().setRequestId("e1").setBorrowerId("late")
                .setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(10).setAmountMinor(50_000));
        assertEquals("CUT", cut.getAction());
        assertEquals(500_000, cut.getLines(0).getLineMinor(), "halved from the assigned line");
        assertEquals(List.of("OVERDUE_CUT", "OVERDUE_WATCH"), codes(cut.getReasonsList()));
        assertEquals("event.days_past_due=10", cut.getReasons(0).getValue());
        var line = f.line("late");
        assertEquals(500_000, line.getLineMinor());
        assertTrue(codes(line.getReasonsList()).contains("OVERDUE_CUT"), "GetCreditLine says why");

        RiskEventResponse frozen = event(RiskEvent.newBuilder().setRequestId("e2").setBorrowerId("late")
                .setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(45));
        assertEquals("FREEZE", frozen.getAction());
        assertTrue(f.line("late").getFrozen());
        assertEquals("LINE_FROZEN", decide(request("after-freeze", "late", 1_000)).getReasons(0).getCode());

        RiskEventResponse cured = event(RiskEvent.newBuilder().setRequestId("e3").setBorrowerId("late")
                .setType(RiskEventType.RISK_EVENT_TYPE_REPAID).setAmountMinor(50_000));
        assertEquals("RESTORE", cured.getAction());
        assertFalse(f.line("late").getFrozen());
        assertEquals(1_000_000, f.line("late").getLineMinor());
        assertEquals(Outcome.APPROVE, decide(request("after-cure", "late", 1_000)).getOutcome());
        assertTrue(event(RiskEvent.newBuilder().setRequestId("e1").setBorrowerId("late")
                .setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(10).setAmountMinor(50_000))
                .getReplayed());
    }

    @Test
    void shouldSendTheNextDecisionsToReviewWhileOnWatch() {
        upsert(goodBorrower("slow", 1_000_000).build());
        assertEquals("WATCH", event(RiskEvent.newBuilder().setRequestId("w1").setBorrowerId("slow")
                .setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(2)).getAction());
        DecisionResponse r = decide(request("w-d1", "slow", 1_000));
        assertEquals(Outcome.REVIEW, r.getOutcome());
        assertTrue(codes(r.getReasonsList()).contains("WATCH_LIST"));
    }
}
