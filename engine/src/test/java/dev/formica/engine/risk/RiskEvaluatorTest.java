package dev.formica.engine.risk;

import static dev.formica.engine.risk.OneVersion.limits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.EarlyWarningRule;
import dev.formica.engine.rules.Features;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import dev.formica.v1.Profile;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventType;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RiskEvaluator} on its own, against the shipped default rule set and one shard's state in memory (the
 * shard's stores are in-memory Chronicle Maps; the engine-wide risk state lives in a temporary directory): the cap
 * chain of {@code fits} (which cap binds, in which order, with what headroom), the scorecard's points and grades,
 * the rules that fire, the velocity count, and the early-warning rules. Each expected number is worked out from
 * {@code rules/default.yaml} or from the limits written in the test.
 */
class RiskEvaluatorTest {
    private static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
    /** Monday 15 June 2026, 12:00 in Shanghai: not a seasonal month, not night. */
    private static final long JUNE = ZonedDateTime.of(2026, 6, 15, 12, 0, 0, 0, ZONE).toInstant().toEpochMilli();
    private static final long OCTOBER = ZonedDateTime.of(2026, 10, 15, 12, 0, 0, 0, ZONE).toInstant().toEpochMilli();
    private static final int CONSUMER = Product.CONSUMER_CREDIT_VALUE;
    private static final int CASH = Product.CASH_LOAN_VALUE;
    private static final int BUSINESS = Product.BUSINESS_LOAN_VALUE;

    @TempDir
    Path dir;

    private RiskContext risk;
    private ShardState state;
    private RiskEvaluator eval;
    private CompiledRuleSet rules;
    private final LedgerSnapshot line = new LedgerSnapshot();
    private int requests;

    @BeforeEach
    void open() throws Exception {
        risk = RiskContext.open(dir.resolve("risk"), RegulatoryParameters.builtin(), 1 << 10, 100, ZONE, () -> JUNE);
        state = ShardState.open(dir.resolve("shard-0"), StateConfig.defaults().withSizes(1000, 1000, 1000), JUNE);
        eval = new RiskEvaluator(risk);
        rules = risk.rules().active();
    }

    @AfterEach
    void close() throws Exception {
        state.close();
        risk.close();
    }

    // ---- fixtures ---------------------------------------------------------------------------------

    /** A ledger line of {@code lineMinor} with {@code drawnMinor} already drawn. */
    private void lineOf(String borrower, int product, long lineMinor, long drawnMinor) {
        state.ledger().putLine(borrower, product, lineMinor, JUNE);
        if (drawnMinor > 0) {
            state.ledger().apply(borrower, product, 0, drawnMinor, JUNE);
        }
    }

    private static DecisionRequest.Builder request(String borrower, int product, long amount) {
        return DecisionRequest.newBuilder().setBorrowerId(borrower).setProductValue(product).setAmountMinor(amount)
                .setInstallments(3).setCurrency("CNY");
    }

    /** Fills the features of a decision on the borrower's stored line, as the shard does before the rules. */
    private void evaluate(DecisionRequest.Builder r, Profile profile, long nowMs, boolean count) {
        DecisionRequest request = r.setRequestId("r" + ++requests).build();
        state.ledger().get(request.getBorrowerId(), request.getProductValue(), line);
        eval.decision(rules, request, profile, line, state, nowMs, count);
    }

    /** Evaluates the decision, then asks whether {@code amount} fits; the line read is the stored one. */
    private boolean fits(DecisionRequest.Builder r, Profile profile, long nowMs, int appetiteBps,
            RegulatoryParameters.Limits limits) {
        evaluate(r, profile, nowMs, false);
        DecisionRequest request = r.build();
        return eval.fits(rules, request.getProductValue(), request.getAmountMinor(), line, appetiteBps, limits);
    }

    private boolean fits(DecisionRequest.Builder r, Profile profile, RegulatoryParameters.Limits limits) {
        return fits(r, profile, JUNE, RiskAppetite.NEUTRAL_BPS, limits);
    }

    private static Profile profile(String borrower, long incomeMinor, long selfLimitMinor) {
        return Profile.newBuilder().setBorrowerId(borrower).setAnnualIncomeMinor(incomeMinor)
                .setSelfLimitMinor(selfLimitMinor).build();
    }

    private static AttributeValue integer(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    private static AttributeValue text(String v) {
        return AttributeValue.newBuilder().setStringValue(v).build();
    }

    private List<String> firedCodes() {
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < eval.firedCount(); i++) {
            codes.add(eval.fired(rules, i).code());
        }
        return codes;
    }

    // ---- the cap chain ----------------------------------------------------------------------------

