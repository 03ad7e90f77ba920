package dev.formica.engine.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash soak ({@link CrashSoak}) in its short form: 3 kills. The long form, by command:
 * {@code mvn -B -pl tools -am verify -Dtest=CrashSoakTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dformica.soak.kills=50 -Dformica.soak.seed=7 -Dformica.soak.requests=3000}; up to that many requests
 * (plus 100) go out before each kill; the counts are in
 * {@code tools/target/surefire-reports/dev.formica.engine.crash.CrashSoakTest-output.txt}.
 */
class CrashSoakTest {
    @TempDir
    Path dir;

    @Test
    void shouldLoseNoApprovalAndKeepTheLedgerExactAcrossRepeatedKillNine() throws Exception {
        int kills = Integer.getInteger("formica.soak.kills", 3);
        long seed = Long.getLong("formica.soak.seed", 1L);
        int perRound = Integer.getInteger("formica.soak.requests", 1_000);
        CrashSoak.Result result = new CrashSoak(dir.resolve("data"), seed, System.out).run(kills, perRound);
        System.out.println("soak: seed " + seed + ": " + result);
        assertEquals(kills, result.kills());
        assertTrue(result.approvalsChecked() > 0, result.toString());
        assertEquals(java.util.List.of(), result.violations());
    }
}
