package dev.formica.engine.pipeline;

import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.metrics.ShardMetrics;
import dev.formica.engine.metrics.Stage;
import dev.formica.engine.metrics.StageTrace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request handed to a shard: the operation, its request, where the answer goes, and when it must
 * be answered by. The one object the hand-off allocates per request.
 *
 * <p>Thread contract: created on the receiving (event-loop) thread, published through the shard's
 * queue, run once by the shard's writer.
 */
final class ShardCommand<Q, R> {
    private static final Logger LOG = LoggerFactory.getLogger(ShardCommand.class);

    /** The shard-side work; stateless lambdas, so no allocation per call. */
    @FunctionalInterface
    interface Op<Q, R> {
        R run(ShardProcessor processor, Q request, long arg, long nowMs, long startNanos);
    }

    private final Op<Q, R> op;
    private final Q request;
    private final long arg;
    private final Sink<R> sink;
    /** Where {@link #run} answers: {@link #sink}, or the shard's {@link Replies} batch for the caller's loop. */
    private Sink<R> out;
    private final long startNanos;
    private final CallDeadline deadline;
    /** Set by the offering thread before the queue publishes the command (metrics on only). */
    long enqueuedNanos;
    /** The call's span, told the stage timings (a sampled Decide with tracing on); null otherwise. */
    StageTrace trace;

    ShardCommand(Op<Q, R> op, Q request, long arg, Sink<R> sink, long startNanos, CallDeadline deadline) {
        this.op = op;
        this.request = request;
        this.arg = arg;
        this.sink = sink;
        this.out = sink;
        this.startNanos = startNanos;
        this.deadline = deadline;
    }

    /**
     * Answer through {@code replies} on {@code loop} (null: on the thread that releases the answer), once the shard
     * log has made durable what the answer depends on; before the command is published only.
     */
    void replyVia(Replies replies, java.util.concurrent.Executor loop) {
        out = replies.wrap(sink, loop);
    }

    /**
     * @param maxQueueDelayNanos shed the command (RESOURCE_EXHAUSTED) when it waited longer than this
     *     since it arrived; 0 = no limit
     * @param shedRetryDelayMs the retry delay that refusal asks for
     */
    void run(ShardProcessor processor, long nowMs, long maxQueueDelayNanos, long shedRetryDelayMs,
            ShardMetrics metrics) {
        if (trace == null) {
            execute(processor, nowMs, maxQueueDelayNanos, shedRetryDelayMs, metrics);
            return;
        }
        metrics.trace(trace);
        try {
            execute(processor, nowMs, maxQueueDelayNanos, shedRetryDelayMs, metrics);
        } finally {
            metrics.trace(null);
        }
    }

    private void execute(ShardProcessor processor, long nowMs, long maxQueueDelayNanos, long shedRetryDelayMs,
            ShardMetrics metrics) {
        if (maxQueueDelayNanos > 0) {
            long waited = System.nanoTime() - startNanos;
            if (waited > maxQueueDelayNanos) {
                // Admission by queueing delay: under overload, answering "retry later" at once keeps
                // the queue short, so the requests that are admitted stay fast.
                metrics.decisions().shed().queueDelayExceeded();
                out.onError(Refused.shed(DomainError.QUEUE_DELAY_EXCEEDED, "overloaded: waited "
                        + waited / 1_000_000 + " ms in the shard queue (maxQueueDelay " + maxQueueDelayNanos / 1_000_000
                        + " ms); retry with the same request_id", shedRetryDelayMs));
                return;
            }
        }
        if (metrics.enabled()) {
            metrics.record(Stage.QUEUE_WAIT, System.nanoTime() - enqueuedNanos);
        }
        if (deadline != null && deadline.isExpired()) {
            // The caller has given up: doing the work would reserve for nobody.
            metrics.decisions().shed().deadlineExpiredInQueue();
            out.onError(Refused.of(DomainError.DEADLINE_EXPIRED_IN_QUEUE, "deadline passed while queued"));
            return;
        }
        R result;
        try {
            processor.requestBytes(sink instanceof WireCall<?> call ? call.requestBytes() : null);
            result = op.run(processor, request, arg, nowMs, startNanos);
        } catch (Refused e) {
            out.onError(e);
            return;
        } catch (RuntimeException | Error e) {
            LOG.error("shard " + processor.shardId() + " failed a command", e);
            out.onError(Refused.of(DomainError.INTERNAL_ERROR, "internal error"));
            return;
        } finally {
            processor.requestBytes(null);
        }
        Operation<?, ?> row = processor.answerRow();
        if (result != null || row == null) {
            out.onResult(result);
            return;
        }
        // the shard left its answer as wire bytes: the message is parsed where it is delivered
        boolean replayed = processor.answerReplayed();
        if (row == Operation.DECIDE) {
            metrics.decided(replayed, processor.result().outcome(), processor.result(), startNanos);
        }
        @SuppressWarnings("unchecked")
        Operation<?, R> answered = (Operation<?, R>) row;
        AnswerBytes bytes = processor.takeAnswerBytes();
        if (out instanceof Replies.Deferred<R> deferred) {
            deferred.onAnswer(answered, bytes, replayed);
        } else {
            deliver(out, answered, bytes, replayed);
        }
    }

    /**
     * Hands an answer the shard left as bytes to {@code to}: a Decide's as bytes to a {@link WireCall}, which owns them
     * from then on (a replay's marked replayed into an array of their own), else parsed into its message; refuses when
     * they do not parse. Releases {@code bytes} when it does not hand them on.
     */
    static <R> void deliver(Sink<R> to, Operation<?, R> row, AnswerBytes bytes, boolean replayed) {
        if (row == Operation.DECIDE && to instanceof WireCall<R> call) {
            if (!replayed) {
                call.onAnswerBytes(bytes);
                return;
            }
            byte[] marked;
            try {
                marked = DecisionWire.markReplayed(bytes.toArray());
            } catch (IllegalArgumentException e) {
                to.onError(Refused.of(DomainError.STATE_UNREADABLE, "idempotency record unreadable"));
                return;
            } finally {
                bytes.release();
            }
            call.onAnswerBytes(AnswerBytes.of(marked));
            return;
        }
        R parsed;
        try {
            parsed = row.answer(bytes.toArray(), replayed);
        } catch (Refused e) {
            to.onError(e);
            return;
        } finally {
            bytes.release();
        }
        to.onResult(parsed);
    }

    void reject(Refused refusal) {
        sink.onError(refusal);
    }
}
