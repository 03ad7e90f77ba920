package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.engine.risk.ConcentrationReports;
import dev.formica.engine.risk.ConcentrationTable;
import dev.formica.engine.rules.ConcentrationPolicy.Dimension;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConcentrationReport;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DimensionConcentration;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedEpochClock;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, deliverable 4: exposure (held + drawn) aggregated per region, industry, merchant and related-party group
 * against its limit, through the real pipeline. The rule set {@code rules/concentration.yaml} has net assets of
 * 100,000.00 CNY and limits of 20 % per merchant (20,000.00), 30 % per industry, 50 % per region; the regulatory file
 * {@code regulatory/test-concentration.yaml} carries REGULATION.md's NFRA 2025 numbers: one borrower <= 10 % of net
 * assets (10,000.00) and one borrower with related parties <= 15 % (15,000.00).
 */
class ConcentrationLimitsTest {
    static final long T0 = RegulationBindsTest.NOON_SHANGHAI;

    @TempDir
    Path dir;
    final CachedEpochClock clock = new CachedEpochClock();
    DecisionPipeline pipeline;
    int requests;

    EngineConfiguration config() {
        return new EngineConfiguration().dataDir(dir.resolve("data")).shards(4).holdTtl(Duration.ofMinutes(15))
                .expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.CALLER_DRAINS).queueCapacity(1024)
                .rulesFile(LedgerOnlyRules.resource("rules/concentration.yaml"))
                .regulatoryFile(LedgerOnlyRules.resource("regulatory/test-concentration.yaml"));
    }

    @BeforeEach
    void open() {
        clock.update(T0);
        pipeline = DecisionPipeline.open(config(), clock);
    }

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    void upsert(String id, String region, String group) {
        FutureSink<Boolean> sink = new FutureSink<>();
        pipeline.upsert(Profile.newBuilder().setBorrowerId(id).setRegion(region).setGroupId(group)
                .setAnnualIncomeMinor(100_000_000)
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(2_000_000))
                .addLines(ProductLine.newBuilder().setProduct(Product.BUSINESS_LOAN).setLineMinor(2_000_000))
                .build(), sink, null);
        sink.get();
    }

    DecisionResponse decide(String borrower, Product product, long amount, String merchant, String category) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        pipeline.decide(DecisionRequest.newBuilder().setRequestId("r" + requests++).setBorrowerId(borrower)
                .setProduct(product).setAmountMinor(amount).setMerchantId(merchant).setMerchantCategory(category)
                .setInstallments(3).setEventTimeMs(clock.time()).build(), sink, System.nanoTime(), null);
        return sink.get();
    }

    DecisionResponse consumer(String borrower, long amount, String merchant) {
        return decide(borrower, Product.CONSUMER_CREDIT, amount, merchant, "5411");
    }

    long exposure(Dimension d, String key) {
        ConcentrationTable table = pipeline.risk().concentration();
        int slot = table.find(d, key);
        return slot < 0 ? 0 : table.exposure(slot);
    }

    @Test
    void shouldDeclineAMerchantAboveItsLimitNamingTheDimensionAndTheHeadroom() {
        for (int k = 0; k < 8; k++) {
            upsert("b" + k, "CN-31", "");
        }
        for (int k = 0; k < 6; k++) {
            assertEquals(Outcome.APPROVE, consumer("b" + k, 300_000, "m1").getOutcome());
        }
        assertEquals(1_800_000, exposure(Dimension.MERCHANT, "m1"));
        DecisionResponse over = consumer("b6", 300_000, "m1");
        assertEquals(Outcome.DECLINE, over.getOutcome(), over.toString());
        assertEquals("CONCENTRATION_MERCHANT", over.getReasons(0).getCode());
        assertEquals("merchant=m1, headroom_minor=200000, limit_minor=2000000, exposure_minor=1800000",
                over.getReasons(0).getValue());
        assertTrue(over.getReasons(0).getText().contains("concentration.merchant_bps 2000"),
                over.getReasons(0).getText());
        assertTrue(over.getHoldId().isEmpty());
        assertEquals(1_800_000, exposure(Dimension.MERCHANT, "m1"), "a declined decision reserves nothing");
        assertEquals(Outcome.APPROVE, consumer("b6", 200_000, "m1").getOutcome(), "up to the limit exactly");
        assertEquals(2_000_000, exposure(Dimension.MERCHANT, "m1"));
        assertEquals(Outcome.APPROVE, consumer("b7", 300_000, "m2").getOutcome(), "another merchant");
        assertEquals(2_300_000, exposure(Dimension.REGION, "CN-31"), "the region counts both merchants");
        assertEquals(0, exposure(Dimension.INDUSTRY, "5411"), "industry counts BUSINESS_LOAN only");
    }

    @Test
    void shouldGiveExposureBackOnCancelExpiryAndRepayment() {
        upsert("a", "CN-31", "");
        upsert("b", "CN-44", "");
        DecisionResponse held = consumer("a", 400_000, "m1");
        DecisionResponse drawn = consumer("b", 500_000, "m1");
        DecisionResponse expiring = consumer("a", 100_000, "m1");
        assertEquals(1_000_000, exposure(Dimension.MERCHANT, "m1"));

        FutureSink<dev.formica.v1.CancelResponse> cancel = new FutureSink<>();
        pipeline.cancel(CancelRequest.newBuilder().setRequestId("c1").setHoldId(held.getHoldId()).build(), cancel,
                null);
        cancel.get();
        assertEquals(600_000, exposure(Dimension.MERCHANT, "m1"), "Cancel releases the hold's 4,000.00");
        assertEquals(100_000, exposure(Dimension.REGION, "CN-31"));

        FutureSink<dev.formica.v1.ConfirmResponse> confirm = new FutureSink<>();
        pipeline.confirm(ConfirmRequest.newBuilder().setRequestId("k1").setHoldId(drawn.getHoldId()).build(),
                confirm, null);
        confirm.get();
        assertEquals(600_000, exposure(Dimension.MERCHANT, "m1"), "held became drawn: the exposure stays");
        FutureSink<dev.formica.v1.RepayResponse> repay = new FutureSink<>();
        pipeline.repay(RepayRequest.newBuilder().setRequestId("p1").setBorrowerId("b")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(200_000).build(), repay, null);
        repay.get();
        assertEquals(400_000, exposure(Dimension.MERCHANT, "m1"), "Repay lowers the drawn tranche");
        assertEquals(300_000, exposure(Dimension.REGION, "CN-44"));

        clock.update(T0 + Duration.ofMinutes(16).toMillis());
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> exposure(Dimension.MERCHANT, "m1") == 300_000);
        assertEquals(0, exposure(Dimension.REGION, "CN-31"), "the expired hold left region CN-31 too");
        assertEquals(expiring.getApprovedAmountMinor(), 100_000);
    }

    @Test
    void shouldHoldARelatedPartyGroupAtFifteenPercentOfNetAssets() {
        for (String id : new String[] {"g1", "g2", "g3"}) {
            upsert(id, "CN-31", "grp-A");
        }
        upsert("g4", "CN-31", "");
        // 10 % of net assets per borrower (10,000.00) and 15 % per group (15,000.00), NFRA 2025
        DecisionResponse single = consumer("g1", 1_000_001, "");
        assertEquals("CAP_REGULATORY_NET_ASSETS", single.getReasons(0).getCode(), single.toString());
        assertEquals(Outcome.APPROVE, consumer("g1", 1_000_000, "").getOutcome());
        assertEquals(Outcome.APPROVE, consumer("g2", 500_000, "").getOutcome());
        DecisionResponse group = consumer("g3", 1, "");
        assertEquals(Outcome.DECLINE, group.getOutcome(), group.toString());
        assertEquals("CONCENTRATION_GROUP", group.getReasons(0).getCode());
        assertEquals("group=grp-A, headroom_minor=0, limit_minor=1500000, exposure_minor=1500000",
                group.getReasons(0).getValue());
        assertTrue(group.getReasons(0).getText().contains("regulatory related-party limit 1500 bps"),
                group.getReasons(0).getText());

        // g2 leaves the group: its 5,000.00 goes with it, and the group has room again
        upsert("g2", "CN-31", "");
        assertEquals(1_000_000, exposure(Dimension.GROUP, "grp-A"));
        assertEquals(Outcome.APPROVE, consumer("g3", 500_000, "").getOutcome());
        assertEquals(1_500_000, exposure(Dimension.GROUP, "grp-A"));
        // g4 borrows outside any group, then joins grp-A: its exposure is counted even above the limit (a move is
        // not a loan), and the group's members get nothing more until it is back under
        assertEquals(Outcome.APPROVE, consumer("g4", 700_000, "").getOutcome());
        upsert("g4", "CN-31", "grp-A");
        assertEquals(2_200_000, exposure(Dimension.GROUP, "grp-A"));
        assertEquals("CONCENTRATION_GROUP", consumer("g3", 1, "").getReasons(0).getCode());
        upsert("g4", "CN-44", "grp-B");
        assertEquals(1_500_000, exposure(Dimension.GROUP, "grp-A"));
        assertEquals(700_000, exposure(Dimension.GROUP, "grp-B"));
        assertEquals(700_000, exposure(Dimension.REGION, "CN-44"), "the region moved too");
        assertEquals(2_000_000, exposure(Dimension.REGION, "CN-31"), "g1, g2 (out of the group, still CN-31), g3");
    }

    @Test
    void shouldCountTheIndustryOfBusinessLoansOnly() {
        for (int k = 1; k <= 5; k++) {
            upsert("sme" + k, "CN-33", "");
        }
        for (int k = 1; k <= 3; k++) {
            assertEquals(Outcome.APPROVE, decide("sme" + k, Product.BUSINESS_LOAN, 1_000_000, "", "5411")
                    .getOutcome());
        }
        assertEquals(Outcome.APPROVE, decide("sme4", Product.CONSUMER_CREDIT, 1_000_000, "", "5411").getOutcome());
        assertEquals(3_000_000, exposure(Dimension.INDUSTRY, "5411"), "30 % of net assets: the limit, reached");
        DecisionResponse over = decide("sme5", Product.BUSINESS_LOAN, 1, "", "5411");
        assertEquals("CONCENTRATION_INDUSTRY", over.getReasons(0).getCode(), over.toString());
        assertEquals("industry=5411, headroom_minor=0, limit_minor=3000000, exposure_minor=3000000",
                over.getReasons(0).getValue());
        assertEquals(Outcome.APPROVE, decide("sme5", Product.BUSINESS_LOAN, 1, "", "7011").getOutcome(),
                "another industry");
    }

    @Test
    void shouldRestoreTheAggregatesAfterARestartFromSnapshotAndLog() {
        for (int k = 0; k < 12; k++) {
            upsert("r" + k, k % 2 == 0 ? "CN-31" : "CN-11", k % 3 == 0 ? "grp" : "");
        }
        for (int k = 0; k < 6; k++) {
            DecisionResponse r = consumer("r" + k, 100_000 + 10_000L * k, "m" + (k % 2));
            if (k % 2 == 0) {
                FutureSink<dev.formica.v1.ConfirmResponse> c = new FutureSink<>();
                pipeline.confirm(ConfirmRequest.newBuilder().setRequestId("c" + k).setHoldId(r.getHoldId()).build(),
                        c, null);
                c.get();
            }
        }
        pipeline.snapshotNow();
        for (int k = 6; k < 12; k++) {
            consumer("r" + k, 50_000L * k, "m" + (k % 3));
        }
        FutureSink<dev.formica.v1.RepayResponse> repay = new FutureSink<>();
        pipeline.repay(RepayRequest.newBuilder().setRequestId("p").setBorrowerId("r2")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(50_000).build(), repay, null);
        repay.get();
        ConcentrationReport before = report();
        assertTrue(before.getDimensions(0).getTotalExposureMinor() > 0);

        pipeline.close();
        pipeline = DecisionPipeline.open(config(), clock);
        ConcentrationReport after = report();
        assertEquals(before, after, "the table is rebuilt from the snapshots' exposure records and the log after");
        assertEquals(0, pipeline.recoveryReports().stream().mapToLong(RecoveryReport::exposureRecordsRepaired).sum());
    }

    /**
     * A data directory from before the concentration limits has lines with exposure and no exposure records (here the
     * records are removed on the shard, as that build never wrote them): start-up attributes each line's held and
     * drawn balance to its profile's region and group (merchant and industry unknown) and logs the repair.
     */
    @Test
    void shouldAttributeExposureWithoutARecordAtStartUp() {
        upsert("old1", "CN-31", "grp");
        upsert("old2", "CN-11", "");
        DecisionResponse held = consumer("old1", 300_000, "m1");
        consumer("old2", 200_000, "m1");
        FutureSink<dev.formica.v1.ConfirmResponse> c = new FutureSink<>();
        pipeline.confirm(ConfirmRequest.newBuilder().setRequestId("c").setHoldId(held.getHoldId()).build(), c, null);
        c.get();
        for (String id : new String[] {"old1", "old2"}) {
            FutureSink<Boolean> done = new FutureSink<>();
            pipeline.runOnShard(pipeline.shardOf(id), () -> pipeline.state(pipeline.shardOf(id)).exposures()
                    .write(id, Product.CONSUMER_CREDIT_VALUE, new dev.formica.engine.state.ExposureRecord()), done);
            done.get();
        }
        pipeline.close();
        pipeline = DecisionPipeline.open(config(), clock);
        assertEquals(2, pipeline.recoveryReports().stream().mapToLong(RecoveryReport::exposureRecordsRepaired).sum());
        assertEquals(300_000, exposure(Dimension.REGION, "CN-31"), "drawn, from the ledger");
        assertEquals(300_000, exposure(Dimension.GROUP, "grp"));
        assertEquals(200_000, exposure(Dimension.REGION, "CN-11"), "held, from the active hold");
        assertEquals(0, exposure(Dimension.MERCHANT, "m1"), "the merchant is not known for that exposure");
        pipeline.close();
        pipeline = DecisionPipeline.open(config(), clock);
        assertEquals(0, pipeline.recoveryReports().stream().mapToLong(RecoveryReport::exposureRecordsRepaired).sum(),
                "the repair was logged: the next start finds nothing to repair");
        assertEquals(300_000, exposure(Dimension.REGION, "CN-31"));
    }

    ConcentrationReport report() {
        return ConcentrationReports.build(pipeline.risk(), clock.time(), "", 100);
    }

    @Test
    void shouldShowUsagePerDimensionInGetConcentrationAndMetrics() {
        upsert("a", "CN-31", "grp-A");
        upsert("b", "CN-31", "");
        consumer("a", 1_000_000, "m1");
        consumer("b", 500_000, "m2");
        ConcentrationReport report = report();
        assertEquals("concentration-test", report.getRuleSetVersion());
        assertEquals("test-concentration", report.getRegulatoryVersion());
        assertEquals(10_000_000, report.getNetAssetsMinor());
        DimensionConcentration merchants = report.getDimensionsList().stream()
                .filter(d -> d.getDimension().equals("merchant")).findFirst().orElseThrow();
        assertEquals(2_000_000, merchants.getLimitMinor());
        assertEquals(2, merchants.getKeys());
        assertEquals(1_500_000, merchants.getTotalExposureMinor());
        assertEquals("m1", merchants.getTop(0).getKey());
        assertEquals(1_000_000, merchants.getTop(0).getHeadroomMinor());
        assertEquals(5000, merchants.getTop(0).getUsageBps());
        DimensionConcentration groups = report.getDimensionsList().stream()
                .filter(d -> d.getDimension().equals("group")).findFirst().orElseThrow();
        assertEquals(1_500_000, groups.getLimitMinor(), "15 % of 100,000.00 (NFRA 2025 related parties)");
        assertTrue(groups.getLimitSource().contains("test-concentration"), groups.getLimitSource());

        PrometheusRegistry registry = new PrometheusRegistry();
        DecisionMetrics metrics = new DecisionMetrics(registry);
        metrics.bind(pipeline);
        assertEquals(1_000_000, gauge(registry, "formica_concentration_top_exposure_minor", "merchant", "m1"));
        assertEquals(5000, gauge(registry, "formica_concentration_top_usage_bps", "merchant", "m1"));
        assertEquals(1_500_000, gauge(registry, "formica_concentration_exposure_minor", "region", null));
        assertEquals(2_000_000, gauge(registry, "formica_concentration_limit_minor", "merchant", null));
    }

    static double gauge(PrometheusRegistry registry, String name, String dimension, String key) {
        for (MetricSnapshot m : registry.scrape()) {
            if (m.getMetadata().getPrometheusName().equals(name)) {
                for (GaugeSnapshot.GaugeDataPointSnapshot p : ((GaugeSnapshot) m).getDataPoints()) {
                    if (dimension.equals(p.getLabels().get("dimension"))
                            && (key == null || key.equals(p.getLabels().get("key")))) {
                        return p.getValue();
                    }
                }
            }
        }
        throw new AssertionError(name + " " + dimension + " " + key + " not scraped");
    }
}
