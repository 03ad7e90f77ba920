package dev.formica.engine.state;

import java.io.DataInput;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Objects;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A mapped snapshot read without locks, its position known (for the records' chunks). It is its own
 * {@link DataInput}: the snapshot's fields (tens of millions for 1 M borrowers) are read from the mapping where they
 * lie, big-endian as {@link java.io.DataOutputStream} wrote them, not copied through a {@link DataInputStream} into
 * its buffer one field at a time (≈ 1.5 s of a cold restart's CPU, fifteenth session's profile). A field past the
 * end is an {@link EOFException}, as from the stream.
 */
final class MappedInput extends InputStream implements DataInput {
    final UnsafeBuffer buffer;
    /** The file, opened so that it can be mapped privately; null when it cannot be. */
    final FileChannel channel;
    int position;

    MappedInput(UnsafeBuffer buffer, FileChannel channel) {
        this.buffer = buffer;
        this.channel = channel;
    }

    int remaining() {
        return buffer.capacity() - position;
    }

    /** Moves past {@code n} bytes and returns where they start; EOF when fewer are left. */
    private int advance(int n) throws EOFException {
        int at = position;
        if (n > buffer.capacity() - at) {
            throw new EOFException(n + " bytes wanted at " + at + " of a snapshot of " + buffer.capacity());
        }
        position = at + n;
        return at;
    }

    @Override
    public int read() {
        return position < buffer.capacity() ? buffer.getByte(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        int n = Math.min(len, remaining());
        if (n <= 0) {
            return -1;
        }
        buffer.getBytes(position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public long skip(long n) {
        int k = (int) Math.max(0, Math.min(n, remaining()));
        position += k;
        return k;
    }

    @Override
    public int available() {
        return remaining();
    }

    @Override
    public void readFully(byte[] b) throws IOException {
        readFully(b, 0, b.length);
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        buffer.getBytes(advance(len), b, off, len);
    }

    @Override
    public int skipBytes(int n) {
        return (int) skip(n);
    }

    @Override
    public boolean readBoolean() throws IOException {
        return readByte() != 0;
    }

    @Override
    public byte readByte() throws IOException {
        return buffer.getByte(advance(Byte.BYTES));
    }

    @Override
    public int readUnsignedByte() throws IOException {
        return readByte() & 0xff;
    }

    @Override
    public short readShort() throws IOException {
        return buffer.getShort(advance(Short.BYTES), ByteOrder.BIG_ENDIAN);
    }

    @Override
    public int readUnsignedShort() throws IOException {
        return readShort() & 0xffff;
    }

    @Override
    public char readChar() throws IOException {
        return (char) readShort();
    }

    @Override
    public int readInt() throws IOException {
        return buffer.getInt(advance(Integer.BYTES), ByteOrder.BIG_ENDIAN);
    }

    @Override
    public long readLong() throws IOException {
        return buffer.getLong(advance(Long.BYTES), ByteOrder.BIG_ENDIAN);
    }

    @Override
    public float readFloat() throws IOException {
        return Float.intBitsToFloat(readInt());
    }

    @Override
    public double readDouble() throws IOException {
        return Double.longBitsToDouble(readLong());
    }

    /** Not in a snapshot. */
    @Override
    public String readLine() {
        throw new UnsupportedOperationException("a snapshot has no text lines");
    }

    @Override
    public String readUTF() throws IOException {
        return DataInputStream.readUTF(this);
    }
}
