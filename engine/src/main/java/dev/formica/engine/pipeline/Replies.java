package dev.formica.engine.pipeline;

import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.log.LogTimes;
import dev.formica.engine.log.ShardLog;
import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

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
 * refuses the task (shut down) gets its answers run on the releasing thread instead. A batch and its loop tasks are
 * kept and reused once all its answers are delivered, so a release allocates nothing in the steady state.
 */
final class Replies {
    /** Batches in flight at once beyond which a delivered batch is dropped instead of kept for the next release. */
    static final int BATCHES = 256;

    private final ArrayList<Deferred<?>> pending = new ArrayList<>();
    /**
     * Delivered batches, taken again by {@link #release}: the shard allocates nothing per release in the steady state.
     * Taken on the shard's writer, given back by whichever thread delivered a batch's last answer.
     */
    private final ManyToOneConcurrentArrayQueue<Batch> free = new ManyToOneConcurrentArrayQueue<>(BATCHES);
    /** Where each batch's hand-over to its event loops is timed (fsync mode); null: not timed. */
    private LogTimes times;

    /** Times each batch's hand-over to its event loops into {@code logTimes} (before the shard runs). */
    void timed(LogTimes logTimes) {
        this.times = logTimes;
    }

    /** Delivered batches waiting to be reused (tests). */
    int freeBatches() {
        return free.size();
    }

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
        Batch batch = free.poll();
        if (batch == null) {
            batch = new Batch(free);
        }
        batch.fill(pending);
        batch.times = times;
        pending.clear();
        if (log == null) {
            batch.release(true);
        } else {
            log.whenDurable(position, batch);
        }
        return n;
    }

    /**
     * The answers of one release: handed to every loop in one task per loop, in order, or all refused when the log
     * failed; reused once every task has run ({@link #free}).
     *
     * <p>Thread contract: filled on the shard's writer; {@link #release} once, on the releasing thread; each loop's
     * task on its loop. The last of them to finish gives the batch back.
     */
    static final class Batch implements ShardLog.Release {
        private final ManyToOneConcurrentArrayQueue<Batch> pool;
        private Deferred<?>[] items = new Deferred<?>[16];
        private int count;
        private LoopTask[] tasks = {new LoopTask(this)};
        private int loopCount;
        /** The loops' tasks still to run, plus one for the releasing thread until it has handed them all out. */
        private final AtomicInteger running = new AtomicInteger();
        /** Null, or where the hand-over is timed: from {@link #handed} until each loop runs its task. */
        LogTimes times;
        long handed;

        Batch(ManyToOneConcurrentArrayQueue<Batch> pool) {
            this.pool = pool;
        }

        void fill(ArrayList<Deferred<?>> answers) {
            int n = answers.size();
            if (items.length < n) {
                items = new Deferred<?>[Math.max(n, items.length * 2)];
            }
            for (int i = 0; i < n; i++) {
                items[i] = answers.get(i);
            }
            count = n;
        }

        /** Hands every loop its answers of the batch, in order; refuses them all when the log failed. */
        @Override
        public void release(boolean durable) {
            loopCount = 0;
            for (int i = 0; i < count; i++) {
                Deferred<?> d = items[i];
                if (!durable) {
                    d.refuse();
                }
                if (d.loop == null) {
                    d.deliver();
                    continue;
                }
                boolean known = false;
                for (int k = 0; k < loopCount; k++) {
                    known |= tasks[k].loop == d.loop;
                }
                if (!known) {
                    if (loopCount == tasks.length) {
                        tasks = java.util.Arrays.copyOf(tasks, loopCount * 2);
                    }
                    if (tasks[loopCount] == null) {
                        tasks[loopCount] = new LoopTask(this);
                    }
                    tasks[loopCount++].loop = d.loop;
                }
            }
            int loops = loopCount;
            handed = times != null && loops > 0 ? System.nanoTime() : 0;
            running.set(loops + 1);
            for (int k = 0; k < loops; k++) {
                LoopTask task = tasks[k];
                try {
                    task.loop.execute(task);
                } catch (RejectedExecutionException shutDown) {
                    task.run();
                }
            }
            done();
        }

        /** One task (or the releasing thread) has finished with the batch; the last one gives it back. */
        private void done() {
            if (running.decrementAndGet() == 0) {
                for (int i = 0; i < count; i++) {
                    items[i] = null;
                }
                count = 0;
                for (int k = 0; k < loopCount; k++) {
                    tasks[k].loop = null;
                }
                loopCount = 0;
                pool.offer(this);
            }
        }
    }

    /** A batch's answers for one loop, run on that loop. */
    static final class LoopTask implements Runnable {
        private final Batch batch;
        Executor loop;

        LoopTask(Batch batch) {
            this.batch = batch;
        }

        @Override
        public void run() {
            Executor mine = loop;
            if (batch.times != null) {
                batch.times.handedBack(batch.handed);
            }
            Deferred<?>[] items = batch.items;
            for (int i = 0, n = batch.count; i < n; i++) {
                if (items[i].loop == mine) {
                    items[i].deliver();
                }
            }
            batch.done();
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
        private AnswerBytes bytes;
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

        /**
         * The answer as the wire bytes of {@code answered}'s response, marked replayed when {@code again}; owned by
         * this answer until it is delivered ({@link AnswerBytes}).
         */
        void onAnswer(Operation<?, T> answered, AnswerBytes wire, boolean again) {
            row = answered;
            bytes = wire;
            replayed = again;
            replies.pending.add(this);
        }

        /** The log could not make the answer durable: it becomes a refusal, and its bytes go back to their pool. */
        void refuse() {
            error = Refused.of(DomainError.LOG_UNAVAILABLE,
                    "the shard log could not make this answer durable; retry with the same request_id");
            result = null;
            row = null;
            if (bytes != null) {
                bytes.release();
                bytes = null;
            }
        }

        void deliver() {
            if (error != null) {
                sink.onError(error);
            } else if (row != null) {
                AnswerBytes answer = bytes;
                bytes = null;
                ShardCommand.deliver(sink, row, answer, replayed);
            } else {
                sink.onResult(result);
            }
        }
    }
}
