package dev.formica.engine.risk;

import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.rules.LoanProduct;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The risk-appetite factor per product (10000 bps = neutral; 8000 = lend 80 % in a downturn). It scales
 * new lines and what a new approval may use; drawn balances are never touched. Persisted in a small
 * properties file, replaced atomically.
 *
 * <p>Thread contract: any thread. Reads are a volatile array read; writes are serialised.
 */
public final class RiskAppetite {
    /** One product's setting. */
    public record Setting(int factorBps, String reason, long setMs) {
    }

    public static final int NEUTRAL_BPS = 10_000;

    private final Path file;
    private volatile Setting[] byProduct = new Setting[LoanProduct.HIGHEST + 1];

    private RiskAppetite(Path file) {
        this.file = file;
    }

    /** Loads the settings from {@code file}, or starts neutral when it does not exist. */
    public static RiskAppetite open(Path file) throws IOException {
        RiskAppetite a = new RiskAppetite(file);
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            Setting[] s = new Setting[LoanProduct.HIGHEST + 1];
            for (LoanProduct each : LoanProduct.values()) {
                int product = each.number();
                String f = p.getProperty(product + ".factor_bps");
                if (f != null) {
                    s[product] = new Setting(Integer.parseInt(f), p.getProperty(product + ".reason", ""),
                            Long.parseLong(p.getProperty(product + ".set_ms", "0")));
                }
            }
            a.byProduct = s;
        }
        return a;
    }

    /** The factor in bps for a product number (neutral when never set). */
    public int factorBps(int product) {
        Setting s = LoanProduct.of(product) != null ? byProduct[product] : null;
        return s == null ? NEUTRAL_BPS : s.factorBps();
    }

    public Setting setting(int product) {
        return byProduct[product];
    }

    /** Sets the factor for one product, or all when {@code product} is 0; persisted before it returns. */
    public synchronized void set(int product, int factorBps, String reason, long nowMs) {
        Setting[] next = byProduct.clone();
        for (LoanProduct each : LoanProduct.values()) {
            int p = each.number();
            if (product == 0 || product == p) {
                next[p] = new Setting(factorBps, reason, nowMs);
            }
        }
        Properties props = new Properties();
        for (LoanProduct each : LoanProduct.values()) {
            int p = each.number();
            if (next[p] != null) {
                props.setProperty(p + ".factor_bps", Integer.toString(next[p].factorBps()));
                props.setProperty(p + ".reason", next[p].reason());
                props.setProperty(p + ".set_ms", Long.toString(next[p].setMs()));
            }
        }
        try {
            java.io.StringWriter text = new java.io.StringWriter();
            props.store(text, "risk appetite; written by AdminService.SetRiskAppetite");
            OwnerOnly.writeAtomically(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the risk appetite", e);
        }
        byProduct = next;
    }
}
