package dev.formica.engine.state;

import java.io.InputStream;
import java.nio.channels.FileChannel;
import org.agrona.concurrent.UnsafeBuffer;

/** A mapped snapshot read as a stream, without locks, its position known (for the records' chunks). */
final class MappedInput extends InputStream {
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

    @Override
    public int read() {
        return position < buffer.capacity() ? buffer.getByte(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
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
}
