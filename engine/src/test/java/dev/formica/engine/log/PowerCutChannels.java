package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Log segments on a disk that loses power, as LazyFS simulates for file systems: every byte appended since a
 * segment's last sync lives only in a "page cache" that the cut throws away (with write-out, or in the disk's cache
 * until a sync of any segment flushes it). The power fails during the N-th sync
 * (N chosen by the test): that sync and everything after it fail, and {@link #applyCut} then truncates each segment
 * with bytes in flight to what its last completed sync made durable, plus (at random) a few bytes of a torn write
 * after it. A segment closed without its bytes flushed is damaged like any other: the model does not trust a close.
 */
public final class PowerCutChannels implements LogChannel.Factory {
    private final int cutAtSync;
    private final AtomicInteger syncs = new AtomicInteger();
    private final AtomicBoolean cut = new AtomicBoolean();
    private final List<Segment> segments = new ArrayList<>();
    private final boolean writesOut;
    private final AtomicInteger writeOuts = new AtomicInteger();

    public PowerCutChannels(int cutAtSync) {
        this(cutAtSync, false);
    }

    /**
     * With {@code writesOut}, segments can also be written out ({@link LogChannel#writeOut}) onto a disk with a
     * volatile cache: what was written out survives the cut only once a later sync of any segment (one device, one
     * cache flush) has completed.
     */
    public PowerCutChannels(int cutAtSync, boolean writesOut) {
        this.cutAtSync = cutAtSync;
        this.writesOut = writesOut;
    }

    /** Write-outs done (each waits for its bytes to be in the disk's cache, not flushed). */
    public int writeOuts() {
        return writeOuts.get();
    }

    /** Whether the power has failed. */
    public boolean cut() {
        return cut.get();
    }

    /** Completed syncs before the cut. */
    public int syncs() {
        return syncs.get();
    }

    @Override
    public synchronized LogChannel open(Path file, long size) throws IOException {
        if (cut.get()) {
            throw new IOException("power cut");
        }
        Segment s = new Segment(file, size);
        segments.add(s);
        return s;
    }

    /**
     * After the writer stopped: what the disk holds after the power comes back. Each segment keeps its synced
     * bytes; with {@code random}, some get a torn tail of garbage (a write the cut interrupted).
     *
     * @return the bytes thrown away
     */
    public synchronized long applyCut(SplittableRandom random) throws IOException {
        long lost = 0;
        for (Segment s : segments) {
            if (!java.nio.file.Files.exists(s.file) || s.synced >= s.written) {
                // nothing of it in flight: every byte written was flushed (by its own sync or, written out, by a
                // sync of another segment), whether the writer closed it before the cut, after it (a log that had
                // nothing to sync when another log's sync failed goes on into its next segment), or not at all;
                // or its file was replaced by a preallocated segment (it was empty). A disk tears only writes in
                // flight, so such a segment keeps every byte
                continue;
            }
            try (FileChannel ch = FileChannel.open(s.file, StandardOpenOption.WRITE)) {
                if (ch.size() > s.written) {
                    // a preallocated segment: the blocks and the size were synced before, so the cut turns what
                    // was not synced back into the zeros that were there; or only its first page (the pages of
                    // one write reach the disk in any order), which leaves stale frames after zeros
                    lost += s.written - s.synced;
                    long end = random.nextBoolean() ? s.written : Math.min(s.written, s.synced + LogFrames.HEADER);
                    ch.write(ByteBuffer.allocate((int) (end - s.synced)), s.synced);
                } else {
                    lost += ch.size() - s.synced;
                    ch.truncate(s.synced);
                }
                if (random.nextBoolean()) {
                    byte[] torn = new byte[1 + random.nextInt(60)];
                    for (int i = 0; i < torn.length; i++) {
                        torn[i] = (byte) random.nextInt(256);
                    }
                    ch.write(ByteBuffer.wrap(torn), s.synced);
                }
                ch.force(true);
            }
        }
        return lost;
    }

    private final class Segment implements LogChannel {
        final Path file;
        final FileChannel ch;
        long written;
        long writtenOut;
        long synced;

        Segment(Path file, long size) throws IOException {
            this.file = file;
            this.ch = FileChannel.open(file, StandardOpenOption.WRITE);
            ch.position(size);
            this.written = size;
            this.writtenOut = size;
            this.synced = size;
        }

        @Override
        public void append(ByteBuffer src) throws IOException {
            if (cut.get()) {
                throw new IOException("power cut");
            }
            while (src.hasRemaining()) {
                written += ch.write(src);
            }
        }

        @Override
        public void sync() throws IOException {
            if (cut.get() || syncs.incrementAndGet() >= cutAtSync) {
                cut.set(true);
                throw new IOException("power cut during fdatasync");
            }
            synced = written; // the page cache is not flushed for real: applyCut drops what is not "synced"
            synchronized (PowerCutChannels.this) {
                for (Segment s : segments) {
                    s.synced = Math.max(s.synced, s.writtenOut); // the cache flush covers every completed write
                }
            }
        }

        @Override
        public boolean writeOut() throws IOException {
            if (!writesOut) {
                return false;
            }
            if (cut.get()) {
                throw new IOException("power cut");
            }
            writtenOut = written; // in the disk's cache: lost at the cut unless a later sync flushes it
            writeOuts.incrementAndGet();
            return true;
        }

        @Override
        public Object device() {
            return writesOut ? PowerCutChannels.this : null;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
