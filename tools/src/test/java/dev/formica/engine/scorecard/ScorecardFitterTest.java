package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** The whole pipeline on a synthetic loan book whose true model is known. */
class ScorecardFitterTest {
    private static final int ROWS = 3000;

    @TempDir
    Path dir;

    private static ScorecardFitter fitter(String arff) throws IOException {
        return new ScorecardFitter(ArffReader.read(new StringReader(arff)), ScorecardFitter.Options.defaults());
    }

    @Test
    void shouldFitOnlyOnTheRowsItIsGiven() throws IOException {
        int[] firstHalf = IntStream.range(0, ROWS / 2).toArray();
        ScorecardFitter honest = fitter(SyntheticLoans.arff(ROWS, 11, Integer.MAX_VALUE));
        ScorecardFitter flipped = fitter(SyntheticLoans.arff(ROWS, 11, ROWS / 2));
        String a = ScorecardYaml.write(honest.fit(firstHalf).scorecard(), List.of(), ScorecardYaml.Notes.NONE);
        String b = ScorecardYaml.write(flipped.fit(firstHalf).scorecard(), List.of(), ScorecardYaml.Notes.NONE);
        assertEquals(a, b, "labels outside the training rows must not change the fit");
        int[] someFlipped = IntStream.range(0, ROWS * 6 / 10).toArray();
        assertNotEquals(ScorecardYaml.write(honest.fit(someFlipped).scorecard(), List.of(), ScorecardYaml.Notes.NONE),
                ScorecardYaml.write(flipped.fit(someFlipped).scorecard(), List.of(), ScorecardYaml.Notes.NONE),
                "the check above can fail: flipped labels inside the training rows do change the fit");
    }

    @Test
    void shouldScaleSoThatThePointsAddUpToTheModelsLogOdds() throws IOException {
        String arff = SyntheticLoans.arff(ROWS, 11, Integer.MAX_VALUE);
        ArffData data = ArffReader.read(new StringReader(arff));
        ScorecardFitter fitter = new ScorecardFitter(data, ScorecardFitter.Options.defaults());
        ScorecardFitter.Fit fit = fitter.fit(fitter.labelledRows());
        FittedScorecard card = fit.scorecard();
        double factor = 20 / Math.log(2);
        double offset = 600 - factor * Math.log(50);
        List<ScorecardFitter.AttributeReport> kept = fit.attributes().stream()
                .filter(r -> r.status() == ScorecardFitter.Status.KEPT).toList();
        assertEquals(card.attributes().size(), kept.size());
        for (int r = 0; r < ROWS; r++) {
            double logOdds = fit.intercept();
            for (ScorecardFitter.AttributeReport k : kept) {
                int column = data.indexOf(k.binning().source());
                double woe = k.binning().numeric() ? k.binning().encode(data.numbers(column)[r])
                        : k.binning().encode(data.labels(column)[r]);
                logOdds += k.coefficient() * woe;
            }
            double exact = offset + factor * logOdds;
            int score = card.score(fitter.features(r));
            assertTrue(Math.abs(score - exact) <= kept.size() * 0.5 + 1e-9,
                    "row " + r + ": points " + score + " vs unrounded " + exact);
        }
        assertEquals(1 / 51.0, card.pd(600), 1e-12);
        assertEquals(1 / 101.0, card.pd(620), 1e-12, "pdo points double the good:bad odds");
    }

    @Test
    void shouldRankRiskKeepTheSignalAndDropTheNoise() throws IOException {
        ScorecardFitter fitter = fitter(SyntheticLoans.arff(ROWS, 11, Integer.MAX_VALUE));
        CrossValidation.Result cv = CrossValidation.run(fitter, 5, 1);
        assertEquals(5, cv.folds().size());
        assertTrue(cv.meanAuc() > 0.7, "holdout AUC " + cv.meanAuc());
        for (CrossValidation.Fold f : cv.folds()) {
            assertEquals(ROWS / 5, f.holdoutRows());
            assertEquals(ROWS - ROWS / 5, f.trainingRows());
        }
        ScorecardFitter.Fit fit = fitter.fit(fitter.labelledRows());
        Map<String, ScorecardFitter.Status> status = new HashMap<>();
        fit.attributes().forEach(r -> status.put(r.binning().feature(), r.status()));
        assertEquals(ScorecardFitter.Status.LOW_IV, status.get("coin"));
        assertEquals(ScorecardFitter.Status.KEPT, status.get("income"));
        assertEquals(ScorecardFitter.Status.KEPT, status.get("region"));
        assertEquals(ScorecardFitter.Status.KEPT, status.get("years_at_job"));
        int[] bads = new int[2];
        int[] counts = new int[2];
        for (int r : fitter.labelledRows()) {
            String grade = fit.scorecard().grade(fit.scorecard().score(fitter.features(r)));
            int g = grade.equals("A") ? 0 : grade.equals("E") ? 1 : -1;
            if (g >= 0) {
                counts[g]++;
                bads[g] += fitter.isGood(r) ? 0 : 1;
            }
        }
        assertTrue(counts[0] > ROWS / 10 && counts[1] > ROWS / 10, "quintile grades: " + counts[0] + ", " + counts[1]);
        assertTrue(bads[0] * 2.0 / counts[0] < (double) bads[1] / counts[1], "grade A's bad rate is far below E's");
    }

