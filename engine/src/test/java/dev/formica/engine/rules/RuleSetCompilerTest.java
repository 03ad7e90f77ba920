package dev.formica.engine.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RuleSetCompilerTest {
    private static final RegulatoryParameters REG = RegulatoryParameters.builtin();

    @Test
    void shippedDefaultCompilesEveryRuleWithoutTheInterpreter() {
        RuleSetCompiler.Outcome o = new RuleSetCompiler(REG).compile(DefaultRuleSet.yaml());
        assertTrue(o.errors().isEmpty(), o.errors().toString());
        assertTrue(o.warnings().isEmpty(), o.warnings().toString());
        CompiledRuleSet rs = o.ruleSet();
        assertTrue(rs.fraudRuleCount() >= 30, "fraud rules: " + rs.fraudRuleCount());
        assertTrue(rs.scorecard().attributeCount() >= 10);
        for (int p = 1; p <= 3; p++) {
            assertNotNull(rs.lines(p));
            assertTrue(rs.funding().products().containsKey(p));
        }
        assertEquals("default-2026.11.1", rs.version());
    }
}
