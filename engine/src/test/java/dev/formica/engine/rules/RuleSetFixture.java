package dev.formica.engine.rules;

/**
 * Test fixture (in the engine's test-fixtures jar): the rules of a compiled set with their conditions on the
 * {@code dev.cel} interpreter instead of the specialised evaluators, for {@code RuleEvaluationBenchmark}, which
 * cannot reach the package-private {@link ExprCompiler}. Both kinds are called through {@link Rule#fires}.
 */
public final class RuleSetFixture {
    private RuleSetFixture() {
    }

    /** The fraud rules, then the credit rules, of {@code rules}, each evaluated by the CEL interpreter. */
    public static Rule[] interpretedRules(CompiledRuleSet rules) {
        ExprCompiler compiler = new ExprCompiler(rules.layout());
        int fraud = rules.fraudRuleCount();
        Rule[] interpreted = new Rule[fraud + rules.creditRuleCount()];
        for (int r = 0; r < interpreted.length; r++) {
            boolean credit = r >= fraud;
            Rule rule = credit ? rules.creditRule(r - fraud) : rules.fraudRule(r);
            interpreted[r] = new Rule(rule.code(), rule.text(), rule.action(),
                    compiler.interpreted(rule.condition(), credit), rule.condition(), new FeatureLayout.Slot[0]);
        }
        return interpreted;
    }
}
