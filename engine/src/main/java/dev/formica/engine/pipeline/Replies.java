package dev.formica.engine.pipeline;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The answers of one shard's commands, handed back to the event loop that received each call in one
 * task per loop per drained batch. Answering from the shard thread itself costs a wake-up of the
 * sleeping loop (an {@code eventfd} write) per answer and runs the response's serialization on the
 * shard; measured at a sixth of a {@code DEDICATED} shard's time (BENCHMARKS.md, "Where the time goes").
 *
 * <p>Thread contract: {@link #wrap} on the receiving thread before the command is published;
 * {@link Deferred#onResult}, {@link Deferred#onError} and {@link #flush} on the shard's writer thread
 * only. A loop that refuses the task (shut down) gets its answers run on the writer instead.
 */
final class Replies {
    private final List<Executor> loops = new ArrayList<>(4);
    private final List<ArrayList<Deferred<?>>> pending = new ArrayList<>(4);

    /** A sink that answers through {@code loop} when this shard flushes. */
    <T> Sink<T> wrap(Sink<T> sink, Executor loop) {
        return new Deferred<>(this, sink, loop);
    }

    private void add(Deferred<?> answer) {
        Executor loop = answer.loop;
        for (int i = 0; i < loops.size(); i++) {
            if (loops.get(i) == loop) {
                pending.get(i).add(answer);
                return;
            }
        }
        loops.add(loop);
        ArrayList<Deferred<?>> list = new ArrayList<>();
        list.add(answer);
        pending.add(list);
    }

    /** Hands every loop its answers so far, in the order they were given; returns how many. */
    int flush() {
        int n = 0;
        for (int i = 0; i < loops.size(); i++) {
            ArrayList<Deferred<?>> list = pending.get(i);
            if (list.isEmpty()) {
                continue;
            }
            Deferred<?>[] batch = list.toArray(new Deferred<?>[0]);
            list.clear();
            n += batch.length;
            Runnable task = () -> {
                for (Deferred<?> d : batch) {
                    d.deliver();
                }
            };
            try {
                loops.get(i).execute(task);
            } catch (RejectedExecutionException shutDown) {
                task.run();
            }
        }
        return n;
    }

    /** One command's answer, kept until the shard flushes. */
    static final class Deferred<T> implements Sink<T> {
        private final Replies replies;
        private final Sink<T> sink;
        final Executor loop;
        private T result;
        private StatusRuntimeException error;

        Deferred(Replies replies, Sink<T> sink, Executor loop) {
            this.replies = replies;
            this.sink = sink;
            this.loop = loop;
        }

        @Override
        public void onResult(T r) {
            result = r;
            replies.add(this);
        }

        @Override
        public void onError(StatusRuntimeException e) {
            error = e;
            replies.add(this);
        }

        void deliver() {
            if (error != null) {
                sink.onError(error);
            } else {
                sink.onResult(result);
            }
        }
    }
}
