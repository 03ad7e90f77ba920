package dev.formica.client;

import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the backoff waits of one client's retrying calls on a single daemon thread.
 *
 * <p>Thread-safe. The waits never park a caller or a gRPC callback thread. Calls waiting for their
 * next attempt are tracked so that {@link #close()} can fail them with CANCELLED instead of leaving
 * their futures pending forever: the executor drops delayed tasks on shutdown.
 */
final class RetryScheduler {
    static final String THREAD_NAME_PREFIX = "formica-client-retry-";
    private static final AtomicInteger CLIENT_SEQUENCE = new AtomicInteger();

    private final ScheduledThreadPoolExecutor executor;
    private final Set<RetryingCall<?, ?>> waiting = ConcurrentHashMap.newKeySet();

    RetryScheduler() {
        String name = THREAD_NAME_PREFIX + CLIENT_SEQUENCE.incrementAndGet();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
        // Threads start on the first retry, so a client that never retries costs no thread.
        executor = new ScheduledThreadPoolExecutor(1, factory);
        executor.setRemoveOnCancelPolicy(true);
    }

    /** Runs {@code call}'s next attempt after {@code delayNanos}; fails it at once if closed. */
    void schedule(RetryingCall<?, ?> call, long delayNanos) {
        waiting.add(call);
        try {
            call.pendingRetry = executor.schedule(call, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            waiting.remove(call);
            call.fail(closedStatus().withCause(e).asRuntimeException());
        }
    }

    /** Called by the call when its wait is over, before the attempt starts. */
    void started(RetryingCall<?, ?> call) {
        waiting.remove(call);
    }

    boolean isShutdown() {
        return executor.isShutdown();
    }

    /** Stops the thread and fails every call still waiting. Idempotent. */
    void close() {
        executor.shutdownNow();
        for (RetryingCall<?, ?> call : waiting) {
            waiting.remove(call);
            call.fail(closedStatus().asRuntimeException());
        }
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return executor.awaitTermination(timeout, unit);
    }

    static Status closedStatus() {
        return Status.CANCELLED.withDescription("FormicaClient closed while the call was waiting to retry");
    }
}
