package dev.formica.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One unary call with its retries, exposed as the future of its final answer.
 *
 * <p>Attempts run one after another: the first on the caller's thread, later ones on the
 * {@link RetryScheduler}'s thread, and their callbacks on the channel's executor. The future
 * completes on one of those threads, exceptionally with a {@link FormicaException} carrying
 * the last attempt's status, trailers and details. Every attempt sends the same request object, so the
 * same request_id, and shares one deadline fixed when the call began. A retry waits the policy's jittered
 * backoff, and when the refusal asked for a delay (RetryInfo, {@code grpc-retry-pushback-ms}) that delay
 * first: the server knows how long its queue takes to turn over. Cancelling the future
 * cancels the attempt in flight or the pending wait.
 *
 * <p>Each attempt asks its route for the channel. A refusal that names the partition's owner (a redirect, see
 * {@link ClusterRouter}) updates the routes and is followed at once, at most {@link ClusterRouter#MAX_REDIRECTS}
 * times, and only when the route then leads elsewhere; redirects do not count as retry attempts. Before a retry of
 * UNAVAILABLE, the routes are refreshed from another node's map ({@link ClusterRouter#onUnavailable}): with
 * replication, a node that died has its partitions served by another.
 */
final class RetryingCall<ReqT, RespT> extends CompletableFuture<RespT> implements Runnable {
    /** A server's retry delay is obeyed up to this (a minute): beyond, the deadline decides anyway. */
    static final long MAX_SERVER_DELAY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Supplier<? extends Channel> route;
    private final ClusterRouter router;
    private final MethodDescriptor<ReqT, RespT> method;
    private final ReqT request;
    private final Deadline deadline;
    private final RetryPolicy policy;
    private final RetryScheduler scheduler;
    private int attempts;
    private int redirects;
    private volatile Channel attemptChannel;
    private volatile ClientCall<ReqT, RespT> inFlight;
    volatile ScheduledFuture<?> pendingRetry;

    RetryingCall(Supplier<? extends Channel> route, ClusterRouter router, MethodDescriptor<ReqT, RespT> method,
            ReqT request, Deadline deadline, RetryPolicy policy, RetryScheduler scheduler) {
        this.route = route;
        this.router = router;
        this.method = method;
        this.request = request;
        this.deadline = deadline;
        this.policy = policy;
        this.scheduler = scheduler;
    }

    /** Starts the first attempt on the calling thread; returns this. */
    RetryingCall<ReqT, RespT> start() {
        attempt();
        return this;
    }

    /** The backoff is over: next attempt. */
    @Override
    public void run() {
        scheduler.started(this);
        if (scheduler.isShutdown()) {
            fail(RetryScheduler.closedStatus().asRuntimeException());
            return;
        }
        attempt();
    }

    private void attempt() {
        if (isDone()) {
            return;
        }
        attempts++;
        Channel channel = route.get();
        attemptChannel = channel;
        ClientCall<ReqT, RespT> call = channel.newCall(method, CallOptions.DEFAULT.withDeadline(deadline));
        inFlight = call;
        try {
            call.start(new AttemptListener(attempts), new Metadata());
            // Two, not one: a second message from a misbehaving server then fails the call visibly.
            call.request(2);
            call.sendMessage(request);
            call.halfClose();
        } catch (RuntimeException | Error e) {
            call.cancel("client failed to send the request", e);
            fail(Status.INTERNAL.withDescription("client failed to send the request").withCause(e)
                    .asRuntimeException());
        }
        if (isCancelled()) {
            call.cancel("cancelled by the caller", null);
        }
    }

    private void onAttemptClosed(int attempt, Status status, Metadata trailers, RespT value) {
        if (status.isOk()) {
            if (value == null) {
                fail(Status.INTERNAL.withDescription("server closed a unary call without a response")
                        .asRuntimeException(trailers));
            } else {
                complete(value);
            }
            return;
        }
        ClusterRouter.Redirect redirect = router == null || redirects >= ClusterRouter.MAX_REDIRECTS ? null
                : ClusterRouter.redirectOf(status, trailers);
        if (redirect != null && !isDone()) {
            redirects++;
            attempts--; // a redirect is not a failed attempt
            Channel refusedBy = attemptChannel;
            router.onRedirect(redirect, refusedBy, deadline).whenComplete((ignored, error) -> {
                if (route.get() != refusedBy && !deadline.isExpired()) {
                    attempt();
                } else {
                    fail(FormicaException.of(status, trailers));
                }
            });
            return;
        }
        FormicaException failure = FormicaException.of(status, trailers);
        if (failure.isRetryable() && RetryPolicy.isRetryable(status.getCode()) && attempt < policy.maxAttempts()
                && !isDone()) {
            long delay = policy.backoffNanos(attempt, ThreadLocalRandom.current().nextDouble());
            if (failure.retryDelay().isPresent()) {
                delay = Math.addExact(delay, Math.min(failure.retryDelay().get().toNanos(), MAX_SERVER_DELAY_NANOS));
            }
            if (deadline.timeRemaining(TimeUnit.NANOSECONDS) > delay) {
                long wait = delay;
                if (status.getCode() == Status.Code.UNAVAILABLE && router != null) {
                    // the node may be gone and its partitions served elsewhere now (replication): ask another
                    router.onUnavailable(attemptChannel, deadline).whenComplete((ignored, error) -> {
                        if (!isDone()) {
                            scheduler.schedule(this, wait);
                        }
                    });
                    return;
                }
                scheduler.schedule(this, delay);
                return;
            }
        }
        fail(failure);
    }

    void fail(StatusRuntimeException e) {
        completeExceptionally(FormicaException.of(e));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            ScheduledFuture<?> wait = pendingRetry;
            if (wait != null) {
                wait.cancel(false);
                scheduler.started(this);
            }
            ClientCall<ReqT, RespT> call = inFlight;
            if (call != null) {
                call.cancel("cancelled by the caller", null);
            }
        }
        return cancelled;
    }

    /** Listens to one attempt; holds that attempt's response so attempts never share state. */
    private final class AttemptListener extends ClientCall.Listener<RespT> {
        private final int attempt;
        private RespT value;

        AttemptListener(int attempt) {
            this.attempt = attempt;
        }

        @Override
        public void onMessage(RespT message) {
            if (value != null) {
                inFlight.cancel("server sent more than one response to a unary call", null);
                return;
            }
            value = message;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            onAttemptClosed(attempt, status, trailers, value);
        }
    }
}
