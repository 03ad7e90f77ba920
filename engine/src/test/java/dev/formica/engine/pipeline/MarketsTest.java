package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import dev.formica.engine.config.MarketSetting;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.server.Refusals;
import dev.formica.engine.server.RequestValidator;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Grade;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.Reason;
import dev.formica.v1.RepayRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, deliverable 5: two markets in one pipeline. CN is the shipped file and rule set (Asia/Shanghai, CNY);
 * ID is {@code regulatory/id-lpbbti.yaml} and {@code rules/id-default.yaml} (Asia/Jakarta, IDR in sen). The numbers:
 * POJK 10/POJK.05/2022, funding to one borrower at most Rp 2,000,000,000 (200000000000 sen); SEOJK 19/SEOJK.05/2023,
 * economic benefit at most 0.1 % a day for consumptive loans from 1 January 2026 (3650 bps a year, held as the all-in
 * cap); the CN numbers are docs/regulation.md's (household balance 200,000 CNY, NFRA 2025; all-in 24 %).
 */
class MarketsTest {
    /** 2026-06-01 05:00 UTC: noon in Jakarta, 13:00 in Shanghai (no night-time rule fires in either). */
    static final long NOON_JAKARTA = Instant.parse("2026-06-01T05:00:00Z").toEpochMilli();

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

    /** CN (the default: the shipped file and rule set) and ID, as docs/configuration.md shows them. */
    static List<MarketSetting> cnAndId() {
        return List.of(new MarketSetting("CN", "CNY", "Asia/Shanghai", null, null),
                new MarketSetting("ID", "IDR", "Asia/Jakarta", "classpath:regulatory/id-lpbbti.yaml",
                        "classpath:rules/id-default.yaml"));
    }

    void open(long nowMs) {
        clock.update(nowMs);
        pipeline = DecisionPipeline.open(RegulationBindsTest.config(dir.resolve("data")).markets(cnAndId()), clock);
    }

    /**
     * The grade-B borrower of {@link RegulationBindsTest#gradeB}: in ID with the income converted as the ID rule set
     * converts its scorecard (2000 sen per fen), so the same attributes give the same grade, and lines in IDR.
     */
    static Profile idGradeB(String id, long cashLineMinor) {
        Profile cn = RegulationBindsTest.gradeB(id);
        return cn.toBuilder().setMarket("ID").setRegion("ID-JK").setAnnualIncomeMinor(cn.getAnnualIncomeMinor() * 2000)
                .clearLines().addLines(ProductLine.newBuilder().setProduct(Product.CASH_LOAN)
                        .setLineMinor(cashLineMinor)).build();
    }

    void upsert(Profile p) {
        FutureSink<Boolean> sink = new FutureSink<>();
        pipeline.upsert(p, sink, null);
        sink.get();
    }

