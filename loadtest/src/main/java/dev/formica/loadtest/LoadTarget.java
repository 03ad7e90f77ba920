package dev.formica.loadtest;

import dev.formica.v1.Outcome;
import io.grpc.Status;

/**
 * What the load is sent to: starts request {@code index} and reports its answer once.
 *
 * <p>Thread contract: {@link #send} may be called by several sender threads at once, or from the event loop of a
 * loop sender's lane, and must not block (it starts an asynchronous call); the {@link Completion} may be called on
 * any thread, exactly once per send.
 */
public interface LoadTarget extends AutoCloseable {
    /** Starts request {@code index}; {@code completion} is called once when it is answered or fails. */
    void send(long index, Completion completion);

    /** The name of the RPC under load, for reports ("decide", "echo"). */
    String name();

    @Override
    void close();

    /** The answer to one request. */
    interface Completion {
        /**
         * @param code the gRPC status (in-stream errors carry theirs)
         * @param outcome the decision, or null when there is none (errors, echo)
         */
        void complete(Status.Code code, Outcome outcome);

        /**
         * A failed answer with what the server said about why: its {@code google.rpc.ErrorInfo} reason
         * ({@code "OVERLOADED"}, {@code "SHARD_QUEUE_FULL"}), empty when the status carries none (a deadline the
         * client hit, a transport error). A run reports its errors by status and reason, so that it says which
         * refusal, if any, ended it; implementations that do not count reasons need not override this.
         */
        default void fail(Status.Code code, String reason) {
            complete(code, null);
        }
    }
}