    @Test
    void shouldRefuseAnAmountAboveTheAvailableLineAndNameTheAvailableAmount() {
        lineOf("ann", CONSUMER, 1_000_000, 300_000);
        assertFalse(fits(request("ann", CONSUMER, 700_001), null, null));
        assertEquals("INSUFFICIENT_LINE", eval.capCode());
        assertEquals(700_000, eval.capLimit());

        assertTrue(fits(request("ann", CONSUMER, 700_000), null, null), "the whole available line fits");
        assertNull(eval.capCode(), "nothing binds");
        assertEquals(1_000_000, eval.effectiveLine());
    }

    @Test
    void shouldLetALoweredRiskAppetiteBindBelowTheLine() {
        lineOf("ben", CONSUMER, 1_000_000, 200_000);
        // half the line may be used: 500,000 − 200,000 used = 300,000 of headroom
        assertFalse(fits(request("ben", CONSUMER, 300_001), null, JUNE, 5_000, null));
        assertEquals("RISK_APPETITE", eval.capCode());
        assertEquals(300_000, eval.capLimit());
        assertTrue(eval.capText().contains("5000 bps"), eval.capText());

        assertTrue(fits(request("ben", CONSUMER, 300_000), null, JUNE, 5_000, null));
        assertTrue(fits(request("ben", CONSUMER, 300_001), null, JUNE, RiskAppetite.NEUTRAL_BPS, null),
                "a neutral appetite leaves the line alone");
    }

    @Test
    void shouldCapConsumerBalancesAcrossBothConsumerProductsAndLeaveTheBusinessLoanOut() {
        RegulatoryParameters.Limits cap = limits("consumer_balance_cap_minor=1000000");
        lineOf("cai", CASH, 1_000_000, 600_000);
        lineOf("cai", BUSINESS, 10_000_000, 5_000_000);
        lineOf("cai", CONSUMER, 2_000_000, 0);

        assertFalse(fits(request("cai", CONSUMER, 400_001), null, cap));
        assertEquals("CAP_REGULATORY_HOUSEHOLD", eval.capCode());
        assertEquals(400_000, eval.capLimit(), "1,000,000 minus the cash loan's 600,000");
        assertTrue(eval.capText().contains("test-v1"), "the reason names the regulatory version: " + eval.capText());
        assertEquals(600_000, eval.consumerBalance());
        assertEquals(5_000_000, eval.businessBalance());

        assertTrue(fits(request("cai", CONSUMER, 400_000), null, cap), "the business loan does not count");
    }

    @Test
    void shouldCapTheBusinessBalanceOnlyForTheBusinessLoan() {
        RegulatoryParameters.Limits cap = limits("consumer_balance_cap_minor=1000000",
                "business_balance_cap_minor=2000000");
        lineOf("dai", CONSUMER, 1_000_000, 900_000);
        lineOf("dai", BUSINESS, 5_000_000, 1_500_000);

        assertFalse(fits(request("dai", BUSINESS, 500_001), null, cap));
        assertEquals("CAP_REGULATORY_BUSINESS", eval.capCode());
        assertEquals(500_000, eval.capLimit());
        assertTrue(fits(request("dai", BUSINESS, 500_000), null, cap),
                "the consumer cap, 100,000 from its limit, does not apply to a business loan");
    }

    @Test
    void shouldApplyTheRegulatoryIncomeRatioToConsumerBalancesBeforeTheRuleSetsOwnCap() {
        RegulatoryParameters.Limits cap = limits("income_ratio_cap_bps=3333");
        lineOf("eva", CASH, 1_000_000, 500_000);
        lineOf("eva", BUSINESS, 5_000_000, 2_000_000);
        lineOf("eva", CONSUMER, 2_000_000, 0);
        Profile income = profile("eva", 3_000_000, 0);

        // 3,000,000 × 33.33 % = 999,900 for consumer balances; 500,000 of it is used
        assertFalse(fits(request("eva", CONSUMER, 499_901), income, cap));
        assertEquals("CAP_REGULATORY_INCOME", eval.capCode(),
                "the rule set's income cap (all balances ≤ 50 %) binds too, but later in the chain");
        assertEquals(499_900, eval.capLimit());

        assertFalse(fits(request("eva", CONSUMER, 499_900), income, cap), "the rule set's cap still binds");
        assertEquals("CAP_INCOME_RATIO", eval.capCode());

        assertTrue(fits(request("eva", CONSUMER, 499_901), profile("eva", 0, 0), cap),
                "neither income cap applies without a known income");
    }

