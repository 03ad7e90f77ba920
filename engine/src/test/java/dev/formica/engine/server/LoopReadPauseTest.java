package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shardMode: LOOP} under overload: a shard loop that falls behind stops reading its connections (Netty
 * {@code autoRead} off) and reads them again once it caught up; every call the server read gets exactly one answer,
 * and what it approved is held exactly once.
 */
class LoopReadPauseTest {
    private static final Duration SHED_LAG = Duration.ofMillis(50);
    private static final long AMOUNT = 10_000;

    @TempDir
    Path dataDir;
    EngineServer server;
    ManagedChannel channel;
    DecisionServiceGrpc.DecisionServiceBlockingStub blocking;

    @BeforeEach
    void start() {
        server = new EngineServer(new EngineConfiguration().port(0).dataDir(dataDir).shards(1)
                .shardMode(EngineConfiguration.ShardMode.LOOP).durability(dev.formica.engine.log.Durability.PROCESS)
                .loopShedLag(SHED_LAG).drainTimeout(Duration.ofSeconds(1)), List.of()).start();
        channel = Grpc.newChannelBuilder("127.0.0.1:" + server.shardPorts()[0], InsecureChannelCredentials.create())
                .build();
        blocking = DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        try (dev.formica.client.FormicaClient client = dev.formica.client.FormicaClient.builder()
                .target("127.0.0.1:" + server.port()).defaultDeadline(Duration.ofSeconds(30)).build()) {
            client.upsertProfile(Profile.newBuilder().setBorrowerId("pause-0").addLines(ProductLine.newBuilder()
                    .setProduct(Product.CONSUMER_CREDIT).setLineMinor(1_000_000_000L)).build());
        }
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.close();
    }

    @Test
    void shouldTurnReadsOffAndOnForEveryConnectionOfTheShardsLoop() throws Exception {
        LoopReadGate gate = server.readGate();
        EventLoop loop = gate.loop(0);
        assertEquals(Outcome.APPROVE, blocking.decide(decision("before-switch")).getOutcome()); // connected
        List<Boolean> off = loop.submit(() -> {
            gate.reads(0, false);
            return autoReads(gate.connections(0));
        }).get(10, TimeUnit.SECONDS);
        assertEquals(1, gate.pausedLoops());
        double whilePaused = gate.pausedSeconds();
        assertTrue(whilePaused > 0, "the open pause counts up to now");
        List<Boolean> on = loop.submit(() -> {
            gate.reads(0, true);
            return autoReads(gate.connections(0));
        }).get(10, TimeUnit.SECONDS);

        assertFalse(off.isEmpty(), "the test's connection is filed under the shard's loop");
        assertTrue(off.stream().noneMatch(Boolean::booleanValue), "every connection stopped reading: " + off);
        assertTrue(on.stream().allMatch(Boolean::booleanValue), "every connection reads again: " + on);
        assertEquals(0, gate.pausedLoops());
        double paused = gate.pausedSeconds();
        assertTrue(paused >= whilePaused, "the ended pause is kept: " + paused + " < " + whilePaused);
        assertEquals(paused, gate.pausedSeconds(), "nothing is paused: the sum stands still");
        assertEquals(Outcome.APPROVE, blocking.decide(decision("after-switch")).getOutcome());
    }

