package dev.formica.engine;

import dev.formica.engine.config.EngineConfiguration;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Configures an engine with the test-only rule set {@code rules/ledger-only.yaml} and the cap-free
 * regulatory file, for tests about the ledger, holds and idempotency rather than risk rules.
 */
public final class LedgerOnlyRules {
    private LedgerOnlyRules() {
    }

    public static EngineConfiguration apply(EngineConfiguration config) {
        return config.rulesFile(resource("rules/ledger-only.yaml"))
                .regulatoryFile(resource("regulatory/test-unlimited.yaml"));
    }

    public static Path resource(String name) {
        try {
            return Path.of(LedgerOnlyRules.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
