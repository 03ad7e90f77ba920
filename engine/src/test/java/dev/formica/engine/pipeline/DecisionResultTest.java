package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.pricing.FeeSpec;
import dev.formica.engine.pricing.InstallmentPlanner;
import dev.formica.engine.pricing.InstallmentSchedule;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.rules.Scorecard;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Grade;
import dev.formica.v1.Outcome;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The shard's hand-written answer bytes: protobuf parses them into the message the old builder code made, and
 * serialises that message back to the very same bytes, so records, journal and caller see what they saw before.
 */
class DecisionResultTest {
    private static final CompiledRuleSet RULES = DefaultRuleSet.compile(RegulatoryParameters.builtin());

    @Test
    void shouldEncodeAnApprovalAsProtobufWouldWithPlanFundingReasonsAndContributions() throws Exception {
        List<FeeSpec> fees = List.of(new FeeSpec("SERVICE_FEE", "service fee ✓", 1_500, 0, FeeSpec.Timing.UPFRONT),
                new FeeSpec("INSTALLMENT_FEE", "per installment", 0, 25, FeeSpec.Timing.PER_INSTALLMENT));
        InstallmentSchedule plan = new InstallmentSchedule();
        new InstallmentPlanner().planWithin(329_900, 1_800, 12, 1_706_659_200_000L + 123, fees, -1, false, plan);
        Rule rule = RULES.fraudRule(0);
        FeatureVector features = new FeatureVector(RULES.layout().size() + 8);
        Scorecard card = RULES.scorecard();
        DecisionResult result = new DecisionResult().reset("req-é-😀", RULES.version());
        result.regulatoryVersion("cn-2026");
        result.scored(642, 0.0375, 3, 1_000_000);
        result.ruleReason(rule, features);
        result.reason("CAP_X", "text with \u0000 and 中文", "value=1");
        result.reasonFirst("FIRST", "", "");
        result.contribution(card, 0, Scorecard.MISSING, -17);
        result.funding("platform", 100_000, 3_000);
        result.funding("bank-1", 229_900, 7_000);
        result.plan(plan, fees);
        long holdId = 0x8000_0000_0000_00abL;
        result.approved(holdId, 329_900, 1_780_000_900_000L);
        result.availableAfterMinor(670_100);
        result.serverNanos(12_345);
        WireWriter wire = new WireWriter();
        result.encode(wire);
        byte[] bytes = Arrays.copyOf(wire.array(), wire.length());

        DecisionResponse parsed = DecisionResponse.parseFrom(bytes);
        assertArrayEquals(parsed.toByteArray(), bytes, "the bytes protobuf itself would write");
        assertEquals("req-é-😀", parsed.getRequestId());
        assertEquals(Outcome.APPROVE, parsed.getOutcome());
        assertEquals(HoldIds.format(holdId), parsed.getHoldId());
        assertEquals(Grade.GRADE_C, parsed.getGrade());
        assertEquals(0.0375, parsed.getPd());
        assertEquals(List.of("FIRST", rule.code(), "CAP_X"), parsed.getReasonsList().stream()
                .map(r -> r.getCode()).toList());
        assertEquals(rule.renderValue(features), parsed.getReasons(1).getValue());
        assertEquals("text with \u0000 and 中文", parsed.getReasons(2).getText());
        assertEquals(-17, parsed.getContributions(0).getPoints());
        assertEquals(card.binLabelBytes(0, Scorecard.MISSING), parsed.getContributions(0).getBinBytes());
        assertEquals(card.attributeNameBytes(0), parsed.getContributions(0).getAttributeBytes());
        assertEquals(InstallmentPlanner.toProto(plan, fees), parsed.getPlan());
        assertEquals(plan.aprBps(), parsed.getAprBps());
        assertEquals(2, parsed.getFundingCount());
        assertEquals(RULES.version(), parsed.getRuleSetVersion());
        assertEquals(12_345, parsed.getServerNanos());
    }

    @Test
    void shouldLeaveDefaultsOutOfADeclineAndEncodeNegativeScoresAsProtobufDoes() throws Exception {
        DecisionResult result = new DecisionResult().reset("r1", RULES.version());
        result.scored(-5, 0, 0, 0);
        result.outcome(DecisionResult.DECLINE);
        result.reason("NO_PROFILE", "no profile for this borrower", "");
        WireWriter wire = new WireWriter();
        result.encode(wire);
        byte[] bytes = Arrays.copyOf(wire.array(), wire.length());
        DecisionResponse parsed = DecisionResponse.parseFrom(bytes);
        assertArrayEquals(parsed.toByteArray(), bytes);
        assertEquals(-5, parsed.getScore());
        assertEquals("", parsed.getHoldId());
        assertTrue(!parsed.hasPlan());
        // reused: the next answer carries nothing of this one, the cap's texts included
        result.capText().append("cap text");
        result.capValue().append("cap value");
        result.reset("r2", RULES.version()).outcome(DecisionResult.REVIEW);
        assertEquals("", result.capText().toString() + result.capValue());
        result.encode(wire);
        DecisionResponse next = DecisionResponse.parseFrom(Arrays.copyOf(wire.array(), wire.length()));
        assertEquals(DecisionResponse.newBuilder().setRequestId("r2").setOutcome(Outcome.REVIEW)
                .setRuleSetVersion(RULES.version()).build(), next);
    }

    @Test
    void shouldWriteLongStringsWithMultiByteLengths() throws Exception {
        String text = "x".repeat(70_000);
        DecisionResult result = new DecisionResult().reset("r", "v");
        result.reason("LONG", text, "");
        WireWriter wire = new WireWriter();
        result.encode(wire);
        byte[] bytes = Arrays.copyOf(wire.array(), wire.length());
        DecisionResponse parsed = DecisionResponse.parseFrom(bytes);
        assertEquals(text, parsed.getReasons(0).getText());
        assertArrayEquals(parsed.toByteArray(), bytes);
    }

    @Test
    void shouldAddCalendarMonthsAsJavaTimeDoes() {
        SplittableRandom random = new SplittableRandom(19);
        long[] starts = {0, -1, 1_706_659_200_000L, 951_782_400_000L, 4_107_456_000_000L - 1, -2_208_988_800_000L};
        for (long start : starts) {
            for (int months = 0; months <= 36; months++) {
                assertDue(start, months);
            }
        }
        for (int i = 0; i < 20_000; i++) {
            assertDue(random.nextLong(-5_000_000_000_000L, 9_000_000_000_000L), random.nextInt(0, 37));
        }
    }

    private static void assertDue(long start, int months) {
        long expected = Instant.ofEpochMilli(start).atOffset(ZoneOffset.UTC).plusMonths(months).toInstant()
                .toEpochMilli();
        assertEquals(expected, DecisionResult.Calendar.plusMonthsUtc(start, months), start + " + " + months);
    }
}
