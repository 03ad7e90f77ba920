package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Grade;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, "Found": the regulation binds decisions through the real pipeline. The all-in cap numbers come from
 * the shipped {@code regulatory/cn-microlending.yaml}, version {@code cn-2026-all-in-cap}: all-in annualised cost
 * (interest and every fee) at most 24 % (REGULATION.md: the 15-24 % microloan band, held as the ceiling; the date
 * and legal basis are marked assumed in the file). The minimum own share 30 % is REGULATION.md's joint-lending
 * row (2020 draft; CBIRC 2021 notice); 35 % is a hypothetical later version, as in the issue.
 */
class RegulationBindsTest {
    /** A fixed daytime event time, so night-time cash-out rules never fire whatever the wall clock says. */
    static final long NOON_SHANGHAI = 1_780_286_400_000L; // 2026-06-01T04:00Z = 12:00 in Asia/Shanghai

    @TempDir
    Path dir;
    CachedEpochClock clock = new CachedEpochClock();
    DecisionPipeline pipeline;

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    EngineConfiguration config() {
        return config(dir.resolve("data"));
    }

    /** Two caller-drained shards, small sizes (MarketsTest runs its markets on the same). */
    static EngineConfiguration config(Path data) {
        return new EngineConfiguration().dataDir(data).shards(2).holdTtl(Duration.ofMinutes(15))
                .expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.CALLER_DRAINS).queueCapacity(1024);
    }

    void open(EngineConfiguration config, long nowMs) {
        clock.update(nowMs);
        pipeline = DecisionPipeline.open(config, clock);
    }

    static AttributeValue i(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    static AttributeValue s(String v) {
        return AttributeValue.newBuilder().setStringValue(v).build();
    }

    /**
     * A borrower the default scorecard puts in grade B (675 points: 640 <= score < 680), with cash-loan and
     * consumer lines of 50,000.00.
     */
    static Profile gradeB(String id) {
        return Profile.newBuilder().setBorrowerId(id).setRegion("CN-31").setAnnualIncomeMinor(10_000_000)
                .addLines(ProductLine.newBuilder().setProduct(Product.CASH_LOAN).setLineMinor(5_000_000))
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(5_000_000))
                .putAttributes("bureau.active_lenders", i(2)).putAttributes("bureau.months_on_book", i(30))
                .putAttributes("bureau.overdue_24m", i(0)).putAttributes("bureau.max_dpd_12m", i(0))
                .putAttributes("bureau.inquiries_3m", i(3)).putAttributes("employment.months", i(12))
                .putAttributes("housing", s("rent")).putAttributes("age", i(25)).putAttributes("kyc.level", i(2))
                .build();
    }

    void upsert(Profile p) {
        FutureSink<Boolean> sink = new FutureSink<>();
        pipeline.upsert(p, sink, null);
        assertTrue(sink.get());
    }

    DecisionResponse decide(DecisionRequest r) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        pipeline.decide(r, sink, System.nanoTime(), null);
        return sink.get();
    }

    static DecisionRequest cashLoan(String id, String borrower, long amount, int installments) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId(borrower).setProduct(Product.CASH_LOAN)
                .setAmountMinor(amount).setInstallments(installments).setRegion("CN-31")
                .setEventTimeMs(NOON_SHANGHAI).build();
    }

    static List<String> codes(DecisionResponse r) {
        return r.getReasonsList().stream().map(Reason::getCode).toList();
    }

    static long ms(String isoDate) {
        return LocalDate.parse(isoDate).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    // ---- Finding 1: the 24 % all-in ceiling binds -------------------------------------------------------------

    /**
     * Issue 20 finding 1: grade B, CASH_LOAN 10,000.00 in one installment, 17 % APR (grade B of the default rule
     * set) and a 50.00 up-front service fee (50 bps) cost 2573 bps a year all-in, above the 24 % cap
     * (cn-2026-all-in-cap). Before the fix it was approved at 2573; now the fee is lowered first (the APR stays
     * 1700) until the annualised rate is at most 2400, and the reason names the cap.
     */
    @Test
    void shouldLowerTheFeeOfAGradeBOneInstallmentCashLoanToThe24PercentAllInCap() {
        open(config(), ms("2026-06-01"));
        upsert(gradeB("bea"));
        DecisionResponse r = decide(cashLoan("f1", "bea", 1_000_000, 1));
        assertEquals(Outcome.APPROVE, r.getOutcome(), r.toString());
        assertEquals(Grade.GRADE_B, r.getGrade(), "score " + r.getScore());
        assertTrue(r.getPlan().getAnnualisedRateBps() <= 2400, "annualised " + r.getPlan().getAnnualisedRateBps());
        assertEquals("cn-2026-all-in-cap", r.getRegulatoryVersion());
        assertTrue(r.getPlan().getAnnualisedRateBps() >= 2390, "lowered no more than needed: "
                + r.getPlan().getAnnualisedRateBps());
        assertEquals(1700, r.getAprBps(), "fees are lowered before the APR");
        long fee = r.getPlan().getFeesList().get(0).getAmountMinor();
        // the largest fee that fits: 10,141.67 paid back on 10,000.00 − fee received, (1 + i)^12 − 1 <= 24 %
        assertEquals(3_854, fee, "the 50.00 service fee is reduced to 38.54, not waived");
        assertEquals(r.getPlan().getTotalFeesMinor(), fee);
        assertTrue(codes(r).contains("CAP_ALL_IN_RATE"), codes(r).toString());
        Reason cap = r.getReasonsList().stream().filter(x -> x.getCode().equals("CAP_ALL_IN_RATE")).findFirst()
                .orElseThrow();
        assertTrue(cap.getValue().contains("cap_bps=2400"), cap.getValue());
        assertTrue(cap.getText().contains("cn-2026-all-in-cap"), cap.getText());
    }

    /** The same loan under a rule set that chose {@code above_all_in_cap: DECLINE}: declined, nothing held. */
    @Test
    void shouldDeclineAboveThe24PercentAllInCapWhenTheRuleSetSaysDecline() throws Exception {
        Path rules = dir.resolve("decline.yaml");
        Files.writeString(rules, DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: decline-1")
                .replace("  apr_cap_bps: 2400\n", "  apr_cap_bps: 2400\n  above_all_in_cap: DECLINE\n"));
        open(config().rulesFile(rules), ms("2026-06-01"));
        upsert(gradeB("bea"));
        DecisionResponse r = decide(cashLoan("f1", "bea", 1_000_000, 1));
        assertEquals("decline-1", r.getRuleSetVersion());
        assertEquals(Outcome.DECLINE, r.getOutcome(), r.toString());
        assertEquals("CAP_ALL_IN_RATE", r.getReasons(0).getCode());
        assertEquals("annualised_rate_bps=2573, cap_bps=2400", r.getReasons(0).getValue());
        assertTrue(r.getHoldId().isEmpty());
        assertEquals(0, r.getFundingCount());
        // 12 installments at 17 % with the 50 bps fee stay within 24 %: approved at the rule set's price
        DecisionResponse ok = decide(cashLoan("f2", "bea", 1_000_000, 12));
        assertEquals(Outcome.APPROVE, ok.getOutcome(), ok.toString());
        assertEquals(1700, ok.getAprBps());
        assertFalse(codes(ok).contains("CAP_ALL_IN_RATE"));
    }

    /**
     * Property (issue 20, "done when"): over random amounts, plans and borrowers of every grade, on every
     * product, no approved decision's annualised_rate_bps exceeds the 24 % cap in force (cn-2026-all-in-cap).
     */
    @Test
    void shouldNeverApproveAboveThe24PercentAllInCapOverRandomPlansAndGrades() {
        open(config(), ms("2026-06-01"));
        Random random = new Random(20);
        int approved = 0;
        int lowered = 0;
        for (int k = 0; k < 120; k++) {
            String id = "b" + k;
            Profile.Builder p = gradeB(id).toBuilder()
                    .putAttributes("bureau.active_lenders", i(random.nextInt(3)))
                    .putAttributes("bureau.months_on_book", i(random.nextInt(100)))
                    .putAttributes("bureau.inquiries_3m", i(random.nextInt(5)))
                    .putAttributes("bureau.overdue_24m", i(random.nextInt(4)))
                    .putAttributes("housing", s(random.nextBoolean() ? "own" : "rent"))
                    .putAttributes("kyc.level", i(2 + random.nextInt(2)));
            upsert(p.build());
            Product product = random.nextBoolean() ? Product.CASH_LOAN : Product.CONSUMER_CREDIT;
            long amount = 100_000 + random.nextInt(1_000_000);
            int installments = 1 + random.nextInt(36);
            DecisionResponse r = decide(cashLoan("r" + k, id, amount, installments).toBuilder().setProduct(product)
                    .build());
            if (r.getOutcome() == Outcome.APPROVE) {
                approved++;
                lowered += codes(r).contains("CAP_ALL_IN_RATE") ? 1 : 0;
                assertTrue(r.getPlan().getAnnualisedRateBps() <= 2400, r.toString());
            }
        }
        assertTrue(approved > 60, "approved " + approved);
        assertTrue(lowered > 0, "the cap bound at least once");
    }

    // ---- Finding 2: a future-dated version does not stop start-up; it applies at its date ----------------------

    /**
     * A regulatory file with version A (in force, min_own_share_bps 3000) and version B (from {@code bFrom},
     * 3500): issue 20 finding 2. The dates are relative to the wall clock because start-up compiles the rule set
     * against the wall clock (the literal 2026-01-01 / 2027-01-01 case runs with an injected clock in
     * RegulatoryEffectiveDatesTest).
     */
    static String twoVersions(String aFrom, String bFrom) {
        return """
                name: cn-microlending
                versions:
                  - version: A
                    effective_from: %s
                    licences:
                      ONLINE_MICROLOAN:
                        min_own_share_bps: {value: 3000, source: "joint lending: own share >= 30 %% (REGULATION.md)"}
                        consumer_balance_cap_minor: {value: 20000000, source: "NFRA 2025: <= 200,000 CNY"}
                  - version: B
                    effective_from: %s
                    licences:
                      ONLINE_MICROLOAN:
                        min_own_share_bps: {value: 3500, source: "hypothetical later minimum of 35 %% (issue 20)"}
                        consumer_balance_cap_minor: {value: 20000000, source: "NFRA 2025: <= 200,000 CNY"}
                """.formatted(aFrom, bFrom);
    }

    @Test
    void shouldStartWithAFutureVersionAndApplyItsMinimumOwnShareAtItsDateWithoutRestart() throws Exception {
        LocalDate today = Instant.ofEpochMilli(System.currentTimeMillis()).atOffset(ZoneOffset.UTC).toLocalDate();
        LocalDate bFrom = today.plusDays(30);
        Path reg = dir.resolve("reg.yaml");
        Files.writeString(reg, twoVersions(today.minusYears(1).toString(), bFrom.toString()));
        // before the fix: IllegalArgumentException "platform's share 3000 bps is below the regulatory minimum 3500"
        open(config().regulatoryFile(reg), System.currentTimeMillis());
        upsert(gradeB("bea"));

        DecisionResponse before = decide(cashLoan("d1", "bea", 1_000_000, 12));
        assertEquals(Outcome.APPROVE, before.getOutcome(), before.toString());
        assertEquals("A", before.getRegulatoryVersion());
        assertEquals(3000, platformShare(before));

        clock.update(bFrom.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() + 3_600_000L);
        DecisionResponse after = decide(cashLoan("d2", "bea", 1_000_000, 12));
        assertEquals(Outcome.APPROVE, after.getOutcome(), after.toString());
        assertEquals("B", after.getRegulatoryVersion());
        assertEquals(3500, platformShare(after), "B's 35 % minimum own share applies from its date");
        assertEquals(1_000_000, after.getFundingList().stream().mapToLong(FundingShare::getAmountMinor).sum());
    }

    static int platformShare(DecisionResponse r) {
        return r.getFundingList().stream().filter(f -> f.getFunderId().equals("platform")).findFirst().orElseThrow()
                .getShareBps();
    }
}
