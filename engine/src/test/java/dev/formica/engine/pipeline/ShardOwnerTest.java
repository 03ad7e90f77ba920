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
import dev.formica.engine.metrics.ShedCounter;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.CachedEpochClock;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shardMode: LOOP}: a shard belongs to one loop. A command submitted on the owner's thread is decided and
 * answered there in the same call; a command from any other thread goes to the owner, a group of them in one drain
 * task; in {@code fsync} mode an answer decided on the owner waits for the sync of its frame and then comes back to
 * the owner.
 */
class ShardOwnerTest {
    @TempDir
    Path dir;
    DecisionPipeline pipeline;
    final CachedEpochClock clock = new CachedEpochClock();

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private void open(Durability durability, LogChannel.Factory channels) {
        open(durability, channels, Duration.ZERO); // a busy test box can hold a loop up: no shedding but where tested
    }

    private void open(Durability durability, LogChannel.Factory channels, Duration shedLag) {
        open(durability, channels, shedLag, null);
    }

    private void open(Durability durability, LogChannel.Factory channels, Duration shedLag, ShardLoops loops) {
        clock.update(PipelineFixture.START_MS);
        EngineConfiguration c = LedgerOnlyRules.apply(new EngineConfiguration().dataDir(dir).shards(2)
                .loopShedLag(shedLag)
                .holdTtl(Duration.ofMinutes(15)).expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.LOOP).queueCapacity(1024).durability(durability));
        c.conclude();
        pipeline = DecisionPipeline.open(c, clock, LatencyHub.disabled(c.shards(), clock), channels, loops);
        FutureSink<Boolean> created = new FutureSink<>();
        pipeline.upsert(dev.formica.v1.Profile.newBuilder().setBorrowerId("own-0").setRegion("CN-31")
                .addLines(dev.formica.v1.ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                        .setLineMinor(1_000_000_000L)).build(), created, null);
        assertTrue(created.get());
    }

    /** A sink that remembers the thread that answered. */
    private static final class Answer implements Sink<DecisionResponse> {
        final FutureSink<DecisionResponse> future = new FutureSink<>();
        volatile Thread thread;

        @Override
        public void onResult(DecisionResponse result) {
            thread = Thread.currentThread();
            future.onResult(result);
        }

        @Override
        public void onError(dev.formica.engine.errors.Refused error) {
            thread = Thread.currentThread();
            future.onError(error);
        }

        boolean isDone() {
            return future.future.isDone();
        }

        DecisionResponse get() {
            return future.get();
        }
    }

    @Test
    void shouldDecideACallReadOnTheOwnerInTheSameCallOnTheOwnersThread() throws Exception {
        open(Durability.PROCESS, LogChannel.FILES);
        int shard = pipeline.shardOf("own-0");
        ShardOwner owner = pipeline.owner(shard);
        long handOffs = owner.handOffs();
        AtomicReference<Thread> ownerThread = new AtomicReference<>();
        AtomicBoolean answeredBeforeReturn = new AtomicBoolean();
        Answer answer = new Answer();
        owner.loop().submit(() -> {
            ownerThread.set(Thread.currentThread());
            pipeline.decide(PipelineFixture.decision("own-r1", "own-0", 500), answer, System.nanoTime(), null);
            answeredBeforeReturn.set(answer.isDone());
        }).get(10, TimeUnit.SECONDS);

        assertTrue(answeredBeforeReturn.get(), "decided and answered inside the submitting call");
        assertEquals(Outcome.APPROVE, answer.get().getOutcome());
        assertSame(ownerThread.get(), answer.thread);
        assertEquals(handOffs, owner.handOffs(), "no task handed to the owner");
        assertTrue(owner.inline() >= 1);
    }

    @Test
    void shouldHandCallsFromOtherThreadsToTheOwnerInOneTaskPerGroup() throws Exception {
        open(Durability.PROCESS, LogChannel.FILES);
        int shard = pipeline.shardOf("own-0");
        ShardOwner owner = pipeline.owner(shard);
        AtomicReference<Thread> ownerThread = new AtomicReference<>();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        owner.loop().execute(() -> { // the owner is busy reading other calls while the group arrives
            ownerThread.set(Thread.currentThread());
            busy.countDown();
            await(release);
        });
        assertTrue(busy.await(10, TimeUnit.SECONDS));
        long handOffs = owner.handOffs();
        List<Answer> answers = new ArrayList<>();
        int group = 50;
        for (int i = 0; i < group; i++) {
            Answer a = new Answer();
            answers.add(a);
            pipeline.decide(PipelineFixture.decision("own-m" + i, "own-0", 100 + i), a, System.nanoTime(), null);
        }
        assertEquals(group, pipeline.queueDepth(shard), "nothing decided off the owner");
        assertFalse(answers.get(0).isDone());
        release.countDown();

        for (Answer a : answers) {
            assertEquals(Outcome.APPROVE, a.get().getOutcome());
            assertSame(ownerThread.get(), a.thread, "decided and answered on the owner (a caller that is no loop)");
        }
        assertEquals(handOffs + 1, owner.handOffs(), "the group went to the owner as one task");
    }

    @Test
    void shouldReleaseAnAnswerDecidedOnTheOwnerOnlyAfterItsFrameIsSynced() throws Exception {
        CountDownLatch syncAllowed = new CountDownLatch(1);
        AtomicBoolean gate = new AtomicBoolean(); // only the Decide's sync waits (not the start-up's)
        LogChannel.Factory channels = SyncHookChannels.around(file -> {
            if (gate.get()) {
                await(syncAllowed);
            }
        }, SyncHookChannels.Hook.NONE);
        open(Durability.FSYNC, channels);
        int shard = pipeline.shardOf("own-0");
        ShardOwner owner = pipeline.owner(shard);
        AtomicReference<Thread> ownerThread = new AtomicReference<>();
        Answer answer = new Answer();
        gate.set(true);
        owner.loop().submit(() -> {
            ownerThread.set(Thread.currentThread());
            pipeline.decide(PipelineFixture.decision("own-f1", "own-0", 700), answer, System.nanoTime(), null);
        }).get(10, TimeUnit.SECONDS);
        long syncs = pipeline.logWriter().syncs();
        // the owner's pass is over and it has run another task since: the answer still waits for the sync
        owner.loop().submit(() -> { }).get(10, TimeUnit.SECONDS);
        assertFalse(answer.isDone(), "released before its frame was synced");

        syncAllowed.countDown();
        assertEquals(Outcome.APPROVE, answer.get().getOutcome());
        assertTrue(pipeline.logWriter().syncs() > syncs, "the answer came after a sync");
        assertSame(ownerThread.get(), answer.thread, "handed back to the owner, not answered on the sync thread");
    }

    @Test
    void shouldHandTheOwnerItsSyncedGroupsWithOneTaskPerRoundNotOnePerGroup() throws Exception {
        CountDownLatch syncAllowed = new CountDownLatch(1);
        CountDownLatch syncing = new CountDownLatch(1);
        AtomicBoolean gate = new AtomicBoolean();
        LogChannel.Factory channels = SyncHookChannels.around(file -> {
            if (gate.get()) {
                syncing.countDown();
                await(syncAllowed);
            }
        }, SyncHookChannels.Hook.NONE);
        open(Durability.FSYNC, channels);
        ShardOwner owner = pipeline.owner(pipeline.shardOf("own-0"));
        AtomicReference<Thread> ownerThread = new AtomicReference<>();
        gate.set(true);
        List<Answer> answers = new ArrayList<>();
        int groups = 20;
        for (int i = 0; i < groups; i++) { // one call per task: each its own pass, its own group of answers
            Answer a = new Answer();
            answers.add(a);
            String id = "own-g" + i;
            owner.loop().submit(() -> {
                ownerThread.set(Thread.currentThread());
                pipeline.decide(PipelineFixture.decision(id, "own-0", 100), a, System.nanoTime(), null);
            }).get(10, TimeUnit.SECONDS);
            if (i == 0) {
                assertTrue(syncing.await(10, TimeUnit.SECONDS)); // the writer holds the first group's sync
            }
        }
        long wakeUps = owner.replyLoop().wakeUps();
        assertFalse(answers.get(0).isDone(), "nothing answered before its sync");
        // the owner's loop busy with a task of its own while the writer releases every group (the first, then the
        // 19 that arrived during its sync): a group released while a flush is already queued adds no task. Without
        // the hold the count depended on how the loop's wake-ups interleaved with the releases (CI saw 12).
        CountDownLatch loopHeld = new CountDownLatch(1);
        owner.loop().execute(() -> await(loopHeld));
        syncAllowed.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> owner.replyLoop().queued() == groups);
        loopHeld.countDown();

        for (Answer a : answers) {
            assertEquals(Outcome.APPROVE, a.get().getOutcome());
            assertSame(ownerThread.get(), a.thread, "answered on the owner");
        }
        long tasks = owner.replyLoop().wakeUps() - wakeUps;
        assertEquals(1, tasks, groups + " groups came back in " + tasks + " tasks");
        assertEquals(groups * 100L, creditLineHeld());
    }

    private long creditLineHeld() {
        return creditLine().get().getHeldMinor();
    }

    /** A clock for the owner's batch times that moves only when the test says. */
    private static final class TestNanos implements java.util.function.LongSupplier {
        private final java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000);

        @Override
        public long getAsLong() {
            return now.get();
        }

        void advance(Duration d) {
            now.addAndGet(d.toNanos());
        }
    }

    private FutureSink<DecisionResponse> decide(String requestId, long amount) {
        FutureSink<DecisionResponse> answer = new FutureSink<>();
        pipeline.decide(PipelineFixture.decision(requestId, "own-0", amount), answer, System.nanoTime(), null);
        return answer;
    }

    private FutureSink<dev.formica.v1.CreditLine> creditLine() {
        FutureSink<dev.formica.v1.CreditLine> line = new FutureSink<>();
        pipeline.creditLine(dev.formica.v1.GetCreditLineRequest.newBuilder().setBorrowerId("own-0")
                .setProduct(Product.CONSUMER_CREDIT).build(), line, null);
        return line;
    }

    @Test
    void shouldShedWritesWhenReadBatchesStayLongerThanTheLagAndReadsOnlyWhenFarLonger() throws Exception {
        RecordingLoops loops = new RecordingLoops();
        open(Durability.PROCESS, LogChannel.FILES, Duration.ofMillis(20), loops);
        int shard = pipeline.shardOf("own-0");
        ShardOwner owner = pipeline.owner(shard);
        TestNanos nanos = new TestNanos();
        owner.nanoClock(nanos);
        List<FutureSink<DecisionResponse>> decided = new ArrayList<>();
        owner.loop().submit(() -> { // a burst: one read batch of two calls that took 30 ms
            decided.add(decide("own-b0", 100));
            nanos.advance(Duration.ofMillis(30));
            decided.add(decide("own-b1", 100));
        }).get(10, TimeUnit.SECONDS);
        owner.loop().submit(() -> { }).get(10, TimeUnit.SECONDS); // the batch has ended
        assertFalse(owner.behind(), "one long batch is a burst the loop works through");
        assertEquals(0, owner.pauses());

        AtomicReference<FutureSink<DecisionResponse>> shedWrite = new AtomicReference<>();
        AtomicReference<FutureSink<dev.formica.v1.CreditLine>> servedRead = new AtomicReference<>();
        AtomicReference<FutureSink<dev.formica.v1.CreditLine>> shedRead = new AtomicReference<>();
        AtomicBoolean behindInBatch = new AtomicBoolean();
        long shed = owner.shed();
        ShedCounter counted = pipeline.shardMetrics(shard).decisions().shed();
        long countedBefore = counted.count(ErrorReason.SHARD_QUEUE_FULL.name());
        owner.loop().submit(() -> { // the next batch is long too: the loop stays behind its sockets
            decided.add(decide("own-b2", 100));
            nanos.advance(Duration.ofMillis(15));
            decided.add(decide("own-b3", 100));
            nanos.advance(Duration.ofMillis(15)); // 30 ms into a batch of two calls: behind for writes
            behindInBatch.set(owner.behind());
            shedWrite.set(decide("own-b4", 100));
            servedRead.set(creditLine()); // a read still served: 30 ms is under 4 x 20 ms
            nanos.advance(Duration.ofMillis(60)); // 90 ms: far behind, reads refused too
            shedRead.set(creditLine());
        }).get(10, TimeUnit.SECONDS);

        assertTrue(behindInBatch.get(), "behind while the second long batch runs");
        for (FutureSink<DecisionResponse> d : decided) {
            assertEquals(Outcome.APPROVE, d.get().getOutcome(), "the calls before the batch ran long are decided");
        }
        assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, shedWrite.get().errorCode());
        assertEquals(400, servedRead.get().get().getHeldMinor(), "a read is not refused as readily as a Decide");
        assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, shedRead.get().errorCode());
        assertEquals(shed + 2, owner.shed());
        assertEquals(countedBefore + 2, counted.count(ErrorReason.SHARD_QUEUE_FULL.name()),
                "formica_shed_total{reason=\"SHARD_QUEUE_FULL\"} counts each call the owner refused");
        assertEquals(0, pipeline.queueDepth(shard), "a shed call waits nowhere");
        // the owner stopped reading at the first call it refused, and read again at a later timer task
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> owner.resumes() >= 1
                && !owner.behind() && loops.of(shard).get(loops.of(shard).size() - 1).equals(shard + ":on"));
        assertEquals(shard + ":off", loops.of(shard).get(0), "the behind owner stopped reading first");
        FutureSink<DecisionResponse> retried = new FutureSink<>();
        owner.loop().submit(() -> pipeline.decide(PipelineFixture.decision("own-b4", "own-0", 100), retried,
                System.nanoTime(), null)).get(10, TimeUnit.SECONDS);
        assertEquals(Outcome.APPROVE, retried.get().getOutcome(), "the refused call changed nothing: its retry wins");
        assertEquals(500, creditLine().get().getHeldMinor(), "each approval held once, nothing for the refusals");
    }

    @Test
    void shouldNotCountABatchOfOneCallAsBehindHoweverLongItTook() throws Exception {
        open(Durability.PROCESS, LogChannel.FILES, Duration.ofMillis(20));
        ShardOwner owner = pipeline.owner(pipeline.shardOf("own-0"));
        TestNanos nanos = new TestNanos();
        owner.nanoClock(nanos);
        AtomicBoolean behind = new AtomicBoolean(true);
        FutureSink<DecisionResponse> first = owner.loop().submit(() -> {
            FutureSink<DecisionResponse> d = decide("own-one", 100);
            nanos.advance(Duration.ofSeconds(1)); // the thread was preempted in the middle of a lone call
            behind.set(owner.behind());
            return d;
        }).get(10, TimeUnit.SECONDS);
        assertEquals(Outcome.APPROVE, first.get().getOutcome());
        assertFalse(behind.get(), "one call is no backlog");
        // the batch has ended once a task queued after it ran
        owner.loop().submit(() -> { }).get(10, TimeUnit.SECONDS);
        assertTrue(owner.lastBatchNanos() >= Duration.ofSeconds(1).toNanos());
        assertFalse(owner.behind());
    }

    @Test
    void shouldServeCallsOfALoopThatWasOnlyLateNotBusyWithItsOwnReads() throws Exception {
        RecordingLoops loops = new RecordingLoops();
        Duration lag = Duration.ofMillis(20);
        open(Durability.PROCESS, LogChannel.FILES, lag, loops); // the real clock: lateness is real here
        int shard = pipeline.shardOf("own-0");
        ShardOwner owner = pipeline.owner(shard);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        owner.loop().execute(() -> { // the loop does not run (as on a starved box): its timer task runs late
            held.countDown();
            await(release);
        });
        assertTrue(held.await(10, TimeUnit.SECONDS));
        long heldSince = System.nanoTime();
        // the precondition under test is time itself: the loop has been held up far longer than loopShedLag
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> System.nanoTime() - heldSince > 5 * lag.toNanos());
        assertFalse(owner.behind(), "lateness the loop did not cause is not its backlog");
        FutureSink<DecisionResponse> queued = decide("own-late1", 100); // from another thread: queued for the owner
        FutureSink<dev.formica.v1.CreditLine> read = creditLine();
        release.countDown();

        assertEquals(Outcome.APPROVE, queued.get().getOutcome());
        assertEquals(100, read.get().getHeldMinor());
        FutureSink<DecisionResponse> onOwner = new FutureSink<>();
        owner.loop().submit(() -> pipeline.decide(PipelineFixture.decision("own-late2", "own-0", 100), onOwner,
                System.nanoTime(), null)).get(10, TimeUnit.SECONDS);
        assertEquals(Outcome.APPROVE, onOwner.get().getOutcome());
        assertEquals(0, owner.shed());
        assertEquals(0, owner.pauses());
        assertEquals(List.of(), loops.of(shard), "reads never stopped");
    }

    /** A loop per shard that records when the pipeline stops and resumes reading a shard's connections. */
    private static final class RecordingLoops implements ShardLoops {
        final ShardLoops threads = ShardLoops.threads(2);
        final List<String> switches = java.util.Collections.synchronizedList(new ArrayList<>());

        /** The switches of {@code shard}'s reads, in order. */
        List<String> of(int shard) {
            synchronized (switches) {
                return switches.stream().filter(s -> s.startsWith(shard + ":")).toList();
            }
        }

        @Override
        public java.util.concurrent.ScheduledExecutorService loop(int shard) {
            return threads.loop(shard);
        }

        @Override
        public boolean ownedByPipeline() {
            return true;
        }

        @Override
        public void reads(int shard, boolean on) {
            switches.add(shard + (on ? ":on" : ":off"));
        }
    }

    /** Counts the answers to one call. */
    private static final class Counted implements Sink<DecisionResponse> {
        final java.util.concurrent.atomic.AtomicInteger answers = new java.util.concurrent.atomic.AtomicInteger();
        final FutureSink<DecisionResponse> first = new FutureSink<>();

        @Override
        public void onResult(DecisionResponse result) {
            answers.incrementAndGet();
            first.onResult(result);
        }

        @Override
        public void onError(dev.formica.engine.errors.Refused error) {
            answers.incrementAndGet();
            first.onError(error);
        }
    }

    @Test
    void shouldStopReadingWhileMoreThanAPassIsQueuedAndAnswerEveryQueuedCallOnce() throws Exception {
        RecordingLoops loops = new RecordingLoops();
        open(Durability.PROCESS, LogChannel.FILES, Duration.ofSeconds(30), loops); // no lateness on a busy box
        int shard = pipeline.shardOf("own-0");
        ShardOwner owner = pipeline.owner(shard);
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        owner.loop().execute(() -> {
            busy.countDown();
            await(release);
        });
        assertTrue(busy.await(10, TimeUnit.SECONDS));
        int calls = 3 * ShardAgent.DRAIN_LIMIT; // misrouted calls from another thread: three passes' worth
        long amount = 1_000;
        List<Counted> answers = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            Counted a = new Counted();
            answers.add(a);
            pipeline.decide(PipelineFixture.decision("own-q" + i, "own-0", amount), a, System.nanoTime(), null);
        }
        release.countDown();

        long approved = 0;
        for (Counted a : answers) {
            if (a.first.errorCode() == io.grpc.Status.Code.OK) {
                assertEquals(Outcome.APPROVE, a.first.get().getOutcome());
                approved++;
            } else {
                assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, a.first.errorCode(), "queued too long: shed");
            }
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> owner.resumes() >= 1);
        for (Counted a : answers) {
            assertEquals(1, a.answers.get(), "exactly one answer per call");
        }
        assertEquals(List.of(shard + ":off", shard + ":on"), loops.of(shard).subList(0, 2));
        FutureSink<dev.formica.v1.CreditLine> line = new FutureSink<>();
        pipeline.creditLine(dev.formica.v1.GetCreditLineRequest.newBuilder().setBorrowerId("own-0")
                .setProduct(Product.CONSUMER_CREDIT).build(), line, null);
        assertEquals(approved * amount, line.get().getHeldMinor(), "every approval held once, nothing twice");
    }

    @Test
    void shouldRefuseLoopModeWithRaftReplication() {
        EngineConfiguration c = new EngineConfiguration().dataDir(dir).shardMode(EngineConfiguration.ShardMode.LOOP)
                .clusterNodes(List.of("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")).clusterNodeId(0)
                .clusterReplication(EngineConfiguration.Replication.RATIS)
                .clusterRaftNodes(List.of("127.0.0.1:4", "127.0.0.1:5", "127.0.0.1:6"));
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                c::conclude);
        assertTrue(e.getMessage().contains("shardMode LOOP does not combine with clusterReplication"),
                e.getMessage());
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