    @Test
    void shouldCapOneBorrowersBalanceAgainstTheLendersNetAssets() {
        // 0.01 % of the default rule set's 2 billion CNY of net assets = 200,000 CNY
        RegulatoryParameters.Limits cap = limits("single_borrower_net_assets_bps=1");
        lineOf("fan", BUSINESS, 30_000_000, 15_000_000);
        lineOf("fan", CONSUMER, 10_000_000, 0);

        assertFalse(fits(request("fan", CONSUMER, 5_000_001), null, cap));
        assertEquals("CAP_REGULATORY_NET_ASSETS", eval.capCode());
        assertEquals(5_000_000, eval.capLimit(), "all products count: 20,000,000 − the business loan's 15,000,000");
        assertEquals(15_000_000, eval.totalBalance());
    }

    @Test
    void shouldCapAllBalancesAgainstIncomeByTheRuleSetWhenNoRegulationApplies() {
        lineOf("gao", BUSINESS, 5_000_000, 1_500_000);
        lineOf("gao", CONSUMER, 5_000_000, 0);
        Profile income = profile("gao", 4_000_000, 0);

        // CONSUMER_CREDIT's income_ratio_cap_bps 5000: 2,000,000 for every balance, the business loan's included
        assertFalse(fits(request("gao", CONSUMER, 500_001), income, null));
        assertEquals("CAP_INCOME_RATIO", eval.capCode());
        assertEquals(500_000, eval.capLimit());
        assertTrue(fits(request("gao", CONSUMER, 500_000), income, null));
    }

    @Test
    void shouldHoldTheBorrowersOwnLimit() {
        lineOf("hu", CASH, 1_000_000, 100_000);
        lineOf("hu", CONSUMER, 1_000_000, 0);
        Profile selfLimited = profile("hu", 0, 300_000);

        assertFalse(fits(request("hu", CONSUMER, 200_001), selfLimited, null));
        assertEquals("CAP_SELF_LIMIT", eval.capCode());
        assertEquals(200_000, eval.capLimit());
        assertTrue(fits(request("hu", CONSUMER, 200_000), selfLimited, null));
        assertTrue(fits(request("hu", CONSUMER, 200_001), profile("hu", 0, 0), null), "no own limit set");
    }

    @Test
    void shouldRaiseAWholesaleMerchantsBusinessLineInTheSeasonalMonthsAndBackItWithVerifiedOrders() {
        lineOf("ivy", BUSINESS, 1_000_000, 0);
        DecisionRequest.Builder wholesale = request("ivy", BUSINESS, 1_300_000).setEventTimeMs(OCTOBER)
                .putAttributes("merchant.wholesale", AttributeValue.newBuilder().setBoolValue(true).build());

        assertTrue(fits(wholesale, null, OCTOBER, RiskAppetite.NEUTRAL_BPS, null), "October: the line +30 %");
        assertEquals(1_300_000, eval.effectiveLine());

        assertFalse(fits(wholesale.setEventTimeMs(JUNE), null, JUNE, RiskAppetite.NEUTRAL_BPS, null),
                "June is not a seasonal month");
        assertEquals("INSUFFICIENT_LINE", eval.capCode());
        assertEquals(1_000_000, eval.capLimit());

        DecisionRequest.Builder backed = request("ivy", BUSINESS, 1_700_000).setEventTimeMs(JUNE)
                .putAttributes("orders.verified_minor", integer(1_000_000));
        assertTrue(fits(backed, null, JUNE, RiskAppetite.NEUTRAL_BPS, null), "70 % of verified orders on top");
        assertEquals(1_700_000, eval.effectiveLine());
    }

    // ---- the scorecard, grades and credit rules -----------------------------------------------------

    private static Map<String, AttributeValue> strongBureau() {
        return Map.of("bureau.active_lenders", integer(0), "bureau.months_on_book", integer(72),
                "bureau.overdue_24m", integer(0), "bureau.max_dpd_12m", integer(0), "bureau.inquiries_3m", integer(0),
                "bureau.debt_to_income_bps", integer(1_000), "employment.months", integer(36),
                "housing", text("own"), "age", integer(35), "kyc.level", integer(3));
    }

