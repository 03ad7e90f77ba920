package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test channels over the real files that record each sync (when it started and on which thread) and count the bytes
 * appended and the bytes each sync made durable: what the group-commit and shard-sync tests assert on.
 */
final class RecordingLogChannels implements LogChannel.Factory {
    final List<Long> syncStarts = new CopyOnWriteArrayList<>();
    final List<Thread> syncThreads = new CopyOnWriteArrayList<>();
    final AtomicLong appended = new AtomicLong();
    final AtomicLong synced = new AtomicLong();

    @Override
    public LogChannel open(Path file, long size) throws IOException {
        LogChannel inner = LogChannel.FILES.open(file, size);
        return new LogChannel() {
            @Override
            public void append(ByteBuffer src) throws IOException {
                appended.addAndGet(src.remaining());
                inner.append(src);
            }

            @Override
            public void sync() throws IOException {
                syncStarts.add(System.nanoTime());
                syncThreads.add(Thread.currentThread());
                inner.sync();
                synced.set(appended.get());
            }

            @Override
            public void close() throws IOException {
                inner.close();
            }
        };
    }
}
