package dev.formica.engine.pipeline;

import dev.formica.engine.funding.QuotaSink;
import java.util.Arrays;

/**
 * One shard's replayed quota operations (reservations and releases) in log order with their frame times, kept
 * during a start-up's parallel replay so that they reach the engine-wide quotas afterwards in frame-time order
 * across the shards ({@link #replayInTimeOrder}): a release counts only on its own day, so the order matters.
 *
 * <p>Thread contract: filled by one replay thread; read by the opening thread after that thread ended.
 */
final class QuotaOperations implements QuotaSink {
    private static final int FIELDS = 4;

    private long[] ops = new long[FIELDS * 64];
    private int count;
    private long timeMs;

    /** The frame time of the operations that follow. */
    void at(long frameTimeMs) {
        this.timeMs = frameTimeMs;
    }

    int size() {
        return count;
    }

    @Override
    public void replayReserve(int funder, long amountMinor, long dayIndex) {
        add(funder, amountMinor, dayIndex);
    }

    @Override
    public void release(int funder, long amountMinor, long dayIndexOfReservation) {
        add(-1 - funder, amountMinor, dayIndexOfReservation);
    }

    private void add(long funderOrRelease, long amountMinor, long dayIndex) {
        if (count * FIELDS == ops.length) {
            ops = Arrays.copyOf(ops, ops.length * 2);
        }
        int at = count * FIELDS;
        ops[at] = timeMs;
        ops[at + 1] = funderOrRelease;
        ops[at + 2] = amountMinor;
        ops[at + 3] = dayIndex;
        count++;
    }

    private void applyTo(int i, QuotaSink sink) {
        int at = i * FIELDS;
        long funder = ops[at + 1];
        if (funder >= 0) {
            sink.replayReserve((int) funder, ops[at + 2], ops[at + 3]);
        } else {
            sink.release((int) (-1 - funder), ops[at + 2], ops[at + 3]);
        }
    }

    /**
     * Applies every shard's operations to {@code sink} merged by frame time, ties to the lower shard, each shard's
     * own in log order: the order a replay of all logs on one thread applies them in.
     */
    static void replayInTimeOrder(QuotaOperations[] shards, QuotaSink sink) {
        int[] next = new int[shards.length];
        while (true) {
            int pick = -1;
            for (int k = 0; k < shards.length; k++) {
                if (next[k] < shards[k].count && (pick < 0
                        || shards[k].ops[next[k] * FIELDS] < shards[pick].ops[next[pick] * FIELDS])) {
                    pick = k;
                }
            }
            if (pick < 0) {
                return;
            }
            shards[pick].applyTo(next[pick]++, sink);
        }
    }
}