    @Test
    void shouldScoreAStrongApplicantGradeAWithNoCreditRuleFired() {
        lineOf("jia", CONSUMER, 1_000_000, 0);
        evaluate(request("jia", CONSUMER, 10_000).putAllAttributes(strongBureau()),
                profile("jia", 25_000_000, 0), JUNE, false);
        assertEquals(Rule.Action.TAG, eval.fraud(rules));
        assertEquals(Rule.Action.TAG, eval.credit(rules));
        // 600 + 30 + 25 + 20 + 15 + 10 + 20 + 20 (income) + 15 + 15 + 10 + 15 + 10 (utilisation 0)
        assertEquals(805, eval.score());
        assertEquals(1, eval.grade(), "A from 680");
        assertEquals(30, eval.points(0), "no other lender: the first bin of bureau.active_lenders");
        assertEquals(1.0 / (1.0 + 30 * Math.pow(2, 205 / 40.0)), eval.pd(), 1e-12);
        assertEquals("A", eval.features().getString(Features.GRADE).toString(), "the grade is a feature for rules");
        assertEquals(0, eval.firedCount(), firedCodes().toString());
    }

    @Test
    void shouldReviewThreeOtherLendersOnlyBelowGradeA() {
        lineOf("kai", CONSUMER, 1_000_000, 0);
        Map<String, AttributeValue> threeLenders = new java.util.HashMap<>(strongBureau());
        threeLenders.put("bureau.active_lenders", integer(3)); // −25 instead of +30: 750, still A
        evaluate(request("kai", CONSUMER, 10_000).putAllAttributes(threeLenders), profile("kai", 25_000_000, 0),
                JUNE, false);
        eval.fraud(rules);
        assertEquals(Rule.Action.TAG, eval.credit(rules));
        assertEquals(750, eval.score());
        assertEquals(1, eval.grade());

        // renting (−20), 2 months employed (−30), aged 20 (−25), ID verified only (−10): 665, grade B
        threeLenders.putAll(Map.of("housing", text("rent"), "employment.months", integer(2), "age", integer(20),
                "kyc.level", integer(2)));
        evaluate(request("kai", CONSUMER, 10_000).putAllAttributes(threeLenders), profile("kai", 25_000_000, 0),
                JUNE, false);
        eval.fraud(rules);
        assertEquals(Rule.Action.REVIEW, eval.credit(rules));
        assertEquals(665, eval.score());
        assertEquals(2, eval.grade());
        assertEquals(List.of("MULTI_LENDER_REVIEW"), firedCodes());
    }

    @Test
    void shouldDeclineAWeakApplicantGradeEWithEveryCreditRuleThatHolds() {
        lineOf("lei", CONSUMER, 1_000_000, 0);
        Map<String, AttributeValue> weak = Map.of("bureau.active_lenders", integer(6), "bureau.months_on_book",
                integer(3), "bureau.overdue_24m", integer(4), "bureau.max_dpd_12m", integer(120),
                "bureau.inquiries_3m", integer(7), "bureau.debt_to_income_bps", integer(8_000),
                "employment.months", integer(2), "housing", text("rent"), "age", integer(20), "kyc.level", integer(1));
        evaluate(request("lei", CONSUMER, 10_000).putAllAttributes(weak), profile("lei", 2_000_000, 0), JUNE, false);
        assertEquals(Rule.Action.TAG, eval.fraud(rules), firedCodes().toString());
        assertEquals(Rule.Action.DECLINE, eval.credit(rules));
        // 600 − 60 − 20 − 50 − 120 − 30 − 40 − 15 − 15 − 5 − 15 − 10 + 10
        assertEquals(230, eval.score());
        assertEquals(5, eval.grade(), "E below 560");
        assertEquals(List.of("MULTI_LENDER", "RECENT_DELINQUENCY", "INQUIRY_BURST", "DEBT_SERVICE_HIGH", "GRADE_E"),
                firedCodes(), "in rule order; MULTI_LENDER_REVIEW is for three or four lenders");
        assertEquals(0, eval.fraudFiredCount());
    }

    // ---- fraud rules and velocity -------------------------------------------------------------------

    @Test
    void shouldDeclineADeviceOnTheBlockListAndSayWhichRuleFired() {
        lineOf("mei", CONSUMER, 1_000_000, 0);
        risk.blockLists().update(BlockLists.Kind.DEVICE, List.of("device-9"), List.of(), JUNE);
        evaluate(request("mei", CONSUMER, 10_000).setDeviceId("device-9"), null, JUNE, false);
        assertEquals(Rule.Action.DECLINE, eval.fraud(rules));
        assertEquals(List.of("BLOCKLIST_DEVICE"), firedCodes());
        assertEquals(1, eval.fraudFiredCount());

        evaluate(request("mei", CONSUMER, 10_000).setDeviceId("device-10"), null, JUNE, false);
        assertEquals(Rule.Action.TAG, eval.fraud(rules), "another device: " + firedCodes());
    }

