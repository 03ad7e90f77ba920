package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up replays the shards on threads of their own, each adding its velocity operations to the engine-wide table
 * itself, the quota operations merged by frame time afterwards: four shards whose decisions share devices, IPs and
 * merchants (so every velocity key takes adds from several shards at once) over two hours of frame time (every
 * velocity ring wraps), with a snapshot in the middle, in a crowded table (long probe runs, keys competing for
 * slots). Every start rebuilds each shard's state, the funding quotas and every velocity key's raw counter words as
 * the live run left them. Where a key lands in the table may differ between starts; no read sees it.
 */
class ParallelReplayTest {
    private static final int SHARDS = 4;

    @TempDir
    Path dir;

    private final CachedEpochClock clock = new CachedEpochClock();

    private DecisionPipeline open() {
        return DecisionPipeline.open(new EngineConfiguration().dataDir(dir).shards(SHARDS)
                .holdTtl(Duration.ofMinutes(15)).expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .velocityKeys(100).shardMode(EngineConfiguration.ShardMode.DEDICATED).queueCapacity(1024), clock);
    }

    @Test
    void shouldRebuildTheLiveStateQuotasAndEveryVelocityCounterOnEveryStart() {
        clock.update(PipelineFixture.START_MS);
        DecisionPipeline pipeline = open();
        String[] live;
        String quotas;
        TreeMap<Long, String> velocity;
        try {
            live(pipeline);
            live = ReplayDigestTest.digests(pipeline);
            quotas = Arrays.toString(ReplayDigestTest.quotas(pipeline));
            velocity = counters(pipeline.velocity());
        } finally {
            pipeline.close();
        }
        assertTrue(velocity.size() > 60, "keys from every dimension: " + velocity.size());
        for (int start = 0; start < 2; start++) {
            pipeline = open();
            try {
                assertEquals(List.of(live), List.of(ReplayDigestTest.digests(pipeline)), "shard states");
                assertEquals(quotas, Arrays.toString(ReplayDigestTest.quotas(pipeline)), "funding quotas");
                assertEquals(velocity, counters(pipeline.velocity()), "every velocity key's counters");
            } finally {
                pipeline.close();
            }
        }
    }

    private void live(DecisionPipeline pipeline) {
        List<String> borrowers = new ArrayList<>();
        for (int b = 0; b < 40; b++) {
            borrowers.add("pb" + b);
            FutureSink<Boolean> s = new FutureSink<>();
            pipeline.upsert(ReplayDigestTest.borrower("pb" + b, 5_000_000), s, null);
            s.get();
        }
        SplittableRandom random = new SplittableRandom(11);
        List<String> holds = new ArrayList<>();
        int approvals = 0;
        for (int i = 0; i < 500; i++) {
            if (i == 250) {
                pipeline.snapshotNow();
            }
            clock.update(clock.time() + random.nextInt(30_000));
            DecisionRequest r = DecisionRequest.newBuilder().setRequestId("q" + i)
                    .setBorrowerId(borrowers.get(random.nextInt(borrowers.size())))
                    .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000 + random.nextInt(40_000))
                    .setRegion("CN-31").setDeviceId("dev" + random.nextInt(30))
                    .setIp("10.0.1." + random.nextInt(20)).setMerchantId("m" + random.nextInt(8)).build();
            FutureSink<DecisionResponse> d = new FutureSink<>();
            pipeline.decide(r, d, System.nanoTime(), null);
            DecisionResponse answer = d.get();
            if (answer.getOutcome() == Outcome.APPROVE) {
                holds.add(answer.getHoldId());
                approvals++;
            }
            if (holds.size() > 3 && random.nextInt(4) == 0) {
                String hold = holds.remove(random.nextInt(holds.size()));
                if (random.nextBoolean()) {
                    pipeline.confirm(dev.formica.v1.ConfirmRequest.newBuilder().setRequestId("c" + i)
                            .setHoldId(hold).build(), new FutureSink<>(), null);
                } else {
                    pipeline.cancel(dev.formica.v1.CancelRequest.newBuilder().setRequestId("x" + i)
                            .setHoldId(hold).build(), new FutureSink<>(), null);
                }
            }
        }
        ReplayDigestTest.sync(pipeline);
        assertTrue(approvals > 50, "enough approvals to mean something: " + approvals);
    }

    /** Every key's raw bucket words, by key hash (where the key sits in the table left out). */
    private static TreeMap<Long, String> counters(VelocityWindows velocity) {
        TreeMap<Long, String> out = new TreeMap<>();
        velocity.forEachKey((hash, words) -> out.put(hash, Arrays.toString(words)));
        return out;
    }
}
