package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.risk.ConcentrationTable;
import dev.formica.engine.rules.ConcentrationPolicy.Dimension;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bound of docs/regulation.md, "Concentration limits": a key's exposure never exceeds its limit (bound 0), with
 * decisions on many shards at once. Eight shards on their own threads, borrowers spread over them, four client
 * threads deciding concurrently at one merchant whose limit is 20 % of net assets (20,000.00 of 100,000.00,
 * {@code rules/concentration.yaml}) while a fifth cancels approved holds (releases race the reservations), and a
 * monitor reading the table the whole time.
 */
class ConcentrationAcrossShardsTest {
    static final long LIMIT = 2_000_000;

    @TempDir
    Path dir;

    @Test
    void shouldNeverTakeAMerchantAboveItsLimitWithDecisionsOnEightShardsAtOnce() throws Exception {
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(RegulationBindsTest.NOON_SHANGHAI);
        EngineConfiguration config = new EngineConfiguration().dataDir(dir.resolve("data")).shards(8)
                .holdTtl(Duration.ofHours(1)).expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.DEDICATED).queueCapacity(4096)
                .rulesFile(LedgerOnlyRules.resource("rules/concentration.yaml"))
                .regulatoryFile(LedgerOnlyRules.resource("regulatory/test-concentration.yaml"));
        final DecisionPipeline pipeline = DecisionPipeline.open(config, clock);
        int borrowers = 64;
        long exposure;
        try {
            for (int b = 0; b < borrowers; b++) {
                FutureSink<Boolean> sink = new FutureSink<>();
                pipeline.upsert(Profile.newBuilder().setBorrowerId("s" + b).setRegion("CN-31")
                        .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(2_000_000))
                        .build(), sink, null);
                sink.get();
            }
            java.util.Set<Integer> shards = new java.util.HashSet<>();
            for (int b = 0; b < borrowers; b++) {
                shards.add(pipeline.shardOf("s" + b));
            }
            assertEquals(8, shards.size(), "the borrowers are on every shard");

            ConcentrationTable table = pipeline.risk().concentration();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong highest = new AtomicLong();
            Thread monitor = new Thread(() -> {
                while (running.get()) {
                    int slot = table.find(Dimension.MERCHANT, "m-hot");
                    if (slot >= 0) {
                        highest.accumulateAndGet(table.exposure(slot), Math::max);
                    }
                }
            });
            monitor.start();

            int threads = 4;
            int perThread = 300;
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> clients = new ArrayList<>();
            List<List<DecisionResponse>> answers = new ArrayList<>();
            var approvedHolds = new java.util.concurrent.LinkedBlockingQueue<String>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                List<DecisionResponse> mine = new ArrayList<>();
                answers.add(mine);
                clients.add(new Thread(() -> {
                    Random random = new Random(id);
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    List<FutureSink<DecisionResponse>> inFlight = new ArrayList<>();
                    for (int k = 0; k < perThread; k++) {
                        FutureSink<DecisionResponse> sink = new FutureSink<>();
                        pipeline.decide(DecisionRequest.newBuilder().setRequestId("t" + id + "-" + k)
                                .setBorrowerId("s" + random.nextInt(borrowers)).setProduct(Product.CONSUMER_CREDIT)
                                .setAmountMinor(10_000 + random.nextInt(90_000)).setMerchantId("m-hot")
                                .setEventTimeMs(clock.time()).build(), sink, System.nanoTime(), null);
                        inFlight.add(sink);
                        if (inFlight.size() == 16) {
                            for (FutureSink<DecisionResponse> f : inFlight) {
                                DecisionResponse r = f.get();
                                mine.add(r);
                                if (r.getOutcome() == Outcome.APPROVE) {
                                    approvedHolds.add(r.getHoldId());
                                }
                            }
                            inFlight.clear();
                        }
                    }
                    for (FutureSink<DecisionResponse> f : inFlight) {
                        mine.add(f.get());
                    }
                }));
            }
            AtomicLong cancelled = new AtomicLong();
            Thread canceller = new Thread(() -> {
                int n = 0;
                while (running.get() || !approvedHolds.isEmpty()) {
                    String hold;
                    try {
                        hold = approvedHolds.poll(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (hold != null && n++ % 3 == 0) {
                        FutureSink<dev.formica.v1.CancelResponse> sink = new FutureSink<>();
                        pipeline.cancel(CancelRequest.newBuilder().setRequestId("x" + n).setHoldId(hold).build(),
                                sink, null);
                        cancelled.addAndGet(sink.get().getReleasedAmountMinor());
                    }
                }
            });
            clients.forEach(Thread::start);
            canceller.start();
            start.countDown();
            for (Thread c : clients) {
                c.join();
            }
            running.set(false);
            canceller.join();
            monitor.join();

            long approved = 0;
            long concentrationDeclines = 0;
            for (List<DecisionResponse> mine : answers) {
                for (DecisionResponse r : mine) {
                    if (r.getOutcome() == Outcome.APPROVE) {
                        approved += r.getApprovedAmountMinor();
                    } else if (r.getReasons(0).getCode().equals("CONCENTRATION_MERCHANT")) {
                        concentrationDeclines++;
                    }
                }
            }
            assertEquals(threads * perThread, answers.stream().mapToInt(List::size).sum());
            assertTrue(concentrationDeclines > 0, "the limit bound");
            assertTrue(cancelled.get() > 0, "releases raced the reservations");
            assertTrue(highest.get() <= LIMIT, "seen above the limit: " + highest.get());
            exposure = table.exposure(table.find(Dimension.MERCHANT, "m-hot"));
            assertTrue(exposure <= LIMIT, "exposure " + exposure);
            assertEquals(approved - cancelled.get(), exposure, "the table is every approval less every release");
            long held = 0;
            LedgerSnapshot line = new LedgerSnapshot();
            for (int b = 0; b < borrowers; b++) {
                if (pipeline.state(pipeline.shardOf("s" + b)).ledger().get("s" + b, Product.CONSUMER_CREDIT_VALUE,
                        line)) {
                    held += line.heldMinor();
                }
            }
            assertEquals(held, exposure, "and equals the held balances of the lines");

        } finally {
            pipeline.close();
        }
        DecisionPipeline reopened = DecisionPipeline.open(config, clock);
        try {
            ConcentrationTable restarted = reopened.risk().concentration();
            assertEquals(exposure, restarted.exposure(restarted.find(Dimension.MERCHANT, "m-hot")),
                    "rebuilt from the shards' exposure records after a restart");
        } finally {
            reopened.close();
        }
    }
}
