package dev.formica.engine.risk;

import static dev.formica.engine.risk.OneVersion.limits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.LinePolicy;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.v1.Product;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * {@link CreditPolicy} on plain values: the shipped regulatory file and default rule set parsed in memory, no shard
 * state, no disk. Each expected number is worked out in the test from the regulatory version it names
 * (REGULATION.md; {@code regulatory/cn-microlending.yaml}) or from {@code rules/default.yaml}'s line policies:
 * CONSUMER_CREDIT grade A 50 % of income (min 500 CNY, max 50,000 CNY), CASH_LOAN grade A 40 % (max 200,000 CNY),
 * BUSINESS_LOAN grade A 30 % of revenue (max 3,000,000 CNY); both consumer products cap all balances at 50 % of
 * income. Money is in minor units (fen): 200,000 CNY = 20,000,000.
 */
class CreditPolicyTest {
    private static final int CONSUMER = Product.CONSUMER_CREDIT_VALUE;
    private static final int CASH = Product.CASH_LOAN_VALUE;
    private static final int BUSINESS = Product.BUSINESS_LOAN_VALUE;
    private static final int GRADE_A = 1;
    private static final int NEUTRAL = RiskAppetite.NEUTRAL_BPS;
    private static final long NO_NET_ASSETS = -1;
    private static final long NO_SELF_LIMIT = -1;
    private static final long BIG_LINE = 1_000_000_000_000L;

    private static final RegulatoryParameters SHIPPED = RegulatoryParameters.builtin();
    /** cn-2020-draft: individual ≤ min(300,000 CNY, 1/3 of income); business ≤ 1,000,000 CNY. */
    private static final RegulatoryParameters.Limits DRAFT_2020 = SHIPPED.at(day(2021, 6, 1), "ONLINE_MICROLOAN");
    /** cn-2025-nfra: household ≤ 200,000 CNY; business ≤ 10,000,000 CNY; one borrower ≤ 10 % of net assets. */
    private static final RegulatoryParameters.Limits NFRA_2025 = SHIPPED.at(day(2025, 6, 1), "ONLINE_MICROLOAN");
    private static final CompiledRuleSet RULES = DefaultRuleSet.compile(SHIPPED);

    private final CreditPolicy policy = new CreditPolicy();