    @Test
    void shouldGiveMissingValuesTheirOwnPoints() throws IOException {
        ScorecardFitter fitter = fitter(SyntheticLoans.arff(ROWS, 11, Integer.MAX_VALUE));
        FittedScorecard card = fitter.fit(fitter.labelledRows()).scorecard();
        FittedScorecard.Attribute years = card.attributes().stream().filter(a -> a.feature().equals("years_at_job"))
                .findFirst().orElseThrow();
        int lowest = years.bins().stream().mapToInt(FittedScorecard.Bin::points).min().orElseThrow();
        assertTrue(years.missingPoints() <= lowest, "missing years at job is the worst case: " + years);
    }

    @Test
    void shouldWriteARuleSetFileThatParsesAndScoresLikeTheFit() throws Exception {
        Path arff = dir.resolve("loans.arff");
        Files.writeString(arff, SyntheticLoans.arff(ROWS, 11, Integer.MAX_VALUE));
        Path out = dir.resolve("rules.yaml");
        String[] stdout = new String[1];
        int exit = capture(stdout, "scorecard", "fit", "--arff", arff.toString(), "--out", out.toString(),
                "--folds", "3", "--seed", "9");
        assertEquals(0, exit, stdout[0]);
        assertTrue(stdout[0].contains("fold 3/3  AUC 0."), stdout[0]);
        assertTrue(stdout[0].contains("IV table"), stdout[0]);
        assertTrue(stdout[0].matches("(?s).*\\n\\s+\\d+\\s+coin\\s+0\\.0\\d+\\s+\\d+\\s+-\\s+dropped: IV below.*"),
                stdout[0]);
        String yaml = Files.readString(out);
        assertTrue(yaml.matches("(?s)# fitted by formica scorecard fit on loans\\.arff, \\d{4}-\\d\\d-\\d\\d; "
                + "holdout AUC 0\\.\\d\\d \\(3-fold\\), KS 0\\.\\d\\d\\n.*"), yaml);
        FittedScorecard parsed = ScorecardYamlFormat.parse(yaml);
        ScorecardFitter fitter = fitter(Files.readString(arff));
        FittedScorecard fitted = fitter.fit(fitter.labelledRows()).scorecard();
        assertEquals(fitted.grades(), parsed.grades());
        for (int r : fitter.labelledRows()) {
            Map<String, Object> features = fitter.features(r);
            assertEquals(fitted.score(features), parsed.score(features), "row " + r);
        }
        assertEquals("double", ((Map<?, ?>) ((Map<?, ?>) new Yaml().load(yaml)).get("features"))
                .get("income"));
    }

    @Test
    void shouldExplainBadArgumentsWithoutAStackTrace() throws Exception {
        Path arff = dir.resolve("loans.arff");
        Files.writeString(arff, SyntheticLoans.arff(200, 11, Integer.MAX_VALUE));
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = capture(new String[1], "scorecard", "fit", "--arff", arff.toString(), "--target", "nope",
                    "--out", dir.resolve("x.yaml").toString());
        } finally {
            System.setErr(original);
        }
        assertEquals(2, exit);
        assertEquals("formica scorecard fit: --target: no attribute named 'nope'\n",
                err.toString(StandardCharsets.UTF_8));
    }

    private static int capture(String[] stdout, String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            return Formica.run(args);
        } finally {
            System.setOut(original);
            stdout[0] = bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
