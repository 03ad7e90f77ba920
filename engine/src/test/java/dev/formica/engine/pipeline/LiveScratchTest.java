package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot builder's scratch copies kept live between snapshots ({@code snapshotScratch: LIVE}, the default)
 * write the very bytes that loading the previous snapshot into a fresh copy and replaying the log after it writes;
 * a copy that does not stand on the newest snapshot on disk, or whose build failed half-way, is loaded again.
 */
class LiveScratchTest {
    @TempDir
    Path dir;
    private PipelineFixture f;
    private int request;
    private final SplittableRandom random = new SplittableRandom(11);

    @BeforeEach
    void start() {
        f = new PipelineFixture(dir, EngineConfiguration.ShardMode.DEDICATED, false);
        for (int b = 0; b < 30; b++) {
            FutureSink<Boolean> s = new FutureSink<>();
            f.pipeline.upsert(ReplayDigestTest.borrower("lb" + b, 2_000_000), s, null);
            s.get();
        }
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Decisions (velocity, funding quotas, holds) and a confirm or cancel of some approvals. */
    private void traffic(int decisions) {
        List<String> holds = new ArrayList<>();
        for (int i = 0; i < decisions; i++) {
            f.clock.update(f.clock.time() + random.nextInt(3_000));
            DecisionRequest r = DecisionRequest.newBuilder().setRequestId("q" + request++)
                    .setBorrowerId("lb" + random.nextInt(30)).setProduct(Product.CONSUMER_CREDIT)
                    .setAmountMinor(1_000 + random.nextInt(60_000)).setRegion("CN-31")
                    .setDeviceId("dev" + random.nextInt(40)).setIp("10.0.0." + random.nextInt(20))
                    .setMerchantId("m" + random.nextInt(8)).build();
            FutureSink<DecisionResponse> d = new FutureSink<>();
            f.pipeline.decide(r, d, System.nanoTime(), null);
            DecisionResponse answer = d.get();
            if (answer.getOutcome() == Outcome.APPROVE) {
                holds.add(answer.getHoldId());
            }
        }
        for (int k = 0; k < holds.size(); k++) {
            if (k % 3 == 0) {
                f.confirm("c" + request + "-" + k, holds.get(k)).get();
            } else if (k % 3 == 1) {
                f.cancel("x" + request + "-" + k, holds.get(k)).get();
            }
        }
    }

    private SnapshotBuilder builder() {
        return f.pipeline.snapshotBuilder();
    }

    private SnapshotBuilder.Valid newest(int shard) throws Exception {
        return SnapshotBuilder.validSnapshots(SnapshotBuilder.directory(dir, shard), shard).get(0);
    }

    @Test
    void shouldWriteTheBytesARebuildFromThePreviousSnapshotWrites() throws Exception {
        int shards = f.pipeline.shards();
        f.pipeline.snapshotNow(); // the first: a fresh copy per shard, from the empty log
        traffic(150);
        f.pipeline.snapshotNow(); // on the live copies
        traffic(150);
        f.pipeline.snapshotNow();
        assertEquals(shards, builder().loads(), "a copy per shard at the first snapshot, none loaded after");
        Path[] live = new Path[shards];
        byte[][] liveBytes = new byte[shards][];
        for (int k = 0; k < shards; k++) {
            live[k] = newest(k).file();
            liveBytes[k] = Files.readAllBytes(live[k]);
        }
        String[] state = ReplayDigestTest.digests(f.pipeline);

        // the same snapshots rebuilt the old way: the previous one loaded into a fresh copy, the log replayed
        f.pipeline.close();
        for (int k = 0; k < shards; k++) {
            Files.delete(live[k]);
        }
        f.open();
        assertArrayEquals(state, ReplayDigestTest.digests(f.pipeline), "restarted from the previous snapshots");
        f.pipeline.snapshotNow();
        assertEquals(shards, builder().loads(), "each shard's copy loaded from its previous snapshot");
        for (int k = 0; k < shards; k++) {
            assertEquals(live[k], newest(k).file(), "rebuilt at the same log position");
            assertArrayEquals(liveBytes[k], Files.readAllBytes(live[k]), "shard " + k + ": the same bytes");
        }
    }

    @Test
    void shouldLoadAgainWhenTheNewestSnapshotIsNotTheOneTheCopyStandsOn() throws Exception {
        int shards = f.pipeline.shards();
        f.pipeline.snapshotNow();
        traffic(60);
        f.pipeline.snapshotNow();
        assertEquals(shards, builder().loads());

        // shard 0: its newest snapshot deleted, so the one on disk is older than the copy
        Files.delete(newest(0).file());
        // shard 1: its newest snapshot replaced by the same bytes in another file (restored from a backup)
        Path file = newest(1).file();
        Path copy = file.resolveSibling("restored.tmp");
        Files.copy(file, copy);
        Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        traffic(60);
        f.pipeline.snapshotNow();
        assertEquals(2 * shards, builder().loads(), "both copies loaded again");
        assertRestartKeepsTheState();
    }

    @Test
    void shouldDropACopyWhoseBuildFailedAndLoadItAgain() throws Exception {
        int shards = f.pipeline.shards();
        f.pipeline.snapshotNow();
        traffic(60);
        Path[] before = new Path[shards];
        for (int k = 0; k < shards; k++) {
            before[k] = newest(k).file();
        }
        builder().beforeWrite = () -> {
            throw new IllegalStateException("failed after the replay");
        };
        assertThrows(IllegalStateException.class, () -> f.pipeline.snapshotNow());
        builder().beforeWrite = () -> { };
        assertEquals(before[0], newest(0).file(), "nothing written");
        f.pipeline.snapshotNow();
        assertEquals(shards + 1, builder().loads(), "shard 0's copy, replayed but not written, loaded again");
        traffic(60);
        f.pipeline.snapshotNow();
        assertEquals(shards + 1, builder().loads(), "live again after");
        assertRestartKeepsTheState();
    }

    /** A restart from the newest snapshots (the log after them replayed) rebuilds the state the run holds. */
    private void assertRestartKeepsTheState() {
        String[] state = ReplayDigestTest.digests(f.pipeline);
        String velocity = ReplayDigestTest.velocity(f.pipeline, f.clock.time());
        String quotas = java.util.Arrays.toString(ReplayDigestTest.quotas(f.pipeline));
        f.restart();
        assertArrayEquals(state, ReplayDigestTest.digests(f.pipeline));
        assertEquals(velocity, ReplayDigestTest.velocity(f.pipeline, f.clock.time()));
        assertEquals(quotas, java.util.Arrays.toString(ReplayDigestTest.quotas(f.pipeline)));
        assertTrue(f.pipeline.shards() > 1);
    }
}