    DecisionResponse decide(DecisionRequest r) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        pipeline.decide(r, sink, System.nanoTime(), null);
        return sink.get();
    }

    CreditLine line(String borrower, Product product) {
        FutureSink<CreditLine> sink = new FutureSink<>();
        pipeline.creditLine(GetCreditLineRequest.newBuilder().setBorrowerId(borrower).setProduct(product).build(),
                sink, null);
        return sink.get();
    }

    static DecisionRequest cash(String id, String borrower, long amount, int installments, String region, long at) {
        return DecisionRequest.newBuilder().setRequestId(id).setBorrowerId(borrower).setProduct(Product.CASH_LOAN)
                .setAmountMinor(amount).setInstallments(installments).setRegion(region).setEventTimeMs(at).build();
    }

    static Reason reason(DecisionResponse r, String code) {
        return r.getReasonsList().stream().filter(x -> x.getCode().equals(code)).findFirst()
                .orElseThrow(() -> new AssertionError(code + " not in " + r.getReasonsList()));
    }

    /** The fields a refusal's BadRequest names. */
    static List<String> fields(StatusRuntimeException e) throws InvalidProtocolBufferException {
        List<String> fields = new ArrayList<>();
        for (Any any : Refusals.details(e)) {
            if (any.is(BadRequest.class)) {
                any.unpack(BadRequest.class).getFieldViolationsList().forEach(v -> fields.add(v.getField()));
            }
        }
        return fields;
    }

    static <T> StatusRuntimeException refused(Consumer<FutureSink<T>> call) {
        FutureSink<T> sink = new FutureSink<>();
        call.accept(sink);
        return assertThrows(StatusRuntimeException.class, sink::get);
    }

    /**
     * As the server answers a Decide: its check of the market and currency against the markets served
     * ({@link RequestValidator#market}, no state needed), then the borrower's shard (the market of the line).
     */
    StatusRuntimeException refusedDecide(DecisionRequest r) {
        return MarketsTest.<DecisionResponse>refused(s -> serverChecks(r.getMarket(), r.getCurrency(), s,
                () -> pipeline.decide(r, s, System.nanoTime(), null)));
    }

    StatusRuntimeException refusedUpsert(Profile p) {
        return MarketsTest.<Boolean>refused(s -> serverChecks(p.getMarket(), "", s, () -> pipeline.upsert(p, s, null)));
    }

    private void serverChecks(String market, String currency, Sink<?> sink, Runnable submit) {
        Refused refused = RequestValidator.market(pipeline.markets(), market, currency);
        if (refused != null) {
            sink.onError(refused);
        } else {
            submit.run();
        }
    }

    @Test
    void shouldDecideEachMarketInItsCurrencyUnderItsOwnRegulationRuleSetAndFunders() {
        open(NOON_JAKARTA);
        upsert(RegulationBindsTest.gradeB("chen"));
        upsert(idGradeB("budi", 10_000_000_000L)); // Rp 100,000,000

        DecisionResponse cn = decide(RegulationBindsTest.cashLoan("c1", "chen", 100_000, 3).toBuilder()
                .setEventTimeMs(NOON_JAKARTA).build());
        assertEquals(Outcome.APPROVE, cn.getOutcome(), cn.toString());
        assertEquals("cn-2026-all-in-cap", cn.getRegulatoryVersion());
        assertEquals("default-2026.11.1", cn.getRuleSetVersion());
        assertEquals(List.of("platform", "bank_hz", "bank_sh"),
                cn.getFundingList().stream().map(FundingShare::getFunderId).toList());

        // Rp 5,000,000 over 3 installments, no market named: the profile's market decides
        DecisionResponse id = decide(cash("i1", "budi", 500_000_000L, 3, "ID-JK", NOON_JAKARTA).toBuilder()
                .setCurrency("IDR").build());
        assertEquals(Outcome.APPROVE, id.getOutcome(), id.toString());
        assertEquals(Grade.GRADE_B, id.getGrade(), "score " + id.getScore());
        assertEquals("id-2026-seojk19", id.getRegulatoryVersion());
        assertEquals("id-2026.12.1", id.getRuleSetVersion());
        assertEquals(2200, id.getAprBps(), "grade B of the ID rule set");
        // the ID split (platform 10 %, lender_a 50 %, lender_b 40 %), named without the quota-slot prefix
        assertEquals(List.of("platform", "lender_a", "lender_b"),
                id.getFundingList().stream().map(FundingShare::getFunderId).toList());
        assertEquals(50_000_000L, id.getFunding(0).getAmountMinor());
        assertTrue(pipeline.risk().quotas().indexOf("ID:lender_a") >= 0, "ID funders have quota slots of their own");

        CreditLine line = line("budi", Product.CASH_LOAN);
        assertEquals("IDR", line.getCurrency());
        assertEquals("ID", line.getMarket());
        assertEquals(500_000_000L, line.getHeldMinor());
        assertEquals("CNY", line("chen", Product.CASH_LOAN).getCurrency());
    }

    /**
     * The same request shape binds each market's own numbers: 2,100,000,000 minor units of a cash loan is above
     * CN's household cap of 200,000 CNY (20000000 fen, NFRA 2025) and above ID's Rp 2,000,000,000 per borrower
     * (200000000000 sen, POJK 10/POJK.05/2022); each decline names its market's headroom.
     */
    @Test
    void shouldBindEachMarketsBalanceCapPojk10TwoBillionRupiahAgainstNfraTwoHundredThousandYuan() {
        open(NOON_JAKARTA);
        upsert(idGradeB("budi", 300_000_000_000L)); // Rp 3,000,000,000 line: the regulation binds, not the line
        upsert(RegulationBindsTest.gradeB("chen").toBuilder().clearLines().addLines(ProductLine.newBuilder()
                .setProduct(Product.CASH_LOAN).setLineMinor(300_000_000L)).build());

        DecisionResponse id = decide(cash("i1", "budi", 210_000_000_000L, 3, "ID-JK", NOON_JAKARTA));
        assertEquals(Outcome.DECLINE, id.getOutcome(), id.toString());
        assertEquals("headroom_minor=200000000000", reason(id, "CAP_REGULATORY_HOUSEHOLD").getValue());
        assertTrue(reason(id, "CAP_REGULATORY_HOUSEHOLD").getText().contains("id-2026-seojk19"));

        DecisionResponse idFits = decide(cash("i2", "budi", 190_000_000_000L, 3, "ID-JK", NOON_JAKARTA));
        assertFalse(idFits.getReasonsList().stream().anyMatch(r -> r.getCode().equals("CAP_REGULATORY_HOUSEHOLD")),
                "Rp 1,900,000,000 is within POJK 10/2022's Rp 2 billion: " + idFits.getReasonsList());

        DecisionResponse cn = decide(cash("c1", "chen", 21_000_000L, 3, "CN-31", NOON_JAKARTA));
        assertEquals(Outcome.DECLINE, cn.getOutcome(), cn.toString());
        assertEquals("headroom_minor=20000000", reason(cn, "CAP_REGULATORY_HOUSEHOLD").getValue());
    }

    /**
     * SEOJK 19/SEOJK.05/2023: from 1 January 2026 a consumptive loan costs at most 0.1 % a day (3650 bps a year); the
     * ID rule set's 1 % platform fee on a one-installment grade-B cash loan at 22 % APR costs more, so the fee is
     * lowered to fit 3650, where the same borrower in CN is held at 2400 (24 %, cn-2026-all-in-cap).
     */
    @Test
    void shouldLowerAnIdPriceToTheSeojk19PointOnePercentADayCap() {
        open(NOON_JAKARTA);
        upsert(idGradeB("budi", 10_000_000_000L));
        DecisionResponse id = decide(cash("i1", "budi", 1_000_000_000L, 1, "ID-JK", NOON_JAKARTA));
        assertEquals(Outcome.APPROVE, id.getOutcome(), id.toString());
        assertTrue(reason(id, "CAP_ALL_IN_RATE").getValue().contains("cap_bps=3650"), id.getReasonsList().toString());
        int annualised = id.getPlan().getAnnualisedRateBps();
        assertTrue(annualised <= 3650 && annualised > 3600, "lowered to the cap, no further: " + annualised);
        assertEquals(2200, id.getAprBps(), "the fee is lowered before the APR");
    }

    @Test
    void shouldRefuseAnotherCurrencyThanTheLinesNamingCurrencyAndChangeNothing() throws Exception {
        open(NOON_JAKARTA);
        upsert(idGradeB("budi", 10_000_000_000L));
        String before = StateDigest.of(pipeline);
        DecisionRequest cny = cash("x1", "budi", 500_000_000L, 3, "ID-JK", NOON_JAKARTA).toBuilder()
                .setCurrency("CNY").build();
        StatusRuntimeException e = refusedDecide(cny);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals(List.of("currency"), fields(e), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("market ID lends in IDR"), e.getStatus().toString());
        RepayRequest wrong = RepayRequest.newBuilder().setRequestId("r1").setBorrowerId("budi")
                .setProduct(Product.CASH_LOAN).setAmountMinor(1).setCurrency("CNY").build();
        StatusRuntimeException repay = MarketsTest.<dev.formica.v1.RepayResponse>refused(s -> pipeline.repay(wrong, s,
                null));
        assertEquals(List.of("currency"), fields(repay));
        StatusRuntimeException usd = refusedDecide(cny.toBuilder().setCurrency("USD").build());
        assertEquals(List.of("currency"), fields(usd), "no market lends in USD");
        assertEquals(before, StateDigest.of(pipeline));
        assertEquals(0, line("budi", Product.CASH_LOAN).getHeldMinor());
        // the refused request id was not recorded: the same id in the line's currency is decided
        assertEquals(Outcome.APPROVE, decide(cny.toBuilder().setCurrency("IDR").build()).getOutcome());
    }

    @Test
    void shouldRefuseAnUnknownMarketAndAnotherMarketThanTheProfilesNamingMarket() throws Exception {
        open(NOON_JAKARTA);
        upsert(idGradeB("budi", 10_000_000_000L));
        String before = StateDigest.of(pipeline);
        DecisionRequest r = cash("x1", "budi", 500_000_000L, 3, "ID-JK", NOON_JAKARTA);
        StatusRuntimeException unknown = refusedDecide(r.toBuilder().setMarket("VN").build());
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
        assertEquals(List.of("market"), fields(unknown));
        StatusRuntimeException other = refusedDecide(r.toBuilder().setMarket("CN").build());
        assertEquals(List.of("market"), fields(other), other.getStatus().toString());
        StatusRuntimeException profile = refusedUpsert(idGradeB("nina", 1).toBuilder()
                .setMarket("XX").build());
        assertEquals(List.of("market"), fields(profile));
        // a borrower with a line cannot move to another market (its line's currency would change)
        StatusRuntimeException move = refusedUpsert(idGradeB("budi", 1).toBuilder().setMarket("CN")
                .build());
        assertEquals(List.of("market"), fields(move));
        assertEquals(before, StateDigest.of(pipeline));
        assertEquals(Outcome.APPROVE, decide(r.toBuilder().setMarket("ID").build()).getOutcome());
    }

    /**
     * Effective dates in the market's zone: id-2026-seojk19 is in force from midnight in Jakarta (2025-12-31T17:00Z),
     * not from midnight UTC; half an hour either side the engine applies the older and the newer version.
     */
    @Test
    void shouldApplyAnIdVersionFromMidnightInJakarta() {
        long midnightJakarta = Instant.parse("2025-12-31T17:00:00Z").toEpochMilli();
        open(midnightJakarta - 1_800_000);
        upsert(idGradeB("budi", 10_000_000_000L));
        DecisionResponse before = decide(cash("i1", "budi", 500_000_000L, 3, "ID-JK", 0));
        assertEquals("id-2025-seojk19", before.getRegulatoryVersion());
        clock.update(midnightJakarta + 1_800_000); // 00:30 in Jakarta, still 17:30 on 31 December in UTC
        DecisionResponse after = decide(cash("i2", "budi", 500_000_000L, 3, "ID-JK", 0));
        assertEquals("id-2026-seojk19", after.getRegulatoryVersion());
    }

    /**
     * Hour of day in the market's zone: at 21:30 UTC it is 04:30 in Jakarta (the night-time cash-out rule, 01:00 to
     * 05:00, sends a large ID cash loan to review) and 05:30 in Shanghai (the same rule lets the CN loan through).
     */
    @Test
    void shouldReadTheHourOfDayInEachMarketsZone() {
        long at = Instant.parse("2026-06-01T21:30:00Z").toEpochMilli();
        open(at);
        upsert(idGradeB("budi", 10_000_000_000L));
        upsert(RegulationBindsTest.gradeB("chen"));
        DecisionResponse id = decide(cash("i1", "budi", 1_000_000_000L, 3, "ID-JK", at)); // Rp 10,000,000
        assertEquals(Outcome.REVIEW, id.getOutcome(), id.toString());
        reason(id, "NIGHT_CASH_OUT");
        DecisionResponse cn = decide(cash("c1", "chen", 1_000_000L, 3, "CN-31", at)); // 10,000 CNY
        assertFalse(cn.getReasonsList().stream().anyMatch(r -> r.getCode().equals("NIGHT_CASH_OUT")),
                cn.getReasonsList().toString());
        clock.update(at + 3_600_000); // 05:30 in Jakarta
        DecisionResponse idMorning = decide(cash("i2", "budi", 1_000_000_000L, 3, "ID-JK", at + 3_600_000));
        assertFalse(idMorning.getReasonsList().stream().anyMatch(r -> r.getCode().equals("NIGHT_CASH_OUT")));
    }

    /** Without the setting the server is one market with the code "": a named market is unknown there. */
    @Test
    void shouldKeepOneDefaultMarketWithoutTheSetting() throws Exception {
        clock.update(NOON_JAKARTA);
        pipeline = DecisionPipeline.open(RegulationBindsTest.config(dir.resolve("one")), clock);
        upsert(RegulationBindsTest.gradeB("chen"));
        DecisionResponse cn = decide(RegulationBindsTest.cashLoan("c1", "chen", 100_000, 3).toBuilder()
                .setCurrency("CNY").build());
        assertEquals(Outcome.APPROVE, cn.getOutcome());
        CreditLine line = line("chen", Product.CASH_LOAN);
        assertEquals("CNY", line.getCurrency());
        assertEquals("", line.getMarket());
        StatusRuntimeException named = refusedDecide(RegulationBindsTest.cashLoan("c2", "chen", 100,
                1).toBuilder().setMarket("CN").build());
        assertEquals(List.of("market"), fields(named));
        StatusRuntimeException idr = refusedDecide(RegulationBindsTest.cashLoan("c3", "chen", 100,
                1).toBuilder().setCurrency("IDR").build());
        assertEquals(List.of("currency"), fields(idr));
        assertTrue(idr.getStatus().getDescription().contains("this server lends in CNY"));
    }
}
