package dev.formica.engine.log;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The one thread of a node that writes to the disk: it takes the frames every shard appended, writes each shard's
 * batch to its segment with one sequential {@code write}, and in {@link Durability#FSYNC} mode syncs each written
 * segment ({@code fdatasync}) before it publishes the new durable positions and releases the answers waiting on
 * them. Frames that arrive while a sync runs go into the next batch: group commit. Shard threads never touch the
 * disk; they copy a frame into a ring buffer and go on.
 *
 * <p>Thread contract: {@link #open} registers logs before {@link #start}; after that the writer thread owns every
 * segment channel. Each {@link Log} is appended to by one shard thread.
 */
public final class LogWriter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LogWriter.class.getName());
    /** Per-shard ring between the shard and the writer. */
    public static final int DEFAULT_RING_BYTES = 8 << 20;
    public static final long DEFAULT_SEGMENT_BYTES = 256L << 20;
    private static final int BATCH_BYTES = 4 << 20;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Durability durability;
    private final LogChannel.Factory channels;
    private final long segmentBytes;
    private final List<Log> logs = new ArrayList<>();
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer batch = ByteBuffer.allocateDirect(BATCH_BYTES).order(LogFrames.ORDER);
    private volatile boolean sleeping;
    private volatile boolean running = true;
    private Thread thread;
    private long syncs;

    public LogWriter(Durability durability, LogChannel.Factory channels, long segmentBytes) {
        this.durability = durability;
        this.channels = channels;
        this.segmentBytes = segmentBytes;
    }

    public Durability durability() {
        return durability;
    }

    /** Opens a shard's log for appending at {@code position} (the end of its valid frames, after recovery). */
    public Log open(int shard, LogSegments segments, long position) throws IOException {
        Log log = new Log(shard, segments, position);
        logs.add(log);
        return log;
    }

    /** Starts the writer thread. */
    public void start() {
        thread = new Thread(this::run, "formica-log-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code fdatasync} calls made so far (for metrics and tests). */
    public long syncs() {
        return syncs;
    }

    private void run() {
        while (true) {
            int work = 0;
            boolean stopping = !running;
            for (Log log : logs) {
                work += log.collect();
            }
            if (durability == Durability.FSYNC) {
                for (Log log : logs) {
                    log.sync();
                }
            }
            for (Log log : logs) {
                work += log.publish();
            }
            if (stopping && work == 0) {
                break;
            }
            if (work == 0) {
                sleeping = true;
                VarHandle.fullFence();
                boolean ready = false;
                for (Log log : logs) {
                    ready |= log.hasWork();
                }
                if (!ready && running) {
                    LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                }
                sleeping = false;
            }
        }
        for (Log log : logs) {
            log.closeChannel();
        }
    }

    void wake() {
        VarHandle.fullFence();
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    /** Writes and syncs what is appended, releases what waits, then stops the thread and closes the segments. */
    @Override
    public void close() {
        running = false;
        if (thread != null) {
            LockSupport.unpark(thread);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            for (Log log : logs) {
                log.closeChannel();
            }
        }
    }

    private static final class Pending {
        final long position;
        final ShardLog.Release release;

        Pending(long position, ShardLog.Release release) {
            this.position = position;
            this.release = release;
        }
    }

    /** One shard's log: appended to by the shard, written by the writer thread. */
    public final class Log implements ShardLog {
        private final int shard;
        private final LogSegments segments;
        private final OneToOneRingBuffer ring;
        private final OneToOneConcurrentArrayQueue<Pending> pending = new OneToOneConcurrentArrayQueue<>(1 << 16);
        private final MessageHandler copier = this::copy;
        /** Shard thread only. */
        private long appended;
        /** Writer thread only: the position of the next frame it writes. */
        private long written;
        private long synced;
        private volatile long durable;
        private volatile boolean failed;
        private LogChannel channel;
        private long segmentStart;
        private boolean unsynced;

        private Log(int shard, LogSegments segments, long position) throws IOException {
            this.shard = shard;
            this.segments = segments;
            this.ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(
                    DEFAULT_RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
            this.appended = position;
            this.written = position;
            this.synced = position;
            this.durable = position;
            List<Long> starts = segments.list();
            long last = starts.isEmpty() ? -1 : starts.get(starts.size() - 1);
            if (last >= 0 && last <= position) {
                openSegment(last, position - last, false);
            } else {
                openSegment(position, 0, true);
            }
        }

        public int shard() {
            return shard;
        }

        private void openSegment(long start, long size, boolean create) throws IOException {
            Path file = segments.file(start);
            if (create) {
                dev.formica.engine.state.OwnerOnly.file(file);
                Fsync.directory(segments.directory());
            } else if (Files.size(file) != size) {
                throw new IOException("segment " + file + " has " + Files.size(file) + " bytes; recovery ended at "
                        + size);
            }
            channel = channels.open(file, size);
            segmentStart = start;
        }

        @Override
        public long append(long timeMs, DirectBuffer payload, int offset, int length) {
            if (failed) {
                throw new IllegalStateException("the shard log of shard " + shard + " failed; see the log");
            }
            int frame = LogFrames.frameLength(length);
            if (frame > LogFrames.MAX_FRAME) {
                throw new IllegalArgumentException("frame of " + frame + " bytes exceeds " + LogFrames.MAX_FRAME);
            }
            int index;
            while ((index = ring.tryClaim(1, 8 + length)) < 0) {
                wake();
                LockSupport.parkNanos(20_000);
                if (failed) {
                    throw new IllegalStateException("the shard log of shard " + shard + " failed; see the log");
                }
            }
            var b = ring.buffer();
            b.putLong(index, timeMs);
            b.putBytes(index + 8, payload, offset, length);
            ring.commit(index);
            appended += frame;
            // no wake-up per frame: the shard wakes the writer once per batch, when it asks for its answers
            // to be released (whenDurable); a frame no answer waits for goes with the next batch
            return appended;
        }

        @Override
        public long appendedPosition() {
            return appended;
        }

        @Override
        public long durablePosition() {
            return durable;
        }

        @Override
        public void whenDurable(long position, Release release) {
            if (failed) {
                // a command that ran after the failure changed memory that the log will never hold
                release.release(false);
                return;
            }
            if (position <= durable) {
                release.release(true);
                return;
            }
            Pending p = new Pending(position, release);
            while (!pending.offer(p)) {
                wake();
                LockSupport.parkNanos(20_000);
            }
            wake();
        }

        boolean hasWork() {
            Pending p = pending.peek();
            return ring.size() > 0 || (p != null && p.position <= durable);
        }

        /** Writer thread: copies the ring's frames into the batch and writes it. Returns frames written. */
        int collect() {
            if (failed) {
                return 0;
            }
            int frames = 0;
            while (true) {
                batch.clear();
                int n;
                try {
                    n = ring.read(copier, 4096);
                } catch (RuntimeException e) {
                    fail(e);
                    return frames;
                }
                if (batch.position() > 0) {
                    batch.flip();
                    try {
                        channel.append(batch);
                        unsynced = true;
                    } catch (IOException | RuntimeException e) {
                        fail(e);
                        return frames;
                    }
                }
                frames += n;
                if (n == 0 || batch.limit() < BATCH_BYTES / 2) {
                    break;
                }
            }
            if (frames > 0 && written - segmentStart >= segmentBytes) {
                roll();
            }
            return frames;
        }

        private void copy(int type, org.agrona.MutableDirectBuffer src, int index, int length) {
            int payload = length - 8;
            int frame = LogFrames.frameLength(payload);
            if (batch.remaining() < frame) {
                // flush what is batched so far; the frame then fits (MAX_FRAME < BATCH_BYTES)
                batch.flip();
                try {
                    channel.append(batch);
                    unsynced = true;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                batch.clear();
            }
            int at = batch.position();
            batch.putInt(at + LogFrames.LENGTH_OFFSET, frame);
            batch.putLong(at + LogFrames.POSITION_OFFSET, written);
            batch.putLong(at + LogFrames.TIME_OFFSET, src.getLong(index));
            src.getBytes(index + 8, batch, at + LogFrames.HEADER, payload);
            batch.putInt(at + LogFrames.CHECKSUM_OFFSET, LogFrames.checksum(crc, batch, at + 8, frame - 8));
            batch.position(at + frame);
            written += frame;
        }

        private void roll() {
            try {
                if (unsynced || durability == Durability.FSYNC) {
                    channel.sync();
                    unsynced = false;
                    synced = written;
                }
                channel.close();
                openSegment(written, 0, true);
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }

        /** Writer thread, fsync mode: makes the written frames durable. */
        void sync() {
            if (failed || !unsynced) {
                return;
            }
            try {
                channel.sync();
                syncs++;
                unsynced = false;
                synced = written;
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }

        /** Writer thread: publishes the durable position and runs the releases it allows. */
        int publish() {
            long now = durability == Durability.FSYNC ? synced : written;
            if (now > durable) {
                durable = now;
            }
            int released = 0;
            Pending p;
            while ((p = pending.peek()) != null && (p.position <= durable || failed)) {
                pending.poll();
                try {
                    p.release.release(!failed || p.position <= durable);
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "releasing answers of shard " + shard + " failed", e);
                }
                released++;
            }
            return released;
        }

        private void fail(Throwable e) {
            if (!failed) {
                LOG.log(Level.SEVERE, "shard log of shard " + shard + " cannot write; its answers are refused from"
                        + " now on (UNAVAILABLE) and the shard must be restarted", e);
            }
            failed = true;
        }

        /** Whether writing failed: nothing appended after the failure will ever be durable. */
        public boolean failed() {
            return failed;
        }

        void closeChannel() {
            try {
                if (channel != null) {
                    if (unsynced) {
                        channel.sync();
                        unsynced = false;
                        synced = written;
                        durable = written;
                    }
                    channel.close();
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing the shard log of shard " + shard, e);
            }
        }

        public LogSegments segments() {
            return segments;
        }
    }
}
