package dev.formica.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Product;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** close(): idempotent, releases channels and threads, fails calls waiting to retry. */
class FormicaClientLifecycleTest {
    private static final String TARGET = "engine-0:7000";
    private static final DecisionRequest REQUEST = DecisionRequest.newBuilder().setBorrowerId("b-1")
            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100).build();

    private final FakeDecisionService decisions = new FakeDecisionService("a");
    private final InProcessTargets targets = new InProcessTargets().add(TARGET, decisions);

    @AfterEach
    void tearDown() {
        targets.close();
    }

    private static Set<Thread> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    @Test
    void shouldCloseIdempotentlyAndLeaveNoThreadsOrChannelsBehind() {
        Set<Thread> before = liveThreads();
        FormicaClient client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor)
                .retryPolicy(RetryPolicy.builder().initialBackoff(Duration.ofMillis(1)).build()).build();
        decisions.failNext(Status.UNAVAILABLE, 1);
        client.decide(REQUEST);
        List<Thread> retryThreads = liveThreads().stream()
                .filter(t -> t.getName().startsWith(RetryScheduler.THREAD_NAME_PREFIX) && !before.contains(t))
                .toList();
        assertEquals(1, retryThreads.size(), "the retry should have run on the client's scheduler thread");
        assertTrue(retryThreads.get(0).isDaemon());

        client.close();
        client.close();

        assertTrue(client.isClosed());
        ManagedChannel channel = targets.channels.get(0);
        assertTrue(channel.isTerminated(), "owned channel should be terminated");
        await().pollInSameThread().atMost(Duration.ofSeconds(5)).until(() -> !retryThreads.get(0).isAlive());
        Set<Thread> leftovers = liveThreads();
        leftovers.removeAll(before);
        assertTrue(leftovers.stream().allMatch(Thread::isDaemon), "non-daemon threads left: " + leftovers);
        assertThrows(IllegalStateException.class, () -> client.decide(REQUEST));
    }

    @Test
    void shouldLeaveAChannelItWasGivenOpen() {
        ManagedChannel given = targets.channelFor(TARGET);
        FormicaClient client = FormicaClient.builder().channel(given).build();
        assertEquals("a", client.decide(REQUEST).getRuleSetVersion());

        client.close();

        assertFalse(given.isShutdown());
        given.shutdownNow();
    }

    @Test
    void shouldFailCallsWaitingToRetryWhenClosed() throws Exception {
        decisions.failNext(Status.UNAVAILABLE, 100);
        RetryPolicy slow = RetryPolicy.builder().maxAttempts(100)
                .initialBackoff(Duration.ofSeconds(30)).maxBackoff(Duration.ofSeconds(30)).build();
        FormicaClient client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor)
                .retryPolicy(slow).defaultDeadline(Duration.ofMinutes(5)).build();
        CompletableFuture<DecisionResponse> future = client.decideAsync(REQUEST);
        await().atMost(Duration.ofSeconds(5)).until(() -> decisions.requestIds.size() >= 1);

        client.close();

        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
        StatusRuntimeException cause = assertInstanceOf(StatusRuntimeException.class, e.getCause());
        assertEquals(Status.Code.CANCELLED, cause.getStatus().getCode());
    }

    @Test
    void shouldCancelTheCallWhenTheFutureIsCancelled() {
        decisions.failNext(Status.UNAVAILABLE, 100);
        RetryPolicy slow = RetryPolicy.builder().maxAttempts(100)
                .initialBackoff(Duration.ofSeconds(30)).maxBackoff(Duration.ofSeconds(30)).build();
        try (FormicaClient client = FormicaClient.builder().target(TARGET).channelFactory(targets::channelFor)
                .retryPolicy(slow).defaultDeadline(Duration.ofMinutes(5)).build()) {
            CompletableFuture<DecisionResponse> future = client.decideAsync(REQUEST);
            await().atMost(Duration.ofSeconds(5)).until(() -> decisions.requestIds.size() >= 1);

            assertTrue(future.cancel(true));
            int attempts = decisions.requestIds.size();

            assertTrue(future.isCancelled());
            assertTrue(attempts < 100);
        }
    }

    @Test
    void shouldConnectToARealTargetAndFailUnavailableWhenNothingListens() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        try (FormicaClient client = FormicaClient.builder().target("127.0.0.1:1")
                .retryPolicy(RetryPolicy.none()).build()) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.decide(REQUEST));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        }
    }
}
