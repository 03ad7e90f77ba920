package dev.formica.engine.pipeline;

import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.log.ShardLog;
import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The answers of one shard's commands, held until the shard log has made durable everything they depend on, then
 * handed back to the event loop that received each call in one task per loop per batch (a caller that is not an
 * event loop is answered on the releasing thread). Answering per answer from the shard thread would cost a wake-up
 * of the sleeping loop per answer and run the response's serialization on the shard
 * (docs/perf-notes/2026-11-28-the-shards-own-work-and-live-profiles.md).
 *
 * <p>Thread contract: {@link #wrap} on the receiving thread before the command is published;
 * {@link Deferred#onResult}, {@link Deferred#onError} and {@link #release} on the shard's writer only; a released
 * batch is delivered by the thread that releases it (the shard writer, or the log writer once durable). A loop that
 * refuses the task (shut down) gets its answers run on the releasing thread instead.
 */
final class Replies {
    private final ArrayList<Deferred<?>> pending = new ArrayList<>();

    /** A sink that answers through {@code loop} (null: on the releasing thread) once released. */
    <T> Sink<T> wrap(Sink<T> sink, Executor loop) {
        return new Deferred<>(this, sink, loop);
    }

    /**
     * Releases the answers given so far once {@code log} is durable up to {@code position} (at once when it is
     * already, or when there is no log).
     *
     * @return how many answers the batch holds
     */
    int release(ShardLog log, long position) {
        int n = pending.size();
        if (n == 0) {
            return 0;
        }
        Deferred<?>[] batch = pending.toArray(new Deferred<?>[0]);
        pending.clear();
        if (log == null) {
            deliver(batch, true);
        } else {
            log.whenDurable(position, durable -> deliver(batch, durable));
        }
        return n;
    }

    /** Hands every loop its answers of the batch, in order; refuses them all when the log failed. */
    static void deliver(Deferred<?>[] batch, boolean durable) {
        Executor[] loops = new Executor[4];
        int loopCount = 0;
        for (Deferred<?> d : batch) {
            if (!durable) {
                d.error = Refused.of(DomainError.LOG_UNAVAILABLE,
                        "the shard log could not make this answer durable; retry with the same request_id");
                d.result = null;
                d.row = null;
            }
            if (d.loop == null) {
                d.deliver();
                continue;
            }
            boolean known = false;
            for (int i = 0; i < loopCount; i++) {
                known |= loops[i] == d.loop;
            }
            if (!known) {
                if (loopCount == loops.length) {
                    loops = java.util.Arrays.copyOf(loops, loopCount * 2);
                }
                loops[loopCount++] = d.loop;
            }
        }
        for (int i = 0; i < loopCount; i++) {
            Executor loop = loops[i];
            Runnable task = () -> {
                for (Deferred<?> d : batch) {
                    if (d.loop == loop) {
                        d.deliver();
                    }
                }
            };
            try {
                loop.execute(task);
            } catch (RejectedExecutionException shutDown) {
                task.run();
            }
        }
    }

    /** One command's answer, kept until the shard releases it. */
    static final class Deferred<T> implements Sink<T> {
        private final Replies replies;
        private final Sink<T> sink;
        final Executor loop;
        private T result;
        private Refused error;
        /** An answer the shard left as wire bytes, parsed by {@link #deliver} (off the shard thread). */
        private Operation<?, T> row;
        private byte[] bytes;
        private boolean replayed;

        Deferred(Replies replies, Sink<T> sink, Executor loop) {
            this.replies = replies;
            this.sink = sink;
            this.loop = loop;
        }

        @Override
        public void onResult(T r) {
            result = r;
            replies.pending.add(this);
        }

        @Override
        public void onError(Refused e) {
            error = e;
            replies.pending.add(this);
        }

        /** The answer as the wire bytes of {@code answered}'s response, marked replayed when {@code again}. */
        void onAnswer(Operation<?, T> answered, byte[] wire, boolean again) {
            row = answered;
            bytes = wire;
            replayed = again;
            replies.pending.add(this);
        }

        void deliver() {
            if (error != null) {
                sink.onError(error);
            } else if (row != null) {
                ShardCommand.deliver(sink, row, bytes, replayed);
            } else {
                sink.onResult(result);
            }
        }
    }
}