    @Test
    void shouldAnswerEveryCallOnceWhenTheLoopFallsBehindAndStopsReading() throws Exception {
        LoopReadGate gate = server.readGate();
        long pausesBefore = gate.pauses();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Answer> inBatch = List.of(new Answer(), new Answer(), new Answer(), new Answer());
        CountDownLatch heldAgain = new CountDownLatch(1);
        CountDownLatch releaseAgain = new CountDownLatch(1);
        // two slow read batches of the loop's own in a row (one alone is a burst it works through): two calls each,
        // then held up as by a slow decide; the second batch starts once the first has ended
        Runnable second = () -> {
            for (int i = 2; i < 4; i++) {
                server.pipeline().decide(decision("held-" + i), sinkOf(inBatch.get(i)), System.nanoTime(), null);
            }
            heldAgain.countDown();
            await(releaseAgain);
        };
        gate.loop(0).submit(() -> {
            for (int i = 0; i < 2; i++) {
                server.pipeline().decide(decision("held-" + i), sinkOf(inBatch.get(i)), System.nanoTime(), null);
            }
            held.countDown();
            await(release);
            gate.loop(0).execute(second); // behind the first batch's end
        });
        assertTrue(held.await(10, TimeUnit.SECONDS));
        long heldSince = System.nanoTime();
        DecisionServiceGrpc.DecisionServiceStub async = DecisionServiceGrpc.newStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        int calls = 200;
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            Answer a = new Answer();
            answers.add(a);
            async.decide(decision("burst-" + i), a);
        }
        // the precondition under test is time itself: the loop's read batch has taken longer than loopShedLag
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> System.nanoTime() - heldSince > 3 * SHED_LAG.toNanos());
        release.countDown();
        assertTrue(heldAgain.await(10, TimeUnit.SECONDS));
        long heldAgainSince = System.nanoTime();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> System.nanoTime() - heldAgainSince > 3 * SHED_LAG.toNanos());
        releaseAgain.countDown();

        for (Answer a : answers) {
            assertTrue(a.done.await(30, TimeUnit.SECONDS), "every call answered");
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gate.reading(0));
        int approved = 0;
        for (Answer a : inBatch) {
            assertTrue(a.done.await(30, TimeUnit.SECONDS));
            approved += a.outcome.get() == Outcome.APPROVE ? 1 : 0;
        }
        for (Answer a : answers) {
            assertEquals(1, a.answers.get(), "exactly one answer per call");
            if (a.outcome.get() == null) {
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, a.error.get(), "a call without a decision was shed");
            } else if (a.outcome.get() == Outcome.APPROVE) {
                approved++;
            } // else declined or referred: 200 calls for one borrower in a burst can trip a velocity rule
        }
        assertTrue(gate.pauses() > pausesBefore, "the loop that fell behind stopped reading");
        // what was approved is held once: nothing decided twice, nothing approved and lost
        assertEquals(approved * AMOUNT, blocking.getCreditLine(GetCreditLineRequest.newBuilder()
                .setBorrowerId("pause-0").setProduct(Product.CONSUMER_CREDIT).build()).getHeldMinor());
        assertNotEquals(Outcome.OUTCOME_UNSPECIFIED, blocking.decide(decision("after-resume")).getOutcome(),
                "served again");
    }

    private static List<Boolean> autoReads(List<Channel> channels) {
        return channels.stream().map(c -> c.config().isAutoRead()).toList();
    }

    private static DecisionRequest decision(String requestId) {
        return DecisionRequest.newBuilder().setRequestId(requestId).setBorrowerId("pause-0")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(AMOUNT).build();
    }

    /** Counts the answers of one call. */
    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS), "latch not released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The pipeline's sink of a call the test submits on the loop itself, answering {@code a}. */
    private static dev.formica.engine.pipeline.Sink<DecisionResponse> sinkOf(Answer a) {
        return new dev.formica.engine.pipeline.Sink<>() {
            @Override
            public void onResult(DecisionResponse result) {
                a.onNext(result);
                a.onCompleted();
            }

            @Override
            public void onError(dev.formica.engine.errors.Refused error) {
                a.onError(GrpcErrors.toStatus(error));
            }
        };
    }

    private static final class Answer implements StreamObserver<DecisionResponse> {
        final AtomicInteger answers = new AtomicInteger();
        final AtomicReference<Outcome> outcome = new AtomicReference<>();
        final AtomicReference<Status.Code> error = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);

        @Override
        public void onNext(DecisionResponse value) {
            answers.incrementAndGet();
            outcome.set(value.getOutcome());
        }

        @Override
        public void onError(Throwable t) {
            answers.incrementAndGet();
            error.set(Status.fromThrowable(t).getCode());
            done.countDown();
        }

        @Override
        public void onCompleted() {
            done.countDown();
        }
    }
}
