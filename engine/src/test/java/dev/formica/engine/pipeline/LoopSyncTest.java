package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.LedgerOnlyRules;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.log.Durability;
import dev.formica.engine.log.LogChannel;
import dev.formica.engine.log.SyncHookChannels;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code logSync: LOOP}: the owner loop syncs its shard's log itself. The calls it reads in one round are synced by
 * one task queued behind that round, on the owner's thread, and answered there once synced: no log writer sync, no
 * hand-back task through the owner's inbox.
 */
class LoopSyncTest {
    @TempDir
    Path dir;
    DecisionPipeline pipeline;
    final CachedEpochClock clock = new CachedEpochClock();
    /** Every completed sync of a log segment: its log directory and its thread. */
    final List<Sync> syncs = new CopyOnWriteArrayList<>();
    /** The log directory of the shard under test (known once the pipeline is open). */
    volatile Path shardLog;

    record Sync(Path log, Thread thread) {
    }

    /** Completed syncs of the shard under test. */
    private List<Sync> shardSyncs() {
        return syncs.stream().filter(s -> s.log().equals(shardLog)).toList();
    }

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private void open() {
        LogChannel.Factory channels = SyncHookChannels.around(SyncHookChannels.Hook.NONE,
                file -> syncs.add(new Sync(file.getParent(), Thread.currentThread())));
        clock.update(PipelineFixture.START_MS);
        EngineConfiguration c = LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dir).shards(2)
                .loopShedLag(Duration.ZERO).holdTtl(Duration.ofMinutes(15)).expectedBorrowers(10_000)
                .expectedDecisionsPerDay(100_000).shardMode(EngineConfiguration.ShardMode.LOOP)
                .durability(Durability.FSYNC).logSync(EngineConfiguration.LogSync.LOOP));
        c.conclude();
        pipeline = DecisionPipeline.open(c, clock, LatencyHub.disabled(c.shards(), clock), channels, null);
        FutureSink<Boolean> created = new FutureSink<>();
        pipeline.upsert(dev.formica.v1.Profile.newBuilder().setBorrowerId("own-0").setRegion("CN-31")
                .addLines(dev.formica.v1.ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                        .setLineMinor(1_000_000_000L)).build(), created, null);
        assertTrue(created.get());
    }

    /** A sink that remembers the thread that answered and how many syncs had completed then. */
    private final class Answer implements Sink<DecisionResponse> {
        final FutureSink<DecisionResponse> future = new FutureSink<>();
        volatile Thread thread;
        volatile int syncsBefore = -1;

        @Override
        public void onResult(DecisionResponse result) {
            thread = Thread.currentThread();
            syncsBefore = shardSyncs().size();
            future.onResult(result);
        }

        @Override
        public void onError(dev.formica.engine.errors.Refused error) {
            thread = Thread.currentThread();
            future.onError(error);
        }
    }

    @Test
    void theCallsOfOneRoundAreSyncedByOneTaskOnTheOwnerAndAnsweredThere() throws Exception {
        open();
        int shard = pipeline.shardOf("own-0");
        shardLog = LogRecovery.logDir(dir, shard);
        ShardOwner owner = pipeline.owner(shard);
        // the start-up frames and the profile's are synced: nothing of the owner's left to sync
        owner.loop().submit(() -> { }).get(10, TimeUnit.SECONDS);
        int calls = 10;
        List<Answer> answers = new ArrayList<>();
        AtomicReference<Thread> ownerThread = new AtomicReference<>();
        AtomicInteger syncsInRound = new AtomicInteger(-1);
        long wakeUps = owner.replyLoop().wakeUps();
        long ownerSyncs = owner.ownerSyncs();
        int before = shardSyncs().size();
        owner.loop().submit(() -> {
            ownerThread.set(Thread.currentThread());
            for (int i = 0; i < calls; i++) { // one round of calls read by the owner
                Answer a = new Answer();
                answers.add(a);
                pipeline.decide(PipelineFixture.decision("loop-s" + i, "own-0", 100), a, System.nanoTime(), null);
            }
            syncsInRound.set(shardSyncs().size() - before);
            for (Answer a : answers) {
                assertFalse(a.future.future.isDone(), "answered before the sync");
            }
        }).get(10, TimeUnit.SECONDS);
        assertEquals(0, syncsInRound.get(), "no sync inside the round");
        // the sync task was queued behind the round: it has run once this task runs
        owner.loop().submit(() -> { }).get(10, TimeUnit.SECONDS);
        for (Answer a : answers) {
            assertTrue(a.future.future.isDone(), "answered by the sync task");
            assertEquals(Outcome.APPROVE, a.future.get().getOutcome());
            assertSame(ownerThread.get(), a.thread, "answered on the owner");
            assertTrue(a.syncsBefore > before, "answered after a sync");
        }
        assertEquals(1, owner.ownerSyncs() - ownerSyncs, "one sync task for the round");
        assertEquals(wakeUps, owner.replyLoop().wakeUps(), "no hand-back task through the inbox");
        List<Sync> mine = shardSyncs();
        assertEquals(before + 1, mine.size(), "one fdatasync for the round's ten calls");
        assertSame(ownerThread.get(), mine.get(before).thread(), "synced on the owner, not on the log writer");
    }
}
