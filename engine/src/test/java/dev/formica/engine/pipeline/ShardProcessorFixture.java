package dev.formica.engine.pipeline;

import dev.formica.engine.log.ShardLog;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ShardState;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;

/**
 * Test fixture (in the engine's test-fixtures jar): one shard's package-private {@link ShardProcessor} driven
 * directly on the caller's thread, with no queue and no agent, for {@code ShardProcessorBenchmark}.
 */
public final class ShardProcessorFixture {
    private final ShardProcessor processor;

    /** A processor of shard {@code shardId} on {@code state}, one market in {@code currency} under {@code risk}. */
    public ShardProcessorFixture(int shardId, ShardState state, long holdTtlMs, long holdRetentionMs,
            String currency, RiskContext risk) {
        processor = new ShardProcessor(shardId, state, holdTtlMs, holdRetentionMs, currency, risk);
    }

    /** From now on every command's changes are appended to {@code log} as one frame ({@link #endCommand}). */
    public void log(ShardLog log) {
        processor.log(log);
    }

    /** Rebuilds the in-memory state from the stores, as the pipeline does before a shard runs. */
    public void recover(long nowMs) {
        processor.recover(nowMs);
    }

    /** One Decide, as the shard's writer thread runs it. */
    public DecisionResponse decide(DecisionRequest request, long nowMs, long startNanos) {
        return processor.decide(request, nowMs, startNanos);
    }

    /**
     * One Decide as the shard kernel runs it: the answer stays in the processor's reused result and its record (no
     * message is built; the server parses the record's bytes on the thread that delivers the answer). Returns the
     * outcome number ({@code Outcome} APPROVE = 1, DECLINE = 2, REVIEW = 3), 0 for a retry.
     */
    public int decideOutcome(DecisionRequest request, long nowMs, long startNanos) {
        return processor.decideOutcome(request, nowMs, startNanos);
    }

    /** As above, with the request's wire bytes as the server keeps them from the transport (null: none kept). */
    public int decideOutcome(DecisionRequest request, byte[] requestBytes, long nowMs, long startNanos) {
        processor.requestBytes(requestBytes);
        try {
            return processor.decideOutcome(request, nowMs, startNanos);
        } finally {
            processor.requestBytes(null);
        }
    }

    /**
     * One Decide as the server's shard runs it, with the request's wire bytes ({@code requestBytes}, null: none kept,
     * as for an embedded caller): the answer's bytes copied into a buffer of the shard's pool (a retry's
     * are the record's), handed over and given back, as the transport does once it has copied them. Returns the
     * answer's length in bytes, negative for a retry answered from its record.
     */
    public int decideAnswer(DecisionRequest request, byte[] requestBytes, long nowMs, long startNanos) {
        processor.requestBytes(requestBytes);
        try {
            processor.run(Operation.DECIDE, request, 0, nowMs, startNanos);
        } finally {
            processor.requestBytes(null);
        }
        boolean replayed = processor.answerReplayed();
        AnswerBytes answer = processor.takeAnswerBytes();
        int length = answer.length();
        answer.release();
        return replayed ? -length : length;
    }

    /**
     * The shard's duty cycle at {@code nowMs}, run until it has nothing left to do: holds that are due expire, finished
     * ones past their retention go, and the idempotency records rotate when a generation is due. Each cycle's changes
     * become one frame of the log. Returns how much it did.
     */
    public int duty(long nowMs) {
        int total = 0;
        for (int work = processor.duty(nowMs); ; work = processor.duty(nowMs)) {
            processor.endCommand(nowMs);
            total += work;
            if (work == 0) {
                return total;
            }
        }
    }

    /** Ends the command: its changes become one frame of the log; returns the log position after it. */
    public long endCommand(long nowMs) {
        return processor.endCommand(nowMs);
    }
}
