package dev.formica.engine;

import dev.formica.engine.config.EngineConfiguration;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

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

    /**
     * A test resource as a file: itself in {@code target/test-classes}, or a copy in the temporary directory when it
     * is read from the engine's test-fixtures jar (tools' tests in a full {@code mvn verify}).
     */
    public static Path resource(String name) {
        URL url = LedgerOnlyRules.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalArgumentException("no test resource " + name);
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            Path copy = Files.createTempFile("formica-" + Path.of(name).getFileName(), "");
            copy.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
