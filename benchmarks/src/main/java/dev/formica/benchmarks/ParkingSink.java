package dev.formica.benchmarks;

import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.Sink;
import dev.formica.v1.DecisionResponse;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for one answer at a time without allocating: the benchmark thread parks until the shard
 * answers, as a gRPC caller waits for its reply.
 *
 * <p>Thread contract: one waiting thread ({@link #waiter}); answers come from the shard's writer.
 */
public final class ParkingSink implements Sink<DecisionResponse> {
    volatile Thread waiter;
    private volatile DecisionResponse result;

    /** Binds the sink to the thread that will wait on it. */
    public ParkingSink waitOn(Thread thread) {
        waiter = thread;
        return this;
    }

    @Override
    public void onResult(DecisionResponse r) {
        result = r;
        LockSupport.unpark(waiter);
    }

    @Override
    public void onError(Refused error) {
        throw error;
    }

    public DecisionResponse await() {
        DecisionResponse r;
        while ((r = result) == null) {
            LockSupport.parkNanos(this, 20_000);
        }
        result = null;
        return r;
    }
}
