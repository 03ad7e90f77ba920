package dev.formica.engine.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.journal.JournalEntry;
import dev.formica.engine.journal.Journals;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Sink;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FlipCount;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Journal decisions under the default rule set, backtest a candidate that declines a known subset. */
class BacktestTest {
    static final long T0 = 1_780_000_000_000L;
    static final int BORROWERS = 40;
    static final long LIMIT = 500_000;

    @TempDir
    Path dir;

    static String candidateYaml() {
        return DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: candidate-b")
                .replace("\nfraud:\n", "\nfraud:\n  - {code: AMOUNT_OVER_5000, action: DECLINE, when: \"amount_minor > "
                        + LIMIT + "\", text: \"more than 5,000.00 CNY\"}\n");
    }

    static AttributeValue i(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    static Profile goodBorrower(String id) {
        return Profile.newBuilder().setBorrowerId(id).setRegion("CN-31").setAnnualIncomeMinor(30_000_000)
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(2_000_000))
                .putAttributes("bureau.active_lenders", i(0)).putAttributes("bureau.months_on_book", i(80))
                .putAttributes("bureau.overdue_24m", i(0)).putAttributes("bureau.max_dpd_12m", i(0))
                .putAttributes("employment.months", i(60))
                .putAttributes("housing", AttributeValue.newBuilder().setStringValue("own").build())
                .putAttributes("age", i(35)).putAttributes("kyc.level", i(3)).build();
    }

    static <T> T await(java.util.function.Consumer<Sink<T>> call) {
        CompletableFuture<T> done = new CompletableFuture<>();
        call.accept(new Sink<>() {
            @Override
            public void onResult(T result) {
                done.complete(result);
            }

            @Override
            public void onError(dev.formica.engine.errors.Refused error) {
                done.completeExceptionally(error);
            }
        });
        return done.join();
    }

    /** Runs {@link #BORROWERS} decisions (amounts 25,000 × k) on a live pipeline with the journal on. */
    static void journalDecisions(Path data) {
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(T0);
        EngineConfiguration config = new EngineConfiguration().dataDir(data).shards(2).expectedBorrowers(10_000)
                .expectedDecisionsPerDay(10_000).velocityKeys(4096);
        try (DecisionPipeline live = DecisionPipeline.open(config, clock)) {
            for (int k = 1; k <= BORROWERS; k++) {
                Profile p = goodBorrower("borrower-" + k);
                DecisionPipeline pipe = live;
                BacktestTest.<Boolean>await(sink -> pipe.upsert(p, sink, null));
            }
            for (int k = 1; k <= BORROWERS; k++) {
                clock.update(T0 + k * 1000L);
                DecisionRequest r = DecisionRequest.newBuilder().setRequestId("req-" + k).setBorrowerId("borrower-" + k)
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(25_000L * k).setRegion("CN-31").build();
                BacktestTest.<DecisionResponse>await(sink -> live.decide(r, sink, System.nanoTime(), null));
            }
            assertEquals(BORROWERS, live.journal(0).appended() + live.journal(1).appended());
        }
    }

    @Test
    void shouldCountExactlyTheDecisionsTheCandidateFlipsAndLeaveTheDataDirectoryAlone() throws Exception {
        Path data = dir.resolve("live");
        journalDecisions(data);
        long approvedOver = 0;
        long approvedTotal = 0;
        try (Journals.Merged journal = AuditTrail.open(data)) {
            for (JournalEntry e = journal.next(); e != null; e = journal.next()) {
                if (e.response().getOutcome() == Outcome.APPROVE) {
                    approvedTotal += e.request().getAmountMinor();
                    if (e.request().getAmountMinor() > LIMIT) {
                        approvedOver++;
                    }
                }
            }
        }
        assertEquals(20, approvedOver, "every decision over the limit was approved under the default rule set");
        String digest = digest(data);

        BacktestReport report = Backtester.run(data, candidateYaml(), Sandbox.profilesOf(data), 2,
                new Backtester.Options(data, null, 0, Long.MAX_VALUE, 5));

        assertEquals(digest, digest(data), "the live data directory is unchanged");
        assertEquals(BORROWERS, report.getDecisions());
        assertEquals("candidate-b", report.getCandidateVersion());
        assertEquals(List.of("default-2026.11.1"), report.getJournaledVersionsList());
        assertEquals(1, report.getFlipsCount(), report.toString());
        FlipCount flip = report.getFlips(0);
        assertEquals(Outcome.APPROVE, flip.getBefore());
        assertEquals(Outcome.DECLINE, flip.getAfter());
        assertEquals(approvedOver, flip.getCount());
        assertEquals(report.getBefore().getApproved() - approvedOver, report.getAfter().getApproved());
        assertEquals(approvedTotal, report.getBefore().getExposureApprovedMinor());
        long keptExposure = 0;
        for (int k = 1; k <= BORROWERS; k++) {
            keptExposure += 25_000L * k <= LIMIT ? 25_000L * k : 0;
        }
        assertEquals(keptExposure, report.getAfter().getExposureApprovedMinor());
        assertEquals(BORROWERS, report.getReplayAgreements(), "the sandbox reproduces the journaled decisions");
        assertEquals(5, report.getExamplesCount());
        assertEquals("AMOUNT_OVER_5000", report.getExamples(0).getAfterReason());
        assertEquals(Journals.pseudonym("borrower-21"), report.getExamples(0).getBorrowerPseudonym());
        long flipped = approvedOver;
        assertTrue(report.getAfter().getReasonsList().stream()
                .anyMatch(c -> c.getCode().equals("AMOUNT_OVER_5000") && c.getCount() == flipped));
    }

    @Test
    void shouldPrintTextAndWriteASelfContainedHtmlReportWithoutIds() throws Exception {
        Path data = dir.resolve("live");
        journalDecisions(data);
        Path rules = Files.writeString(dir.resolve("candidate.yaml"), candidateYaml());
        Path html = dir.resolve("report.html");
        StringWriter out = new StringWriter();
        int code = new CommandLine(new Formica()).setOut(new PrintWriter(out)).execute("backtest",
                "--journal", data.resolve("journal").toString(), "--rules", rules.toString(),
                "--html", html.toString());
        assertEquals(0, code, out.toString());
        String text = out.toString();
        assertTrue(text.contains("APPROVE -> DECLINE"), text);
        assertTrue(text.contains("95.00 %") || text.contains("100.00 %"), text);
        assertFalse(text.contains("borrower-"), "no borrower id on the terminal");
        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>") && page.contains("Backtest of candidate-b"));
        assertFalse(page.contains("borrower-"), "no borrower id in the report");
        assertFalse(page.contains("http://") || page.contains("https://") || page.contains("<script"),
                "self-contained: nothing fetched");
    }

    static String digest(Path root) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                md.update(root.relativize(p).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(p));
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
