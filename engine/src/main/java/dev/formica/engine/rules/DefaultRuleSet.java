package dev.formica.engine.rules;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The rule set shipped on the class path ({@code rules/default.yaml}), used until another is activated. */
public final class DefaultRuleSet {
    public static final String RESOURCE = "rules/default.yaml";

    private DefaultRuleSet() {
    }

    public static String yaml() {
        try (InputStream in = DefaultRuleSet.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE, e);
        }
    }

    /** Compiles the default against {@code regulatory}; fails loudly if the shipped file is broken. */
    public static CompiledRuleSet compile(RegulatoryParameters regulatory) {
        return compile(new RuleSetCompiler(regulatory));
    }

    /** Compiles the default with {@code compiler} (its regulatory file and clock). */
    public static CompiledRuleSet compile(RuleSetCompiler compiler) {
        RuleSetCompiler.Outcome o = compiler.compile(yaml());
        if (!o.valid()) {
            throw new IllegalStateException("the shipped " + RESOURCE + " does not compile: " + o.errors());
        }
        return o.ruleSet();
    }
}
