package dev.formica.engine.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleProblem;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 finding 2 with the issue's own dates and an injected clock: version A (2026-01-01,
 * min_own_share_bps 3000, REGULATION.md joint lending >= 30 %) and version B (2027-01-01, 3500, hypothetical).
 * Start-up is what `serve --regulatory` runs: RiskContext.open compiles the shipped default rule set.
 */
class FutureRegulatoryVersionTest {
    @TempDir
    Path dir;

    static final String A_AND_B = """
            name: cn-microlending
            versions:
              - version: A
                effective_from: 2026-01-01
                licences:
                  ONLINE_MICROLOAN:
                    min_own_share_bps: {value: 3000, source: "own share >= 30 % (2020 draft; CBIRC 2021 notice)"}
              - version: B
                effective_from: 2027-01-01
                licences:
                  ONLINE_MICROLOAN:
                    min_own_share_bps: {value: 3500, source: "hypothetical 35 % (issue 20)"}
            """;

    static long ms(String isoDate) {
        return LocalDate.parse(isoDate).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    static RegulatoryParameters aAndB() throws Exception {
        return RegulatoryParameters.parse(A_AND_B, new java.util.ArrayList<>());
    }

    @Test
    void shouldStartBeforeBAndMoveTheSplitAtBsDateWithoutRestart() throws Exception {
        AtomicLong clock = new AtomicLong(ms("2026-12-05"));
        try (RiskContext risk = RiskContext.open(dir, aAndB(), 1 << 10, 100, ZoneId.of("Asia/Shanghai"), clock::get)) {
            RuleSetRegistry.Active active = risk.rules().current();
            assertTrue(active.rules().warnings().stream().map(RuleProblem::message)
                    .anyMatch(w -> w.contains("CASH_LOAN: from 2027-01-01 (regulatory version B)")),
                    active.rules().warnings().toString());
            // the allocator built at start-up carries B: nothing is rebuilt at the date
            assertEquals(3000, active.funding().platformShareBps(Product.CASH_LOAN, ms("2027-01-01") - 1));
            assertEquals(3500, active.funding().platformShareBps(Product.CASH_LOAN, ms("2027-01-01")));
            assertEquals(3500, active.funding().platformShareBps(Product.CONSUMER_CREDIT, ms("2027-06-01")));
            assertEquals(4000, active.funding().platformShareBps(Product.BUSINESS_LOAN, ms("2027-06-01")),
                    "a share already above B's minimum is kept");
        }
    }

    @Test
    void shouldRefuseToStartAfterBsDateWithARuleSetBelowB() throws Exception {
        AtomicLong clock = new AtomicLong(ms("2027-01-02"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RiskContext.open(dir, aAndB(), 1 << 10, 100, ZoneId.of("Asia/Shanghai"), clock::get).close());
        assertTrue(e.getMessage().contains("below the regulatory minimum 3500 bps in force now"), e.getMessage());
    }
}