    private static long day(int year, int month, int dayOfMonth) {
        return LocalDate.of(year, month, dayOfMonth).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    private static LinePolicy lines(int product) {
        return RULES.lines(product);
    }

    /** The binding code and limit, or "fits". */
    private String fits() {
        return policy.fits() ? "fits" : policy.code() + " " + policy.limit();
    }

    @Test
    void shouldReadTheShippedRegulatoryVersionsTheTestsRelyOn() {
        assertEquals("cn-2020-draft", DRAFT_2020.version());
        assertEquals(30_000_000, DRAFT_2020.consumerBalanceCapMinor());
        assertEquals(3333, DRAFT_2020.incomeRatioCapBps());
        assertEquals("cn-2025-nfra", NFRA_2025.version());
        assertEquals(20_000_000, NFRA_2025.consumerBalanceCapMinor());
        assertEquals(1_000_000_000, NFRA_2025.businessBalanceCapMinor());
        assertEquals(1000, NFRA_2025.singleBorrowerNetAssetsBps());
    }

    // ---- "does this amount fit?" ------------------------------------------------------------------

    @Test
    void shouldDeclineAConsumerDrawingPastTheNfra2025HouseholdCapOf200kCny() {
        // 150,000 CNY of consumer balances leaves 50,000 CNY; the business loan's balance is not a household's
        policy.terms(null, NFRA_2025, NO_NET_ASSETS, NEUTRAL).borrower(15_000_000, 500_000_000, 0, NO_SELF_LIMIT);

        policy.drawing(CASH, 5_000_001, BIG_LINE, 0);
        assertEquals("CAP_REGULATORY_HOUSEHOLD 5000000", fits());
        assertEquals("headroom_minor=5000000", policy.value());
        assertTrue(policy.text().contains("cn-2025-nfra"), "the reason names the version: " + policy.text());

        policy.drawing(CASH, 5_000_000, BIG_LINE, 0);
        assertEquals("fits", fits());
        assertNull(policy.code(), "nothing bound");
    }

    @Test
    void shouldCapABusinessLoanAtTheNfra2025PerBorrowerCapOf10mCnyAndNotAtTheHouseholdCap() {
        // the household cap is used up, which does not matter to a business loan
        policy.terms(null, NFRA_2025, NO_NET_ASSETS, NEUTRAL).borrower(20_000_000, 999_000_000, 0, NO_SELF_LIMIT);

        policy.drawing(BUSINESS, 1_000_001, BIG_LINE, 0);
        assertEquals("CAP_REGULATORY_BUSINESS 1000000", fits());
        policy.drawing(BUSINESS, 1_000_000, BIG_LINE, 0);
        assertEquals("fits", fits());
    }

    @Test
    void shouldHoldConsumerBalancesToTheLowerOfTheDraft2020Caps300kCnyAndAThirdOfIncome() {
        // 600,000 CNY income: a third (33.33 %) is 199,980 CNY, below the 300,000 CNY cap
        policy.terms(null, DRAFT_2020, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 60_000_000, NO_SELF_LIMIT);
        policy.drawing(CONSUMER, 19_998_001, BIG_LINE, 0);
        assertEquals("CAP_REGULATORY_INCOME 19998000", fits());

        // 1,200,000 CNY income: a third is 399,960 CNY, so the 300,000 CNY cap is the lower one
        policy.borrower(0, 0, 120_000_000, NO_SELF_LIMIT).drawing(CONSUMER, 30_000_001, BIG_LINE, 0);
        assertEquals("CAP_REGULATORY_HOUSEHOLD 30000000", fits());

        // the income ratio is an individual's: a business loan of 500,000 CNY on 600,000 CNY of revenue fits
        policy.borrower(0, 0, 60_000_000, NO_SELF_LIMIT).drawing(BUSINESS, 50_000_000, BIG_LINE, 0);
        assertEquals("fits", fits());
    }

    @Test
    void shouldCapOneBorrowerAtTenPercentOfTheLendersNetAssetsCountingEveryProduct() {
        // NFRA 2025: a lender with 1,000,000 CNY of net assets lends one borrower at most 100,000 CNY
        policy.terms(null, NFRA_2025, 100_000_000, NEUTRAL).borrower(2_000_000, 7_000_000, 0, NO_SELF_LIMIT);
        policy.drawing(CONSUMER, 1_000_001, BIG_LINE, 0);
        assertEquals("CAP_REGULATORY_NET_ASSETS 1000000", fits(), "10,000,000 minus 9,000,000 on both products");

        policy.terms(null, NFRA_2025, NO_NET_ASSETS, NEUTRAL);
        assertEquals("fits", fits(), "no net assets known, no such cap");
    }

    @Test
    void shouldReportTheFirstCapInChainOrderNotTheTightest() {
        // every cap binds a 10,000 CNY drawing; the later ones are tighter, and each step loosens the one reported
        RegulatoryParameters.Limits all = limits("consumer_balance_cap_minor=800000", "income_ratio_cap_bps=3333",
                "single_borrower_net_assets_bps=1000");
        RegulatoryParameters.Limits noHousehold = limits("income_ratio_cap_bps=3333",
                "single_borrower_net_assets_bps=1000");
        RegulatoryParameters.Limits netAssetsOnly = limits("single_borrower_net_assets_bps=1000");
        long amount = 1_000_000;
        long netAssets = 6_000_000;
        policy.borrower(0, 500_000, 2_100_000, 700_000);

        policy.terms(lines(CONSUMER), all, netAssets, 50).drawing(CONSUMER, amount, 900_000, 0);
        assertEquals("INSUFFICIENT_LINE 900000", fits());
        assertEquals("available_minor=900000", policy.value());
        policy.drawing(CONSUMER, amount, 100_000_000, 0);
        assertEquals("RISK_APPETITE 500000", fits(), "0.5 % of the line");
        policy.terms(lines(CONSUMER), all, netAssets, NEUTRAL);
        assertEquals("CAP_REGULATORY_HOUSEHOLD 800000", fits());
        policy.terms(lines(CONSUMER), noHousehold, netAssets, NEUTRAL);
        assertEquals("CAP_REGULATORY_INCOME 699930", fits(), "a third of 2,100,000");
        policy.terms(lines(CONSUMER), netAssetsOnly, netAssets, NEUTRAL);
        assertEquals("CAP_REGULATORY_NET_ASSETS 100000", fits(), "600,000 minus the 500,000 business balance");
        policy.terms(lines(CONSUMER), null, netAssets, NEUTRAL);
        assertEquals("CAP_INCOME_RATIO 550000", fits(), "half of 2,100,000 minus every balance");
        policy.terms(null, null, netAssets, NEUTRAL);
        assertEquals("CAP_SELF_LIMIT 200000", fits(), "the own limit of 700,000 minus every balance");
        policy.borrower(0, 500_000, 2_100_000, NO_SELF_LIMIT);
        assertEquals("fits", fits());
    }

    @Test
    void shouldCountWhatTheLineHoldsAndDrewAgainstTheLineAndTheAppetite() {
        policy.terms(null, null, NO_NET_ASSETS, 8000).borrower(0, 0, 0, NO_SELF_LIMIT);
        policy.drawing(CONSUMER, 300_001, 1_000_000, 500_000);
        assertEquals("RISK_APPETITE 300000", fits(), "80 % of the line minus the 500,000 used");
        assertTrue(policy.text().contains("8000 bps"), policy.text());

        policy.drawing(CONSUMER, 600_000, 1_000_000, 500_000);
        assertEquals("INSUFFICIENT_LINE 500000", fits());
        policy.drawing(CONSUMER, 1, 1_000_000, 1_200_000);
        assertEquals("INSUFFICIENT_LINE 0", fits(), "an overdrawn line leaves no headroom, never a negative one");
    }

    // ---- "what line may be granted?" --------------------------------------------------------------

    @Test
    void shouldGrantIncomeTimesTheGradesMultipleWhenNoCapIsBelowIt() {
        policy.terms(lines(CONSUMER), NFRA_2025, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 2_000_000, NO_SELF_LIMIT);
        assertEquals(1_000_000, policy.grant(CONSUMER, GRADE_A, 0), "grade A: 50 % of 20,000 CNY");
        assertNull(policy.code());
    }

    @Test
    void shouldLowerABusinessLineToTheDraft2020CapOf1mCnyAndNameIt() {
        // 10,000,000 CNY revenue × 30 % = 3,000,000 CNY, the product maximum; the 2020 draft allows 1,000,000 CNY
        policy.terms(lines(BUSINESS), DRAFT_2020, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 1_000_000_000, -1);
        assertEquals(100_000_000, policy.grant(BUSINESS, GRADE_A, 0));
        assertEquals("CAP_REGULATORY_BUSINESS", policy.code());
        assertEquals("cap_minor=100000000, line_before_minor=300000000", policy.value());
        assertEquals("the regulatory balance cap (cn-2020-draft)", policy.text());
    }

    @Test
    void shouldNameTheLastCapThatLoweredTheLine() {
        // CASH_LOAN grade A on 300,000 CNY income: 120,000 CNY; a third of income is 99,990 CNY (2020 draft)
        policy.terms(lines(CASH), DRAFT_2020, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 30_000_000, NO_SELF_LIMIT);
        assertEquals(9_999_000, policy.grant(CASH, GRADE_A, 0));
        assertEquals("CAP_REGULATORY_INCOME", policy.code());
        assertEquals("cap_minor=9999000, line_before_minor=12000000", policy.value());

        policy.borrower(0, 0, 30_000_000, 5_000_000);
        assertEquals(5_000_000, policy.grant(CASH, GRADE_A, 0));
        assertEquals("CAP_SELF_LIMIT", policy.code(), "the own limit came after and lowered it further");
        assertEquals("cap_minor=5000000, line_before_minor=9999000", policy.value());
    }

    @Test
    void shouldScaleANewLineByTheRiskAppetite() {
        policy.terms(lines(CONSUMER), null, NO_NET_ASSETS, 8000).borrower(0, 0, 2_000_000, NO_SELF_LIMIT);
        assertEquals(800_000, policy.grant(CONSUMER, GRADE_A, 0));
        assertEquals("RISK_APPETITE", policy.code());
        assertEquals("the risk-appetite factor (8000 bps) lowers new lines", policy.text());
    }

    @Test
    void shouldGrantTheRequestedLineWhenItIsLowerAndNameNoCap() {
        policy.terms(lines(CONSUMER), null, NO_NET_ASSETS, 8000).borrower(0, 0, 2_000_000, NO_SELF_LIMIT);
        assertEquals(600_000, policy.grant(CONSUMER, GRADE_A, 600_000));
        assertNull(policy.code(), "the applicant's own request is not a cap");
        assertEquals(800_000, policy.grant(CONSUMER, GRADE_A, 900_000), "a larger request does not raise the line");
    }

    @Test
    void shouldDeclineALineBelowTheProductMinimum() {
        // 800 CNY income × 50 % = 400 CNY, below CONSUMER_CREDIT's 500 CNY minimum
        policy.terms(lines(CONSUMER), null, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 80_000, NO_SELF_LIMIT);
        assertEquals(0, policy.grant(CONSUMER, GRADE_A, 0));
        assertTrue(policy.belowMinimum());
        assertEquals(CreditPolicy.LINE_BELOW_MINIMUM, policy.code());
        assertEquals("line_minor=40000, min_minor=50000", policy.value());
    }

    @Test
    void shouldAnswerBothQuestionsWithTheSameRegulatoryNumber() {
        // the 2020 draft's third of 300,000 CNY income: the line granted, and the most a drawing may take balances to
        policy.terms(lines(CASH), DRAFT_2020, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 30_000_000, NO_SELF_LIMIT);
        long granted = policy.grant(CASH, GRADE_A, 0);
        assertEquals("CAP_REGULATORY_INCOME", policy.code());

        policy.drawing(CASH, granted, BIG_LINE, 0);
        assertEquals("fits", fits());
        policy.drawing(CASH, granted + 1, BIG_LINE, 0);
        assertEquals("CAP_REGULATORY_INCOME " + granted, fits());
    }

    // ---- the action resolver ----------------------------------------------------------------------

    @Test
    void shouldKeepTheRulesActionWhenEveryBuiltInCheckPasses() {
        policy.terms(lines(CONSUMER), NFRA_2025, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 0, NO_SELF_LIMIT)
                .drawing(CONSUMER, 100_000, 1_000_000, 0);
        for (Rule.Action ruled : Rule.Action.values()) {
            assertEquals(ruled, policy.resolve(ruled, "CN-33", false));
            assertNull(policy.code(), ruled + ": nothing built in bound");
        }
    }

    @Test
    void shouldDeclineOutsideTheLicensedRegionsBeforeAFrozenLineOrACap() {
        RegulatoryParameters.Limits zhejiang = limits("registered_region=CN-33", "consumer_balance_cap_minor=1");
        policy.terms(lines(CONSUMER), zhejiang, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 0, NO_SELF_LIMIT)
                .drawing(CONSUMER, 100_000, 1_000_000, 0);

        assertEquals(Rule.Action.DECLINE, policy.resolve(Rule.Action.TAG, "CN-11", true));
        assertEquals(CreditPolicy.OUTSIDE_LICENSED_REGION, policy.code());
        assertEquals("region=CN-11, licensed=CN-33", policy.value());

        assertEquals(Rule.Action.DECLINE, policy.resolve(Rule.Action.TAG, "CN-33", true));
        assertEquals(CreditPolicy.LINE_FROZEN, policy.code());

        assertEquals(Rule.Action.DECLINE, policy.resolve(Rule.Action.REVIEW, "CN-33", false));
        assertEquals("CAP_REGULATORY_HOUSEHOLD", policy.code(), "a review that does not fit is declined");
    }

    @Test
    void shouldLeaveARuleDeclineToItsRuleWithoutAskingTheCaps() {
        policy.terms(lines(CONSUMER), NFRA_2025, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 0, NO_SELF_LIMIT)
                .drawing(CONSUMER, 2_000_000, 1_000_000, 0);
        assertEquals(Rule.Action.DECLINE, policy.resolve(Rule.Action.DECLINE, "", false));
        assertNull(policy.code(), "the amount exceeds the line, but the decline is the rule's");

        assertEquals(Rule.Action.DECLINE, policy.resolve(Rule.Action.TAG, "", false));
        assertEquals("INSUFFICIENT_LINE", policy.code());
    }

    @Test
    void shouldResolveTheShadowRuleSetWithTheSameChecksUnderItsOwnTerms() {
        // live: NFRA 2025 (no income ratio); shadow: the 2020 draft's third of income. One drawing, two resolvers.
        CreditPolicy live = new CreditPolicy();
        CreditPolicy shadow = new CreditPolicy();
        live.terms(lines(CASH), NFRA_2025, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 30_000_000, NO_SELF_LIMIT)
                .drawing(CASH, 10_000_000, 20_000_000, 0);
        shadow.terms(lines(CASH), DRAFT_2020, NO_NET_ASSETS, NEUTRAL).borrower(0, 0, 30_000_000, NO_SELF_LIMIT)
                .drawing(CASH, 10_000_000, 20_000_000, 0);

        assertEquals(Rule.Action.TAG, live.resolve(Rule.Action.TAG, "", false));
        assertEquals(Rule.Action.DECLINE, shadow.resolve(Rule.Action.TAG, "", false));
        assertEquals("CAP_REGULATORY_INCOME", shadow.code());
        assertNull(live.code(), "the shadow's evaluation leaves the live answer alone");
        assertFalse(shadow.fits());
    }
}
