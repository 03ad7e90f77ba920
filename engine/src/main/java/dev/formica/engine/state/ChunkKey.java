package dev.formica.engine.state;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A {@link DecisionRecords} record's key where it lies in a chunk, read as characters without copying them (start-up,
 * snapshots).
 */
final class ChunkKey implements CharSequence {
    private final UnsafeBuffer chunk;
    private final int at;
    private final int length;

    /** The key of {@code length} characters at byte {@code at} of {@code chunk}. */
    ChunkKey(UnsafeBuffer chunk, int at, int length) {
        this.chunk = chunk;
        this.at = at;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        return chunk.getChar(at + 2 * index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }

    @Override
    public String toString() {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = charAt(i);
        }
        return new String(chars);
    }
}
