package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.formica.engine.Formica;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fits German Credit (1,000 applicants, 700 good / 300 bad; Debian's weka package ships it) with 5-fold
 * cross-validation. The data is fetched by {@code scripts/fetch-credit-g.sh} (from the installed package, a
 * cache in ~/.cache/formica, or {@code apt-get download weka}); when it cannot be had this test fails and says
 * why, it never passes silently.
 */
class GermanCreditScorecardTest {
    /** The goal; the defaults reach 0.789 with seed 1 (0.780 to 0.789 over seeds 1 to 5). */
    private static final double GOAL_AUC = 0.78;

    private static Path creditG;

    @TempDir
    Path dir;

    @BeforeAll
    static void fetchTheData() throws IOException, InterruptedException {
        Path script = findScript();
        Path log = Files.createTempFile("fetch-credit-g", ".log");
        Process p = new ProcessBuilder("bash", script.toString()).redirectError(log.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("scripts/fetch-credit-g.sh took over 10 minutes:\n" + Files.readString(log));
        }
        if (p.exitValue() != 0 || stdout.isEmpty()) {
            fail("German Credit data unavailable: scripts/fetch-credit-g.sh exited " + p.exitValue()
                    + ". Install Debian's weka package (apt-get install weka) or give this machine access to "
                    + "Debian's package archive. Its output:\n" + Files.readString(log));
        }
        Files.deleteIfExists(log);
        creditG = Path.of(stdout.lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(Files.isRegularFile(creditG), creditG + " exists");
    }

    private static Path findScript() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path script = d.resolve("scripts/fetch-credit-g.sh");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        throw new IllegalStateException("scripts/fetch-credit-g.sh not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void shouldReachTheAucGoalInFiveFoldCrossValidation() throws IOException {
        ArffData data = ArffReader.read(creditG);
        assertEquals(1000, data.rowCount());
        ScorecardFitter fitter = new ScorecardFitter(data, ScorecardFitter.Options.defaults());
        assertEquals("class", fitter.targetName());
        assertEquals("good", fitter.goodLabel());
        CrossValidation.Result cv = CrossValidation.run(fitter, 5, 1);
        for (CrossValidation.Fold f : cv.folds()) {
            assertEquals(200, f.holdoutRows());
            assertTrue(f.auc() > 0.7, "fold " + f);
        }
        assertTrue(cv.meanAuc() >= GOAL_AUC, "cross-validated AUC " + cv.meanAuc() + " below the goal " + GOAL_AUC);
        assertTrue(cv.meanKs() >= 0.4, "cross-validated KS " + cv.meanKs());
    }

    @Test
    void shouldWriteTheScorecardSectionsOfARuleSetThatScoreLikeTheFit() throws IOException {
        Path out = dir.resolve("rules-scorecard.yaml");
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Formica.run("scorecard", "fit", "--arff", creditG.toString(), "--out", out.toString());
        } finally {
            System.setOut(original);
        }
        String stdout = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, stdout);
        assertTrue(stdout.contains("  rank  attribute"), stdout);
        assertTrue(stdout.matches("(?s).*\\n\\s+1\\s+checking_status\\s+0\\.6\\d+ .*"), "checking_status leads: "
                + stdout);
        String yaml = Files.readString(out);
        assertTrue(yaml.startsWith("# fitted by formica scorecard fit on credit-g.arff, "), yaml);
        FittedScorecard parsed = ScorecardYamlFormat.parse(yaml);
        assertEquals("string", parsed.features().get("checking_status").yamlName());
        assertEquals("int", parsed.features().get("duration").yamlName());
        ScorecardFitter fitter = new ScorecardFitter(ArffReader.read(creditG), ScorecardFitter.Options.defaults());
        FittedScorecard fitted = fitter.fit(fitter.labelledRows()).scorecard();
        for (int r : fitter.labelledRows()) {
            Map<String, Object> features = fitter.features(r);
            assertEquals(fitted.score(features), parsed.score(features), "row " + r);
        }
    }
}
