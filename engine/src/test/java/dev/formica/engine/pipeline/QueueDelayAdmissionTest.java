package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.metrics.ShedCounter;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission by queueing delay ({@code maxQueueDelay}): a request that waited longer than the budget
 * since it arrived is shed with RESOURCE_EXHAUSTED and leaves nothing behind, so its retry is decided
 * afresh; a request within the budget is decided. The arrival time is the one the pipeline is given,
 * so the test needs no clock tricks or sleeps. Each refusal, and a request dropped because its caller's deadline
 * passed in the queue, counts once in {@code formica_shed_total} under its reason.
 */
class QueueDelayAdmissionTest {
    @TempDir
    Path dir;

    @Test
    void shouldShedARequestThatWaitedLongerThanTheBudgetAndRecordNothing() throws Exception {
        DecisionPipeline pipeline = pipelineWithBorrower(Duration.ofMillis(5), "alice");
        try {
            FutureSink<DecisionResponse> stale = new FutureSink<>();
            long arrivedLongAgo = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
            pipeline.decide(PipelineFixture.decision("d1", "alice", 5_000), stale, arrivedLongAgo, null);
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, stale.errorCode());
            io.grpc.StatusRuntimeException shed = org.junit.jupiter.api.Assertions.assertThrows(
                    io.grpc.StatusRuntimeException.class, stale::get);
            assertEquals("QUEUE_DELAY_EXCEEDED", dev.formica.engine.server.Refusals.reasonOf(shed));
            ShedCounter counted = pipeline.shardMetrics(0).decisions().shed();
            assertEquals(1, counted.count(ErrorReason.QUEUE_DELAY_EXCEEDED.name()),
                    "formica_shed_total{reason=\"QUEUE_DELAY_EXCEEDED\"}");
            // the configured shedRetryDelay (default 50 ms) is the pushback gRPC's own retries obey
            assertEquals(Long.toString(EngineConfiguration.DEFAULT_SHED_RETRY_DELAY.toMillis()),
                    shed.getTrailers().get(dev.formica.engine.server.Refusals.RETRY_PUSHBACK));

            FutureSink<DecisionResponse> retry = new FutureSink<>();
            pipeline.decide(PipelineFixture.decision("d1", "alice", 5_000), retry, System.nanoTime(), null);
            DecisionResponse answered = retry.get();
            assertFalse(answered.getReplayed(), "the shed attempt recorded nothing");
            assertEquals(10_000_000 - 5_000, answered.getAvailableAfterMinor(), "reserved exactly once");
            assertTrue(answered.getHoldId().length() > 0);
            assertEquals(1, counted.count(ErrorReason.QUEUE_DELAY_EXCEEDED.name()), "a decided call counts nothing");
        } finally {
            pipeline.close();
        }
    }

    @Test
    void shouldDropARequestWhoseDeadlinePassedInTheQueueAndCountIt() throws Exception {
        DecisionPipeline pipeline = pipelineWithBorrower(Duration.ZERO, "bob");
        try {
            FutureSink<DecisionResponse> late = new FutureSink<>();
            pipeline.decide(PipelineFixture.decision("d2", "bob", 5_000), late, System.nanoTime(), () -> true);
            assertEquals(Status.Code.DEADLINE_EXCEEDED, late.errorCode());
            ShedCounter counted = pipeline.shardMetrics(0).decisions().shed();
            assertEquals(1, counted.count(ErrorReason.DEADLINE_EXPIRED_IN_QUEUE.name()),
                    "formica_shed_total{reason=\"DEADLINE_EXPIRED_IN_QUEUE\"}");
            assertEquals(0, counted.count(ErrorReason.QUEUE_DELAY_EXCEEDED.name()));
            assertEquals(0, counted.count(ErrorReason.SHARD_QUEUE_FULL.name()));
        } finally {
            pipeline.close();
        }
    }

    /** A one-shard pipeline with {@code maxQueueDelay} and one borrower holding a 100,000.00 consumer line. */
    private DecisionPipeline pipelineWithBorrower(Duration maxQueueDelay, String borrowerId) throws Exception {
        DecisionPipeline pipeline = DecisionPipeline.open(new EngineConfiguration().dataDir(dir).shards(1)
                .expectedBorrowers(10_000).expectedDecisionsPerDay(100_000).maxQueueDelay(maxQueueDelay),
                SystemEpochClock.INSTANCE);
        try {
            FutureSink<Boolean> created = new FutureSink<>();
            pipeline.upsert(Profile.newBuilder().setBorrowerId(borrowerId).addLines(ProductLine.newBuilder()
                    .setProduct(Product.CONSUMER_CREDIT).setLineMinor(10_000_000)).build(), created, null);
            created.get();
            return pipeline;
        } catch (Exception | AssertionError e) {
            pipeline.close();
            throw e;
        }
    }
}