    @Test
    void shouldCountATransactionInTheVelocityWindowsOnlyWhenAskedTo() {
        lineOf("nan", CONSUMER, 10_000_000, 0);
        int borrowerCount1m = Features.velocity(0, false, 0);
        for (int i = 1; i <= 5; i++) {
            evaluate(request("nan", CONSUMER, 1_000), null, JUNE + i, true);
            assertEquals(Rule.Action.TAG, eval.fraud(rules), "transaction " + i + ": " + firedCodes());
        }
        assertEquals(5, eval.features().getInt(borrowerCount1m));
        assertEquals(5_000, eval.features().getInt(Features.velocity(0, true, 0)), "the sum of the minute");

        evaluate(request("nan", CONSUMER, 1_000), null, JUNE + 6, false); // a shadow evaluation reads, never adds
        assertEquals(5, eval.features().getInt(borrowerCount1m));
        assertEquals(Rule.Action.TAG, eval.fraud(rules));

        evaluate(request("nan", CONSUMER, 1_000), null, JUNE + 7, true);
        assertEquals(6, eval.features().getInt(borrowerCount1m));
        assertEquals(Rule.Action.DECLINE, eval.fraud(rules));
        assertEquals(List.of("VELOCITY_BORROWER_1M"), firedCodes());
    }

    // ---- early warning --------------------------------------------------------------------------------

    private EarlyWarningRule.Action warn(RiskEvent.Builder e, List<String> codes) {
        RiskEvent event = e.setRequestId("e" + ++requests).setBorrowerId("ora").build();
        eval.event(rules, event, null, state, JUNE);
        state.ledger().get("ora", CONSUMER, line);
        eval.eventLine(line, CONSUMER);
        EarlyWarningRule.Action action = eval.earlyWarning(rules, RiskEvaluator.eventType(event));
        codes.clear();
        for (int i = 0; i < eval.firedWarningCount(); i++) {
            codes.add(eval.firedWarning(rules, i).code());
        }
        return action;
    }

    @Test
    void shouldTakeTheStrongestEarlyWarningActionAndListEveryRuleThatFired() {
        lineOf("ora", CONSUMER, 1_000_000, 0);
        List<String> codes = new ArrayList<>();
        assertEquals(EarlyWarningRule.Action.FREEZE,
                warn(RiskEvent.newBuilder().setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(35), codes));
        assertEquals(List.of("OVERDUE_FREEZE", "OVERDUE_CUT", "OVERDUE_WATCH"), codes);

        assertEquals(EarlyWarningRule.Action.WATCH,
                warn(RiskEvent.newBuilder().setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(3), codes));
        assertEquals(List.of("OVERDUE_WATCH"), codes);

        assertEquals(EarlyWarningRule.Action.RESTORE,
                warn(RiskEvent.newBuilder().setType(RiskEventType.RISK_EVENT_TYPE_REPAID), codes));
        assertEquals(List.of("CURED"), codes);

        assertNull(warn(RiskEvent.newBuilder().setType(RiskEventType.RISK_EVENT_TYPE_BUREAU_HIT)
                .putAttributes("bureau.max_dpd_12m", integer(10)), codes), "nothing the rules act on");
        assertEquals(List.of(), codes);
    }

    // ---- the clock ----------------------------------------------------------------------------------

    @Test
    void shouldReadTheHourAndMonthInTheZoneBeforeAndAfterItsLastTransition() {
        lineOf("clock", CONSUMER, 1_000_000, 0);
        // Shanghai kept summer time 1986-1991 (+09:00); since then +08:00 with no rules for future changes
        long[] times = {
            ZonedDateTime.of(1988, 7, 1, 23, 30, 0, 0, ZONE).toInstant().toEpochMilli(),
            ZonedDateTime.of(1991, 9, 15, 1, 59, 0, 0, ZONE).toInstant().toEpochMilli(),
            ZonedDateTime.of(1991, 9, 15, 2, 0, 0, 0, ZONE).toInstant().toEpochMilli() + 3_600_000L,
            ZonedDateTime.of(2026, 12, 31, 23, 59, 59, 0, ZONE).toInstant().toEpochMilli(),
            ZonedDateTime.of(2027, 1, 1, 0, 0, 0, 0, ZONE).toInstant().toEpochMilli(),
            JUNE,
        };
        for (long t : times) {
            ZonedDateTime local = java.time.Instant.ofEpochMilli(t).atZone(ZONE);
            evaluate(request("clock", CONSUMER, 100).setEventTimeMs(t), null, t, false);
            assertEquals(local.getHour(), eval.features().getInt(Features.HOUR_OF_DAY), local.toString());
            assertEquals(local.getMonthValue(), eval.features().getInt(Features.MONTH), local.toString());
        }
    }
}
