package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.risk.RuleSetRegistry;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FundingShare;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.Reason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rule-set activation while decisions run, and partner quota under concurrent decisions. */
class RuleSetSwapAndFundingTest {
    @TempDir
    Path dir;
    PipelineFixture f;

    @BeforeEach
    void open() {
        f = new PipelineFixture(dir, EngineConfiguration.ShardMode.DEDICATED, false);
    }

    @AfterEach
    void close() {
        f.close();
    }

    private void publish(String yaml) {
        RuleSetRegistry rules = f.pipeline.risk().rules();
        RuleSetCompiler.Outcome o = rules.compiler().compile(yaml);
        assertTrue(o.valid(), o.errors().toString());
        rules.publish(o.ruleSet(), "test", 0);
    }

    /** The default set renamed, with one TAG rule that always fires and names the version. */
    private static String marked(String version) {
        return DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: " + version)
                .replace("fraud:\n", "fraud:\n  - {code: MARK_" + version.toUpperCase().replace('-', '_')
                        + ", action: TAG, when: \"amount_minor > 0\", text: marker}\n");
    }

    private void borrowers(int n, long line) {
        for (int b = 0; b < n; b++) {
            FutureSink<Boolean> sink = new FutureSink<>();
            f.pipeline.upsert(Profile.newBuilder().setBorrowerId("s" + b).setAnnualIncomeMinor(100_000_000)
                    .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(line))
                    .build(), sink, null);
            sink.get();
        }
    }

    private DecisionResponse decide(String id, String borrower, long amount) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        f.pipeline.decide(DecisionRequest.newBuilder().setRequestId(id).setBorrowerId(borrower)
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).build(), sink, System.nanoTime(), null);
        return sink.get();
    }

    @Test
    void shouldSwapRuleSetsBetweenRequestsWithoutAnyRequestSeeingAMix() throws Exception {
        publish(marked("blue"));
        publish(marked("green"));
        borrowers(64, 100_000_000);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(4);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<DecisionResponse>>> results = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                List<DecisionResponse> out = new ArrayList<>();
                started.countDown();
                for (int k = 0; !stop.get() || k < 50; k++) {
                    // advance the borrower each time: velocity rules stay quiet
                    out.add(decide("t" + thread + "-" + k, "s" + ((thread * 16 + k) % 64), 100));
                    if (k > 5_000) {
                        break;
                    }
                }
                return out;
            }));
        }
        assertTrue(started.await(30, TimeUnit.SECONDS));
        for (int swap = 0; swap < 200; swap++) {
            f.pipeline.risk().rules().activate(swap % 2 == 0 ? "blue" : "green");
        }
        stop.set(true);
        int blue = 0;
        int green = 0;
        for (Future<List<DecisionResponse>> r : results) {
            for (DecisionResponse d : r.get(60, TimeUnit.SECONDS)) {
                List<String> codes = d.getReasonsList().stream().map(Reason::getCode).toList();
                if (d.getRuleSetVersion().equals("blue")) {
                    blue++;
                    assertTrue(codes.contains("MARK_BLUE") && !codes.contains("MARK_GREEN"), d.toString());
                } else if (d.getRuleSetVersion().equals("green")) {
                    green++;
                    assertTrue(codes.contains("MARK_GREEN") && !codes.contains("MARK_BLUE"), d.toString());
                } else {
                    assertTrue(!codes.contains("MARK_BLUE") && !codes.contains("MARK_GREEN"), d.toString());
                }
            }
        }
        pool.shutdown();
        assertTrue(blue + green > 0, "some decisions ran under the swapped sets");
    }

    @Test
    void shouldNeverOverAllocateAPartnerQuotaUnderConcurrentDecisions() throws Exception {
        // bank_hz may originate 1,000.00 CNY in total; every loan is 100.00 CNY, 70 % of it from bank_hz
        publish(DefaultRuleSet.yaml().replace("version: default-2026.11.1", "version: tight")
                .replace("{id: bank_hz, total_quota_minor: 5000000000000, daily_quota_minor: 50000000000}",
                        "{id: bank_hz, total_quota_minor: 100000, daily_quota_minor: 100000}"));
        f.pipeline.risk().rules().activate("tight");
        borrowers(40, 100_000_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<DecisionResponse>> all = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            int b = k;
            all.add(pool.submit(() -> {
                go.await();
                return decide("q" + b, "s" + b, 10_000);
            }));
        }
        go.countDown();
        long bankFunded = 0;
        int approved = 0;
        int unfunded = 0;
        List<DecisionResponse> approvals = new ArrayList<>();
        for (Future<DecisionResponse> r : all) {
            DecisionResponse d = r.get(60, TimeUnit.SECONDS);
            if (d.getOutcome() == Outcome.APPROVE) {
                approved++;
                approvals.add(d);
                bankFunded += d.getFundingList().stream().filter(s -> s.getFunderId().equals("bank_hz"))
                        .mapToLong(FundingShare::getAmountMinor).sum();
            } else if (d.getReasons(0).getCode().equals("FUNDING_UNAVAILABLE")) {
                unfunded++;
            }
        }
        pool.shutdown();
        assertEquals(14, approved, "100,000 of quota / 7,000 per loan = 14 loans");
        assertEquals(98_000, bankFunded);
        assertEquals(26, unfunded);
        // a cancel returns its share of the quota: one more loan fits afterwards
        FutureSink<dev.formica.v1.CancelResponse> cancel = new FutureSink<>();
        f.pipeline.cancel(dev.formica.v1.CancelRequest.newBuilder().setRequestId("cx")
                .setHoldId(approvals.get(0).getHoldId()).build(), cancel, null);
        assertEquals(10_000, cancel.get().getReleasedAmountMinor());
        assertEquals(Outcome.APPROVE, decide("after-cancel", "s39", 10_000).getOutcome());
        assertEquals(Outcome.DECLINE, decide("after-cancel-2", "s38", 10_000).getOutcome());
    }
}
