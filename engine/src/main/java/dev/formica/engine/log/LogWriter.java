package dev.formica.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread of a node that writes to the disk. Each shard thread writes its frames, whole and checksummed, into
 * its {@link LogBuffer} (a memory-mapped window that outlives the process); this thread writes each shard's new window
 * bytes to its segment with one sequential {@code write}, and in {@link Durability#FSYNC} mode syncs the written
 * segments (one cache flush for those of a device: {@link SyncRound}) before it publishes the new durable positions
 * and releases the answers waiting on them. Frames that arrive while a sync runs go into the next batch: group commit.
 * Shard threads never touch the disk (but see {@code logSync: LOOP} below). A round may wait for more frames, in their
 * windows, at most a group commit interval after the previous round started: always, or when there is company
 * ({@link CommitDelay}). In {@link Durability#PROCESS} mode an answer waits for nothing of this thread: its frame is
 * in the window, which {@link LogBuffer#recover} brings back after kill -9.
 *
 * <p>Preallocation ({@code fsync} mode, when asked for): each shard's next segment is prepared ahead of time by
 * a {@link SegmentPreparer}, so that the group commit's {@code fdatasync} flushes data only ({@link LogSegment}).
 *
 * <p>{@code logSync: LOOP} ({@link Log#syncOnShard}): the shard's own thread writes and syncs its log at the end of
 * its round of calls and releases the answers itself (the leader's group commit): no wake-up of this thread and no
 * hand-back per sync; this thread leaves such a log alone until {@link #close}, when the shard threads have stopped
 * (docs/perf-notes/2026-12-07-sync-on-the-loop.md).
 *
 * <p>Thread contract: {@link #open} registers logs before {@link #start}; after that the writer thread owns every
 * segment channel but those of logs synced on their shard, which their shard thread owns until {@link #close}. Each
 * {@link Log} is appended to by one shard thread at a time.
 */
public final class LogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);
    public static final long DEFAULT_SEGMENT_BYTES = 256L << 20;
    /**
     * With preallocation, a growing segment (a new log's first, or one reopened at start) asks for a preallocated
     * successor once it holds this many bytes: a log that stays small (a test, a quiet node) never writes the
     * zeros of a whole segment.
     */
    public static final long DEFAULT_PREPARE_AFTER = 1L << 20;
    /** fsync mode: woken by every shard that waits for durability, so the park only bounds an idle loop. */
    private static final long FSYNC_IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /**
     * process mode: nobody waits for this thread, so it writes the windows behind the shards every 10 ms (100
     * wake-ups a second), or sooner when a window is a quarter full.
     */
    private static final long PROCESS_IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Durability durability;
    private final LogChannel.Factory channels;
    private final long segmentBytes;
    private final int windowBytes;
    /** fsync mode with preallocation: when a growing segment asks for its successor; -1 = no preallocation. */
    private final long prepareAfter;
    private SegmentPreparer preparer;
    /** Recorded by the writer and by shard threads that sync their own log ({@code logSync: LOOP}). */
    private final org.HdrHistogram.Recorder syncNanos = new org.HdrHistogram.Recorder(1, 60_000_000_000L, 2);
    /** fsync mode: an answer's wait for durability, split (recorded as {@link #syncNanos}). */
    private final LogTimes times = new LogTimes();
    private final List<Log> logs = new ArrayList<>();
    /** fsync mode: how long a round of syncs waits for more frames (the group commit interval, siblings). */
    private final CommitDelay delay;
    private final WriterParking parking;
    /** Writer thread: the segments on one device share a cache flush per round of syncs. */
    private final SyncRound round = new SyncRound();
    private volatile boolean running = true;
    private Thread thread;

    public LogWriter(Durability durability, LogChannel.Factory channels, long segmentBytes) {
        this(durability, channels, segmentBytes, LogBuffer.DEFAULT_CAPACITY);
    }

    /** As {@link #LogWriter(Durability, LogChannel.Factory, long)} with windows of {@code windowBytes}. */
    public LogWriter(Durability durability, LogChannel.Factory channels, long segmentBytes, int windowBytes) {
        this(durability, channels, segmentBytes, windowBytes, -1);
    }

    /**
     * As {@link #LogWriter(Durability, LogChannel.Factory, long, int)}; in {@code fsync} mode with
     * {@code prepareAfter >= 0} every segment after a growing one is preallocated ({@code segmentBytes} of zeros,
     * written and synced off the writer thread), the first asked for once a growing segment holds
     * {@code prepareAfter} bytes. In {@code process} mode nothing is preallocated: no {@code fdatasync} waits there.
     */
    public LogWriter(Durability durability, LogChannel.Factory channels, long segmentBytes, int windowBytes,
            long prepareAfter) {
        this(durability, channels, segmentBytes, windowBytes, prepareAfter, 0);
    }

    /**
     * As {@link #LogWriter(Durability, LogChannel.Factory, long, int, long)}; in {@code fsync} mode a round of
     * syncs starts at least {@code groupCommitNanos} after the previous one started, so that under load one
     * {@code fdatasync} covers the frames of that whole interval (each sync is three I/Os on this VM's ext4: the
     * data, the inode, a cache flush). An idle log's frame is synced at once.
     */
    public LogWriter(Durability durability, LogChannel.Factory channels, long segmentBytes, int windowBytes,
            long prepareAfter, long groupCommitNanos) {
        this(durability, channels, segmentBytes, windowBytes, prepareAfter, groupCommitNanos, 0, System::nanoTime);
    }

    /**
     * As {@link #LogWriter(Durability, LogChannel.Factory, long, int, long, long)}; with {@code siblings > 0} a round
     * waits (at most the interval after the previous round started) only while the recent rate brings that many
     * batches of answers within the interval ({@link CommitDelay}, on {@code clock}): a lone frame waits for nobody.
     */
    public LogWriter(Durability durability, LogChannel.Factory channels, long segmentBytes, int windowBytes,
            long prepareAfter, long groupCommitNanos, int siblings, java.util.function.LongSupplier clock) {
        this.delay = new CommitDelay(durability == Durability.FSYNC ? groupCommitNanos : 0, siblings, clock);
        this.parking = new WriterParking(times, delay, logs);
        this.durability = durability;
        this.channels = channels;
        this.segmentBytes = segmentBytes;
        this.windowBytes = windowBytes;
        this.prepareAfter = durability == Durability.FSYNC ? prepareAfter : -1;
    }

    /** Whether this writer preallocates segments. */
    public boolean preallocates() {
        return prepareAfter >= 0;
    }

    /**
     * The writer's {@code fdatasync} durations in nanoseconds (one value per sync of a segment), for the sampler
     * that exports them.
     */
    public org.HdrHistogram.Recorder syncNanos() {
        return syncNanos;
    }

    /** How the writer thread parks: whether it is idle or holding its frames (tests). */
    WriterParking parking() {
        return parking;
    }

    /** Where the answers' wait for durability goes ({@code fsync} mode): the recorders a sampler exports. */
    public LogTimes times() {
        return times;
    }

    public Durability durability() {
        return durability;
    }

    /**
     * Opens a shard's log for appending at {@code position} (the end of its valid frames, after recovery), with a
     * fresh window at {@code windowFile} (what a previous process left there must have been recovered first).
     */
    public Log open(int shard, LogSegments segments, long position, Path windowFile) throws IOException {
        Log log = new Log(shard, segments, position, LogBuffer.create(windowFile, windowBytes));
        logs.add(log);
        return log;
    }

    /** As {@link #open(int, LogSegments, long, Path)}, the window in the segments' directory. */
    public Log open(int shard, LogSegments segments, long position) throws IOException {
        return open(shard, segments, position, LogBuffer.file(segments.directory(), shard));
    }

    /** Starts the writer thread. */
    public void start() {
        if (prepareAfter >= 0) {
            preparer = new SegmentPreparer(segmentBytes);
        }
        thread = new Thread(this::run, "formica-log-writer");
        parking.thread(thread);
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code fdatasync} calls made so far (for metrics and tests). */
    public long syncs() {
        return logs.stream().mapToLong(log -> log.syncs).sum();
    }

    private void run() {
        long idlePark = durability == Durability.FSYNC ? FSYNC_IDLE_PARK_NANOS : PROCESS_IDLE_PARK_NANOS;
        while (true) {
            int work = 0;
            boolean stopping = !running;
            // > 0: the next round of syncs is not due yet; frames wait for it in their windows
            long hold = stopping ? 0 : delay.hold(delay.adaptive() ? parking.waiting() : 0);
            boolean timed = durability == Durability.FSYNC && hold == 0;
            long pass = timed ? System.nanoTime() : 0; // before the first write: the start of the pass (LogTimes)
            for (Log log : logs) {
                work += log.writerOwns(stopping) && (hold == 0 || log.crowded()) ? log.collect() : 0;
            }
            boolean synced = false;
            if (timed) {
                long start = delay.now(); // the round's start, kept only if it synced anything
                synced = round.sync(logs, stopping);
                delay.roundEnded(start, synced);
            }
            int released = 0;
            for (Log log : logs) {
                released += log.writerOwns(stopping) ? log.publish(pass) : 0;
            }
            delay.released(released);
            work += released;
            if (synced) {
                times.round(pass, System.nanoTime());
            }
            if (stopping && work == 0) {
                break;
            }
            if (work == 0) {
                parking.park(logs, hold, idlePark, running);
            }
        }
        for (Log log : logs) {
            log.closeChannel();
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
        if (preparer != null) {
            preparer.close();
        }
    }

    /** One shard's log: appended to by the shard, written by the writer thread. */
    public final class Log implements ShardLog {
        private final int shard;
        private final LogSegments segments;
        private final LogBuffer window;
        private final OneToOneConcurrentArrayQueue<LogPending> pending = new OneToOneConcurrentArrayQueue<>(1 << 16);
        private final ByteBuffer[] slices = new ByteBuffer[2];
        /** Shard thread only: the frame's checksum and the frame assembled before it goes into the window. */
        private final CRC32C crc = new CRC32C();
        private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(LogFrames.MAX_FRAME)
                .order(LogFrames.ORDER));
        /** Shard thread only. */
        private long appended;
        /** {@link #appended} as the writer may read it: every frame before it is whole in the window. */
        private volatile long published;
        /** Writer thread only: the position of the next byte it writes to the segment. */
        private long written;
        /** {@link #written} as the shard reads it: window bytes before it may be overwritten. */
        private volatile long writtenShared;
        private long synced;
        private volatile long durable;
        private volatile boolean failed;
        /** The current segment; null once closed. */
        private LogSegment segment;
        private boolean unsynced;
        /** {@code logSync: LOOP}: the shard's thread writes and syncs this log (set before the writer starts). */
        private boolean onShard;
        /** {@link #onShard}: asks the shard's thread to sync at the end of its round; null until it is known. */
        private volatile Runnable syncWanted;
        /** {@code fdatasync} calls made for this log (by whichever thread syncs it). */
        private volatile long syncs;

        private Log(int shard, LogSegments segments, long position, LogBuffer window) throws IOException {
            this.shard = shard;
            this.segments = segments;
            this.window = window;
            this.appended = position;
            this.published = position;
            this.written = position;
            this.writtenShared = position;
            this.synced = position;
            this.durable = position;
            this.segment = new LogSegment(segments, channels);
            List<Long> starts = segments.list();
            long last = starts.isEmpty() ? -1 : starts.get(starts.size() - 1);
            if (last >= 0 && last <= position) {
                segment.open(last, position - last, false);
            } else {
                segment.open(position, 0, true);
            }
            Path ready = segments.directory().resolve(SegmentPreparer.READY);
            if (prepareAfter >= 0 && Files.isRegularFile(ready) && Files.size(ready) > 0) {
                // zeroed and synced whole by a previous process (the name is given only then): used at once
                segment.prepared = ready;
                segment.requested = true;
            }
        }

        public int shard() {
            return shard;
        }

        @Override
        public long append(long timeMs, DirectBuffer payload, int offset, int length) {
            if (failed) {
                throw new IllegalStateException("the shard log of shard " + shard + " failed; see the log");
            }
            int frame = LogFrames.frameLength(length);
            if (frame > LogFrames.MAX_FRAME) {
                // the command changed the shard's memory: a log going on without its frame replays to another state
                fail(new IllegalArgumentException("frame of " + frame + " bytes exceeds " + LogFrames.MAX_FRAME));
                throw new IllegalStateException("the shard log of shard " + shard + " failed; see the log");
            }
            // room: the window bytes this frame overwrites must be in the segment already
            while (appended + frame - writtenShared > window.capacity()) {
                if (onShard) {
                    collect(); // this thread writes its own window to the segment
                } else {
                    parking.wakeNow();
                    LockSupport.parkNanos(20_000);
                }
                if (failed) {
                    throw new IllegalStateException("the shard log of shard " + shard + " failed; see the log");
                }
            }
            window.put(appended, timeMs, payload, offset, length, crc, scratch);
            appended += frame;
            published = appended;
            // no wake-up per frame: in fsync mode the shard wakes the writer once per batch, when it asks for its
            // answers to be released (whenDurable); in process mode the writer comes by itself, or when the window
            // fills up
            if (!onShard && appended - writtenShared > window.capacity() >> 2) {
                parking.wakeNow();
            }
            return appended;
        }

        @Override
        public long appendedPosition() {
            return appended;
        }

        /** What is in the segment files: written ({@code process}) or synced ({@code fsync}). */
        @Override
        public long durablePosition() {
            return durable;
        }

        /**
         * In {@code fsync} mode once the segment is synced up to {@code position}; in {@code process} mode at once:
         * the frames are in the window, which survives the process.
         */
        @Override
        public void whenDurable(long position, Release release) {
            if (failed) {
                // a command that ran after the failure changed memory that the log will never hold
                release.release(false);
                return;
            }
            if (position <= durable || durability == Durability.PROCESS) {
                release.release(true);
                return;
            }
            LogPending p = new LogPending(position, release, System.nanoTime());
            if (onShard) {
                while (!pending.offer(p)) {
                    syncHere();
                }
                Runnable ask = syncWanted;
                if (ask != null) {
                    ask.run();
                } else {
                    syncHere(); // no shard loop to ask yet (start-up): sync now
                }
                return;
            }
            while (!pending.offer(p)) {
                parking.wakeNow();
                LockSupport.parkNanos(20_000);
            }
            parking.wake();
        }

        /**
         * {@code logSync: LOOP}, {@code fsync} mode, before {@link LogWriter#start}: the shard's own thread writes,
         * syncs and releases this log ({@link #syncHere}); the writer takes it back only at {@link LogWriter#close}.
         */
        public void syncOnShard() {
            onShard = durability == Durability.FSYNC;
        }

        /** {@link #syncOnShard}: run when answers wait for a sync, to have the shard's thread {@link #syncHere}. */
        public void onSyncWanted(Runnable wanted) {
            this.syncWanted = wanted;
        }

        /** {@link #syncOnShard}, the shard's thread: write, sync, run the releases allowed; returns how many. */
        public int syncHere() {
            long pass = System.nanoTime();
            collect();
            boolean synced = unsynced && sync();
            int released = publish(pass);
            if (synced) {
                times.round(pass, System.nanoTime());
            }
            return released;
        }

        /** Whether the writer thread writes, syncs and releases this log now. */
        boolean writerOwns(boolean stopping) {
            return !onShard || stopping;
        }

        int waiting() { // batches of answers waiting for a sync (any thread; a snapshot)
            return pending.size();
        }

        boolean hasWork() {
            LogPending p = pending.peek();
            return published > written || (p != null && p.position() <= durable);
        }

        /** Writer thread: whether the window holds more than a quarter of its capacity not written yet. */
        boolean crowded() {
            return published - written > window.capacity() >> 2;
        }

        /** Writer thread: writes the window's new frames to the segment. Returns 1 when it wrote, else 0. */
        int collect() {
            if (failed) {
                return 0;
            }
            long end = published;
            if (end == written) {
                return 0;
            }
            if (segment.movesOn(written, end)) {
                roll(true);
                if (failed) {
                    return 0;
                }
            }
            try {
                int n = window.slices(written, end, slices);
                for (int i = 0; i < n; i++) {
                    segment.channel().append(slices[i]);
                    slices[i] = null;
                }
                unsynced = true;
            } catch (IOException | RuntimeException e) {
                fail(e);
                return 0;
            }
            written = end;
            writtenShared = end;
            if (segment.used(written) >= segmentBytes && segment.prepared == null) {
                roll(false); // a growing successor: no preallocated one is ready (or none is made)
            }
            if (prepareAfter >= 0) {
                segment.askForSuccessor(written, prepareAfter, preparer);
            }
            return 1;
        }

        /** Moves on to the segment starting at {@link #written}: the prepared successor, or a growing one. */
        private void roll(boolean intoPrepared) {
            try {
                if (unsynced || !intoPrepared && durability == Durability.FSYNC) {
                    segment.channel().sync();
                    unsynced = false;
                    synced = written;
                }
                if (intoPrepared) {
                    segment.moveIntoPrepared(written);
                } else {
                    segment.rollGrowing(written);
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }

        /** Writer thread, fsync mode: makes the written frames durable; returns whether they are. */
        boolean sync() {
            if (failed || !unsynced) {
                return !failed;
            }
            try {
                long t = System.nanoTime();
                segment.channel().sync();
                syncNanos.recordValue(Math.min(System.nanoTime() - t, TimeUnit.SECONDS.toNanos(60)));
                syncs++;
                covered();
                return true;
            } catch (IOException | RuntimeException e) {
                fail(e);
                return false;
            }
        }

        /** {@link SyncRound}: the written frames are durable (a later sync on the device flushed them). */
        void covered() {
            if (!failed) {
                unsynced = false;
                synced = written;
            }
        }

        /** {@link SyncRound}: only data changed since the last sync (the segment preallocated, written inside). */
        boolean dataOnly() {
            return segment.capacity() > 0 && segment.used(written) <= segment.capacity();
        }

        boolean unsynced() {
            return unsynced;
        }

        LogChannel channel() {
            return segment.channel();
        }

        /** Writer thread: publishes the durable position and runs the releases it allows (a pass started at pass). */
        int publish(long pass) {
            long now = durability == Durability.FSYNC ? synced : written;
            if (now > durable) {
                durable = now;
            }
            int released = 0;
            long at = 0;
            LogPending p;
            while ((p = pending.peek()) != null && (p.position() <= durable || failed)) {
                pending.poll();
                at = at == 0 ? System.nanoTime() : at;
                times.released(p.askedNanos(), pass, at);
                try {
                    p.release().release(!failed || p.position() <= durable);
                } catch (RuntimeException e) {
                    LOG.error("releasing answers of shard " + shard + " failed", e);
                }
                released++;
            }
            return released;
        }

        void fail(Throwable e) {
            if (!failed) {
                LOG.error("shard log of shard " + shard + " cannot write; its answers are refused from"
                        + " now on (UNAVAILABLE) and the shard must be restarted", e);
            }
            failed = true;
        }

        /** Whether writing failed: nothing appended after the failure will ever be durable. */
        public boolean failed() {
            return failed;
        }

        /**
         * Stop: syncs and closes the segment; the window is deleted when everything in it is in the synced
         * segment, and kept (for {@link LogBuffer#recover} at the next start) when writing had failed.
         */
        void closeChannel() {
            boolean clean = false;
            try {
                LogChannel channel = segment.channel();
                if (channel != null) {
                    if (unsynced) {
                        channel.sync();
                        covered();
                        durable = written;
                    }
                    channel.close();
                    clean = !failed && written == published;
                }
            } catch (IOException e) {
                LOG.warn("closing the shard log of shard " + shard, e);
            }
            try {
                if (clean) {
                    window.delete();
                } else {
                    window.close();
                }
            } catch (IOException e) {
                LOG.warn("deleting the log window of shard " + shard, e);
            }
        }

        public LogSegments segments() {
            return segments;
        }

        /** Tests: the successor is asked for, not entered yet (read after a release, which orders the write). */
        boolean successorRequested() {
            return segment.requested;
        }
    }
}
