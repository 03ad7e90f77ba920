package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.Deadline;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full shard queue sheds at once; a request whose deadline passed while queued does no work. */
class OverloadAndDeadlineTest {
    @TempDir
    Path dir;

    /** Holds the shard's writer inside a reply until released: the queue behind it fills up. */
    /** Holds the shard's writer busy (a command that waits) until released. */
    static final class Blocker {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        void block(DecisionPipeline pipeline) {
            pipeline.runOnShard(0, () -> {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, new FutureSink<>());
        }
    }

    private DecisionPipeline open() {
        DecisionPipeline pipeline = DecisionPipeline.open(new EngineConfiguration().dataDir(dir).shards(1)
                .queueCapacity(16).expectedBorrowers(10_000).expectedDecisionsPerDay(100_000)
                .shardMode(EngineConfiguration.ShardMode.DEDICATED), SystemEpochClock.INSTANCE);
        FutureSink<Boolean> created = new FutureSink<>();
        pipeline.upsert(Profile.newBuilder().setBorrowerId("alice").addLines(ProductLine.newBuilder()
                .setProduct(Product.CONSUMER_CREDIT).setLineMinor(10_000_000)).build(), created, null);
        created.get();
        return pipeline;
    }

    @Test
    void shouldShedWithResourceExhaustedWhenTheShardQueueIsFullAndRecover() throws Exception {
        DecisionPipeline pipeline = open();
        try {
            Blocker blocker = new Blocker();
            blocker.block(pipeline);
            assertTrue(blocker.entered.await(10, TimeUnit.SECONDS));
            List<FutureSink<DecisionResponse>> queued = new ArrayList<>();
            FutureSink<DecisionResponse> shed = null;
            for (int i = 0; i < 64 && shed == null; i++) {
                FutureSink<DecisionResponse> sink = new FutureSink<>();
                pipeline.decide(PipelineFixture.decision("q" + i, "alice", 1), sink, System.nanoTime(), null);
                if (sink.future.isDone()) {
                    shed = sink;
                } else {
                    queued.add(sink);
                }
            }
            assertTrue(shed != null, "a full queue answers at once");
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, shed.errorCode());
            assertEquals(16, queued.size(), "exactly the queue's capacity was accepted");
            blocker.release.countDown();
            for (FutureSink<DecisionResponse> sink : queued) {
                assertEquals(Status.Code.OK, sink.errorCode(), "accepted requests are all answered");
            }
            FutureSink<DecisionResponse> after = new FutureSink<>();
            pipeline.decide(PipelineFixture.decision("after", "alice", 1), after, System.nanoTime(), null);
            assertEquals(Status.Code.OK, after.errorCode(), "back to normal once the queue drains");
        } finally {
            pipeline.close();
        }
    }

    @Test
    void shouldNotProcessARequestWhoseDeadlinePassedWhileQueued() throws Exception {
        DecisionPipeline pipeline = open();
        try {
            Blocker blocker = new Blocker();
            blocker.block(pipeline);
            assertTrue(blocker.entered.await(10, TimeUnit.SECONDS));
            FutureSink<DecisionResponse> late = new FutureSink<>();
            pipeline.decide(PipelineFixture.decision("late", "alice", 5_000), late, System.nanoTime(),
                    Deadline.after(0, TimeUnit.NANOSECONDS)::isExpired);
            blocker.release.countDown();
            assertEquals(Status.Code.DEADLINE_EXCEEDED, late.errorCode());
            FutureSink<DecisionResponse> retry = new FutureSink<>();
            pipeline.decide(PipelineFixture.decision("late", "alice", 5_000), retry, System.nanoTime(), null);
            DecisionResponse answered = retry.get();
            assertTrue(!answered.getReplayed(), "nothing was recorded for the expired attempt");
            assertEquals(5_000, 10_000_000 - answered.getAvailableAfterMinor(), "reserved exactly once");
        } finally {
            pipeline.close();
        }
    }
}
