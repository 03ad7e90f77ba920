package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;

import dev.formica.client.FormicaException;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * What a caller of a replicated cluster does with a refusal worth a retry: it waits until some node serves the call's
 * group again, then sends the same call again. On a loaded 2-core box a leader steps down now and then (its majority's
 * replies came late: docs/cluster.md, "When a leader steps down"), and the election after it can take several
 * seconds, longer than any SDK retry policy a test would pick; a fixed number of attempts fails then, while the wait
 * here ends as soon as the group has a leader. The call must be safe to repeat: an upsert, or a request with a fixed
 * request id, whose resend replays what was committed.
 *
 * <p>In the engine's test fixtures jar (engine/pom.xml), so that the cluster module's process-based failover test
 * waits the same way.
 */
public final class WhenServed {
    /** How long one call may wait for its group, in all: a few elections on a loaded box, well inside a test. */
    static final Duration BUDGET = Duration.ofSeconds(120);

    private WhenServed() {
    }

    /**
     * {@code call}'s answer; after a retryable refusal ({@link FormicaException#isRetryable}: UNAVAILABLE, a redirect
     * loop during a hand-over) it is sent again once {@code served} holds for {@code group}, within {@link #BUDGET}.
     * Any other failure, or one after the budget, is thrown.
     *
     * @param served whether some node serves a group now, by the nodes' own maps
     */
    static <T> T call(IntPredicate served, int group, Supplier<T> call) {
        return call(() -> served.test(group), "a node serving group " + group, call);
    }

    /**
     * The same, for a condition of the caller's: {@code call} is sent again once {@code served} holds ({@code what}
     * names it in the timeout's message).
     */
    public static <T> T call(BooleanSupplier served, String what, Supplier<T> call) {
        long end = System.nanoTime() + BUDGET.toNanos();
        for (;;) {
            try {
                return call.get();
            } catch (FormicaException e) {
                long left = end - System.nanoTime();
                if (!e.isRetryable() || left <= 0) {
                    throw e;
                }
                // a node that is starting answers UNAVAILABLE to the map too: not served yet
                await(what + " after " + e.getMessage()).atMost(Duration.ofNanos(left))
                        .pollInterval(Duration.ofMillis(100)).ignoreException(StatusRuntimeException.class)
                        .until(served::getAsBoolean);
            }
        }
    }
}
