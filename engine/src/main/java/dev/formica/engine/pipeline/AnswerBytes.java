package dev.formica.engine.pipeline;

import java.util.Arrays;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * One answer's wire bytes on their way from a shard to the thread that delivers them: the first {@link #length}
 * bytes of {@link #array}. A fresh Decide's answer is a buffer of its shard's {@link Pool}: the shard copies the
 * bytes it wrote into it and hands it over, and the last reader gives it back with {@link #release} once it no
 * longer reads the bytes (the server: when gRPC has copied them into the transport's buffer, which it does inside
 * {@code sendMessage}, and closes the stream it read them from). So the shard allocates nothing per answer in the
 * steady state. Other answers (a replay's record, the rarer operations) are plain arrays ({@link #of}), for which
 * {@link #release} does nothing.
 *
 * <p>Ownership: exactly one owner at a time: the shard until it hands the answer over, then the delivering thread,
 * then whoever it passes it to ({@link WireCall#onAnswerBytes}). The owner releases it once, and never reads it
 * after; a buffer that is never released (a call cancelled before its answer was sent) is garbage and its pool makes
 * another.
 *
 * <p>Thread contract: not thread-safe; handed between threads through the shard's queues and the event loops' task
 * queues, which publish it. {@link #release} may run on any thread.
 */
public final class AnswerBytes {
    /** Capacity of a new pooled buffer: a Decide's answer is 300-600 bytes; a longer one grows its buffer once. */
    static final int INITIAL_CAPACITY = 1024;

    private final Pool pool;
    private byte[] array;
    private int length;
    /** The owner has the bytes; false once released (a second release is a bug that would hand it out twice). */
    private boolean held;

    private AnswerBytes(Pool pool, byte[] array, int length) {
        this.pool = pool;
        this.array = array;
        this.length = length;
    }

    /** Unpooled bytes: the whole of {@code bytes}, owned by the answer from now on; {@link #release} is a no-op. */
    public static AnswerBytes of(byte[] bytes) {
        AnswerBytes answer = new AnswerBytes(null, bytes, bytes.length);
        answer.held = true;
        return answer;
    }

    /** The array; only its first {@link #length} bytes are the answer's. Not to be read after {@link #release}. */
    public byte[] array() {
        return array;
    }

    public int length() {
        return length;
    }

    /** Whether this buffer goes back to a pool when released (false: plain bytes of {@link #of}). */
    public boolean pooled() {
        return pool != null;
    }

    /** The answer's bytes as an array of their own: the array itself when it is exactly as long (unpooled). */
    public byte[] toArray() {
        return !pooled() && length == array.length ? array : Arrays.copyOf(array, length);
    }

    /**
     * The owner is done with the bytes: a pooled buffer goes back to its pool (or is dropped when the pool is full).
     *
     * @throws IllegalStateException when it was already released (two owners: the caller has a bug)
     */
    public void release() {
        if (!held) {
            throw new IllegalStateException("answer bytes released twice");
        }
        held = false;
        if (pool != null) {
            pool.free.offer(this);
        }
    }

    /** Copies {@code length} bytes of {@code src} in, growing the array when it is too small (rare). */
    private AnswerBytes fill(byte[] src, int n) {
        if (array.length < n) {
            array = new byte[Math.max(n, array.length * 2)];
        }
        System.arraycopy(src, 0, array, 0, n);
        length = n;
        held = true;
        return this;
    }

    /**
     * One shard's buffers. Taken on the shard's thread ({@link #copyOf}: one consumer at a time, whichever thread
     * owns the shard), given back from any thread ({@link AnswerBytes#release}).
     */
    static final class Pool {
        /** Answers in flight of one shard, beyond which a released buffer is dropped: 1 MB of buffers at most. */
        static final int CAPACITY = 1024;

        private final ManyToOneConcurrentArrayQueue<AnswerBytes> free = new ManyToOneConcurrentArrayQueue<>(CAPACITY);
        private long made;

        /** A buffer of this pool holding a copy of the first {@code length} bytes of {@code src}. */
        AnswerBytes copyOf(byte[] src, int n) {
            AnswerBytes buffer = free.poll();
            if (buffer == null) {
                made++;
                buffer = new AnswerBytes(this, new byte[Math.max(INITIAL_CAPACITY, n)], 0);
            }
            return buffer.fill(src, n);
        }

        /** How many buffers this pool has made (the answers in flight at the busiest moment, plus any dropped). */
        long made() {
            return made;
        }

        /** How many released buffers wait to be taken again. */
        int free() {
            return free.size();
        }
    }
}
