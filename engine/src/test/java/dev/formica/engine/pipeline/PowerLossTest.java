package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.log.Durability;
import dev.formica.engine.log.PowerCutChannels;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A power cut under load in {@code durability: fsync}: the log writer's segments sit on a simulated disk that
 * throws away every byte not yet synced when the power fails, at a random sync, and sometimes leaves a torn write.
 * After the restart every answer that was released is there (its retry is a replay with the same hold), and the
 * balances equal an independent model built from one answer per request. Run with the log writer syncing
 * ({@code logSync: WRITER}) and with each shard's owner loop syncing its own log ({@code logSync: LOOP}).
 */
class PowerLossTest {
    private static final int BORROWERS = 12;
    private static final long LINE = 1_000_000_000L;
    private static final int THREADS = 4;

    @TempDir
    Path dir;

    /** One request the load sent and what its caller was told (null: not answered, or refused). */
    record Sent(String requestId, String borrowerId, long amount, String holdId, boolean confirm) {
    }

    private EngineConfiguration config(EngineConfiguration.LogSync logSync) {
        return LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dir).shards(2).durability(Durability.FSYNC)
                .logSync(logSync).expectedBorrowers(10_000).expectedDecisionsPerDay(100_000));
    }

    @ParameterizedTest(name = "logSync {0}, run {1}")
    @CsvSource({"WRITER, 1", "WRITER, 2", "WRITER, 3", "LOOP, 1", "LOOP, 2", "LOOP, 3"})
    void shouldKeepEveryReleasedAnswerAfterAPowerCut(EngineConfiguration.LogSync logSync, int run)
            throws Exception {
        SplittableRandom random = new SplittableRandom(42 + run);
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(PipelineFixture.START_MS);
        PowerCutChannels disk = new PowerCutChannels(20 + random.nextInt(200));
        DecisionPipeline pipeline = DecisionPipeline.open(config(logSync), clock, LatencyHub.disabled(2, clock), disk);
        for (int b = 0; b < BORROWERS; b++) {
            FutureSink<Boolean> s = new FutureSink<>();
            pipeline.upsert(Profile.newBuilder().setBorrowerId("p" + b).addLines(ProductLine.newBuilder()
                    .setProduct(Product.CONSUMER_CREDIT).setLineMinor(LINE)).build(), s, null);
            s.get();
        }
        // Decides (and confirms of some approvals) until the power fails.
        Map<String, Sent> released = new ConcurrentHashMap<>();
        List<Sent> sent = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> workers = new ArrayList<>();
        DecisionPipeline live = pipeline;
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            workers.add(pool.submit(() -> {
                SplittableRandom r = new SplittableRandom(thread * 7919L + run);
                for (int i = 0; i < 20_000 && !disk.cut(); i++) {
                    String id = "t" + thread + "-" + i;
                    String borrower = "p" + r.nextInt(BORROWERS);
                    long amount = 1 + r.nextInt(50_000);
                    sent.add(new Sent(id, borrower, amount, null, false));
                    FutureSink<DecisionResponse> d = new FutureSink<>();
                    live.decide(PipelineFixture.decision(id, borrower, amount), d, System.nanoTime(), null);
                    DecisionResponse answer;
                    try {
                        answer = d.get();
                    } catch (StatusRuntimeException e) {
                        continue; // refused after the cut: never released
                    }
                    assertEquals(Outcome.APPROVE, answer.getOutcome());
                    released.put(id, new Sent(id, borrower, amount, answer.getHoldId(), false));
                    if (r.nextInt(3) == 0) {
                        String cid = "c-" + id;
                        sent.add(new Sent(cid, borrower, amount, answer.getHoldId(), true));
                        FutureSink<ConfirmResponse> c = new FutureSink<>();
                        live.confirm(ConfirmRequest.newBuilder().setRequestId(cid).setHoldId(answer.getHoldId())
                                .build(), c, null);
                        try {
                            c.get();
                            released.put(cid, new Sent(cid, borrower, amount, answer.getHoldId(), true));
                        } catch (StatusRuntimeException e) {
                            // refused after the cut
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(disk.cut(), "the power failed during the load");
        assertTrue(released.size() > 10, "answers were released before the cut: " + released.size());
        if (logSync == EngineConfiguration.LogSync.LOOP) {
            assertTrue(pipeline.owner(0).ownerSyncs() + pipeline.owner(1).ownerSyncs() > 0, "the owners synced");
        }
        pipeline.close();
        disk.applyCut(random);
        // the power cut also empties /dev/shm: the shards' log windows are gone with it
        try (var windows = java.nio.file.Files.list(pipeline.logWindows())) {
            for (Path w : windows.toList()) {
                java.nio.file.Files.delete(w);
            }
        }

        pipeline = DecisionPipeline.open(config(logSync), clock, LatencyHub.disabled(2, clock));
        try {
            assertEquals(0, pipeline.recoveryReports().stream().mapToLong(RecoveryReport::heldMismatchesRepaired)
                    .sum(), "held equals the sum of active holds after replay");
            // Every released answer survived: its retry replays the same hold.
            for (Sent s : released.values()) {
                if (!s.confirm()) {
                    FutureSink<DecisionResponse> d = new FutureSink<>();
                    pipeline.decide(PipelineFixture.decision(s.requestId(), s.borrowerId(), s.amount()), d,
                            System.nanoTime(), null);
                    DecisionResponse again = d.get();
                    assertTrue(again.getReplayed(), "released approval " + s.requestId() + " was lost");
                    assertEquals(s.holdId(), again.getHoldId());
                }
            }
            // The model: every request sent gets exactly one outcome now (a replay if it was durable, else fresh).
            Map<String, Long> held = new HashMap<>();
            Map<String, Long> drawn = new HashMap<>();
            List<Sent> all = new ArrayList<>(sent);
            for (Sent s : all) {
                if (s.confirm()) {
                    continue;
                }
                FutureSink<DecisionResponse> d = new FutureSink<>();
                pipeline.decide(PipelineFixture.decision(s.requestId(), s.borrowerId(), s.amount()), d,
                        System.nanoTime(), null);
                DecisionResponse answer = d.get();
                assertEquals(Outcome.APPROVE, answer.getOutcome());
                held.merge(s.borrowerId(), s.amount(), Long::sum);
            }
            for (Sent s : all) {
                if (!s.confirm()) {
                    continue;
                }
                FutureSink<ConfirmResponse> c = new FutureSink<>();
                pipeline.confirm(ConfirmRequest.newBuilder().setRequestId(s.requestId()).setHoldId(s.holdId())
                        .build(), c, null);
                Status.Code code = c.errorCode();
                assertEquals(Status.Code.OK, code, "confirm " + s.requestId());
                held.merge(s.borrowerId(), -s.amount(), Long::sum);
                drawn.merge(s.borrowerId(), s.amount(), Long::sum);
            }
            for (int b = 0; b < BORROWERS; b++) {
                String borrower = "p" + b;
                FutureSink<CreditLine> l = new FutureSink<>();
                pipeline.creditLine(GetCreditLineRequest.newBuilder().setBorrowerId(borrower)
                        .setProduct(Product.CONSUMER_CREDIT).build(), l, null);
                CreditLine line = l.get();
                assertEquals(held.getOrDefault(borrower, 0L), line.getHeldMinor(), "held of " + borrower);
                assertEquals(drawn.getOrDefault(borrower, 0L), line.getDrawnMinor(), "drawn of " + borrower);
            }
        } finally {
            pipeline.close();
        }
    }
}
