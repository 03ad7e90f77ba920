package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CALLER_DRAINS} with a real event loop: a drain on a loop is one bounded pass of
 * {@link ShardAgent#DRAIN_LIMIT} commands, and what is still queued goes back to that loop as one continuation task
 * behind its other work, instead of the loop draining until the queue is empty (which under 2x overload stopped it
 * reading its connections). Here a queue of several passes' worth builds up while someone else holds the drain;
 * then the loop drains: every command is answered, on the loop, in continuation passes.
 */
class CallerDrainsContinuationTest {
    @TempDir
    Path dir;
    PipelineFixture f;
    ExecutorService loop;

    @AfterEach
    void stop() throws InterruptedException {
        if (loop != null) {
            loop.shutdown();
            loop.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (f != null) {
            f.close();
        }
    }

    @Test
    void shouldAnswerAQueueOfSeveralPassesInContinuationsOnTheLoop() throws Exception {
        f = new PipelineFixture(dir, EngineConfiguration.ShardMode.CALLER_DRAINS);
        Thread[] loopThread = new Thread[1];
        loop = Executors.newSingleThreadExecutor(r -> loopThread[0] = new Thread(r, "test-event-loop"));
        f.pipeline.replyLoops(() -> Thread.currentThread() == loopThread[0] ? loop : null);
        String borrower = "cd-0";
        f.upsert(borrower, Product.CONSUMER_CREDIT, 1_000_000_000L);
        ShardAgent agent = f.pipeline.agent(f.pipeline.shardOf(borrower));
        int commands = 3 * ShardAgent.DRAIN_LIMIT + 17; // within the fixture's queue of 1,024
        List<CompletableFuture<DecisionResponse>> answers = new ArrayList<>();
        List<Thread> answeredOn = new ArrayList<>();
        long before = agent.continuations();

        loop.submit(() -> {
            agent.draining.set(true); // another writer holds the shard: the commands queue up
            for (int i = 0; i < commands; i++) {
                CompletableFuture<DecisionResponse> done = new CompletableFuture<>();
                answers.add(done);
                answeredOn.add(null);
                int index = i;
                f.pipeline.decide(PipelineFixture.decision("cd-r" + i, borrower, 100 + i), new Sink<>() {
                    @Override
                    public void onResult(DecisionResponse result) {
                        answeredOn.set(index, Thread.currentThread());
                        done.complete(result);
                    }

                    @Override
                    public void onError(dev.formica.engine.errors.Refused error) {
                        done.completeExceptionally(error);
                    }
                }, System.nanoTime(), null);
            }
            assertEquals(commands, agent.queueDepth(), "nothing drained while the shard was held");
            agent.draining.set(false);
            agent.tryDrain(loop); // one pass here, the rest as continuation tasks on this loop
        }).get(30, TimeUnit.SECONDS);

        long approvedMinor = 0;
        for (int i = 0; i < commands; i++) {
            DecisionResponse r = answers.get(i).get(30, TimeUnit.SECONDS);
            assertEquals(Outcome.APPROVE, r.getOutcome(), "cd-r" + i);
            approvedMinor += r.getApprovedAmountMinor();
        }
        loop.submit(() -> { }).get(10, TimeUnit.SECONDS); // every delivery task queued before this one has run
        for (int i = 0; i < commands; i++) {
            assertEquals(loopThread[0], answeredOn.get(i), "answer " + i + " delivered on the caller's loop");
        }
        // three more passes' worth: at least one continuation (the shard's 10 ms ticker may take a later pass)
        assertTrue(agent.continuations() - before >= 1,
                (agent.continuations() - before) + " continuation passes for " + commands + " commands");
        CreditLine line = f.line(borrower);
        assertEquals(approvedMinor, line.getHeldMinor(), "every approval held exactly once");
    }
}
