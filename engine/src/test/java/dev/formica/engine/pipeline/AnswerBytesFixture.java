package dev.formica.engine.pipeline;

/**
 * Test fixture: a shard's pool of answer buffers ({@link AnswerBytes}) outside a shard, for the server's tests of who
 * gives a buffer back and when.
 */
public final class AnswerBytesFixture {
    private final AnswerBytes.Pool pool = new AnswerBytes.Pool();

    /** A pooled buffer holding a copy of {@code bytes}, as a shard hands a fresh Decide's answer over. */
    public AnswerBytes copyOf(byte[] bytes) {
        return pool.copyOf(bytes, bytes.length);
    }

    /** How many buffers the pool has made. */
    public long made() {
        return pool.made();
    }

    /** How many released buffers wait to be taken again. */
    public int free() {
        return pool.free();
    }
}
