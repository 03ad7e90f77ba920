package dev.formica.engine.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RuleSetCompilerTest {
    private static final RegulatoryParameters REG = RegulatoryParameters.builtin();

    @Test
    void shippedDefaultCompilesEveryRuleWithoutTheInterpreter() {
        RuleSetCompiler.Outcome o = new RuleSetCompiler(REG).compile(DefaultRuleSet.yaml());
        assertTrue(o.errors().isEmpty(), o.errors().toString());
        // the only warnings: grades above the 24 % all-in cap (cn-2026-all-in-cap) on some plans, lowered to it
        assertTrue(o.warnings().stream().allMatch(w -> w.message().contains("above the regulatory all-in cap 2400")),
                o.warnings().toString());
        CompiledRuleSet rs = o.ruleSet();
        assertTrue(rs.fraudRuleCount() >= 30, "fraud rules: " + rs.fraudRuleCount());
        assertTrue(rs.scorecard().attributeCount() >= 10);
        for (int p = 1; p <= 3; p++) {
            assertNotNull(rs.lines(p));
            assertTrue(rs.funding().products().containsKey(p));
        }
        assertEquals("default-2026.11.1", rs.version());
    }

    private static String withFraudRule(String rule) {
        return DefaultRuleSet.yaml().replace("fraud:\n", "fraud:\n" + rule + "\n");
    }

    private static int lineOf(String yaml, String text) {
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text);
    }

    @Test
    void shouldReportAnUnknownVariableAtItsLineAndColumn() {
        String yaml = withFraudRule(
                "  - {code: TYPO, action: DECLINE, text: x, when: \"velocity.devise.count_1m > 3\"}");
        RuleSetCompiler.Outcome o = new RuleSetCompiler(REG).compile(yaml);
        assertFalse(o.valid());
        assertEquals(1, o.errors().size(), o.errors().toString());
        RuleProblem p = o.errors().get(0);
        assertEquals(lineOf(yaml, "velocity.devise"), p.line());
        String line = yaml.split("\n")[p.line() - 1];
        assertEquals(line.indexOf("velocity.devise") + 1, p.column(), "column points at the unknown name: " + p);
        assertTrue(p.message().contains("undeclared reference to 'velocity"), p.message());
    }

    @Test
    void shouldRejectWrongTypesUnknownKeysAndBadActions() {
        RuleSetCompiler c = new RuleSetCompiler(REG);
        assertTrue(c.compile(withFraudRule("  - {code: T, action: DECLINE, text: x, when: \"amount_minor + 1\"}"))
                .errors().get(0).message().contains("expected a bool expression"));
        assertTrue(c.compile(withFraudRule("  - {code: T, action: DECLINE, text: x, when: \"region > 3\"}"))
                .errors().get(0).message().contains("found no matching overload"));
        assertTrue(c.compile(withFraudRule("  - {code: T, action: BLOCK, text: x, when: \"true\"}"))
                .errors().get(0).message().contains("DECLINE, REVIEW or TAG"));
        assertTrue(c.compile(withFraudRule("  - {code: T, action: TAG, text: x, when: \"true\", severity: 3}"))
                .errors().get(0).message().contains("unknown key 'severity'"));
        assertTrue(c.compile(DefaultRuleSet.yaml().replace("pricing:", "pricingx:")).errors().stream()
                .anyMatch(e -> e.message().contains("'pricing' is required")));
        assertTrue(c.compile("version: [").errors().get(0).message().startsWith("not valid YAML"));
    }

    @Test
    void shouldRefuseAPlatformShareBelowTheRegulatoryMinimum() {
        String yaml = DefaultRuleSet.yaml().replace("CONSUMER_CREDIT: [{funder: platform, share_bps: 3000}, "
                + "{funder: bank_hz, share_bps: 7000}]", "CONSUMER_CREDIT: [{funder: platform, share_bps: 2000}, "
                + "{funder: bank_hz, share_bps: 8000}]");
        RuleSetCompiler.Outcome o = new RuleSetCompiler(REG).compile(yaml);
        assertFalse(o.valid());
        assertTrue(o.errors().get(0).message().contains("below the regulatory minimum 3000"), o.errors().toString());
    }

    @Test
    void shouldEvaluateCompiledConditionsExactlyAsTheCelInterpreter() {
        CompiledRuleSet rs = DefaultRuleSet.compile(REG);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        FeatureVector v = new FeatureVector(rs.layout().size());
        String[] strings = {"", "CN", "US", "CONSUMER_CREDIT", "CASH_LOAN", "API", "POS", "7995", "4829", "own"};
        ExprCompiler compiler = new ExprCompiler(rs.layout());
        for (int round = 0; round < 300; round++) {
            v.clear();
            for (FeatureLayout.Slot slot : rs.layout().all().values()) {
                if (random.nextInt(5) == 0) {
                    continue;
                }
                switch (slot.type()) {
                    case INT -> v.setInt(slot.index(), random.nextLong(-5, 10_000_000));
                    case DOUBLE -> v.setDouble(slot.index(), random.nextDouble(-10, 10));
                    case BOOL -> v.setBool(slot.index(), random.nextBoolean());
                    default -> v.setString(slot.index(), strings[random.nextInt(strings.length)]);
                }
            }
            for (int r = 0; r < rs.fraudRuleCount() + rs.creditRuleCount(); r++) {
                boolean credit = r >= rs.fraudRuleCount();
                Rule rule = credit ? rs.creditRule(r - rs.fraudRuleCount()) : rs.fraudRule(r);
                Expr interpreted = compiler.interpreted(rule.condition(), credit);
                assertEquals(interpreted.bool(v), rule.fires(v), rule.code() + " on round " + round);
            }
        }
    }
}
