package dev.formica.engine.journal;

import dev.formica.engine.state.OwnerOnly;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The append side of one shard's journal: an append-only sequence of memory-mapped segment files
 * ({@link JournalSegments} has the format). A frame is claimed, written in place, then published by writing
 * its length last with release semantics, so a reader in another process never sees half a frame. Nothing
 * is forced to disk on the append path: the mapping is shared, so the kernel keeps every written frame
 * across a process crash and writes it back on its own schedule.
 *
 * <p>Thread contract: single writer (the shard's writer thread); no locks.
 */
public final class MappedJournalLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MappedJournalLog.class.getName());

    private final Path dir;
    private final int shard;
    private final JournalConfig config;
    private MappedByteBuffer mapped;
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private ByteBuffer view;
    private int position;
    private int capacity;
    private long segmentDay = Long.MIN_VALUE;
    private long lastSegmentStartMs = Long.MIN_VALUE;
    private long retryAtMs;
    private int segments;
    private long dropped;

    private MappedJournalLog(Path dir, int shard, JournalConfig config) {
        this.dir = dir;
        this.shard = shard;
        this.config = config;
    }

    /** Opens the journal directory of one shard (creating it owner-only) and applies retention. */
    public static MappedJournalLog open(Path dir, int shard, JournalConfig config, long nowMs) throws IOException {
        if (dir.getParent() != null) {
            OwnerOnly.directory(dir.getParent());
        }
        if (!Files.isDirectory(dir)) {
            OwnerOnly.directory(dir);
        }
        JournalSegments.deleteBefore(dir, nowMs - config.retention().toMillis());
        return new MappedJournalLog(dir, shard, config);
    }

    /**
     * Claims room for a frame of {@code frameLength} bytes (header included), rolling to a new segment when it
     * does not fit or the UTC day changed. Returns the frame's index in {@link #buffer()}, or -1 when the frame
     * is dropped (larger than a segment, or no segment can be created just now).
     */
    public int claim(int frameLength, long nowMs) {
        int aligned = JournalSegments.align(frameLength);
        if (aligned > config.segmentBytes() - JournalSegments.HEADER_BYTES) {
            dropped++;
            return -1;
        }
        if (mapped == null || position + aligned > capacity || Math.floorDiv(nowMs, JournalSegments.DAY_MS)
                != segmentDay) {
            if (!roll(nowMs)) {
                dropped++;
                return -1;
            }
        }
        return position;
    }

    /** Publishes the frame claimed at {@code index}: type and length, the length last. */
    public void commit(int index, int frameLength, int type) {
        buffer.putInt(index + 4, type);
        buffer.putIntRelease(index, frameLength);
        position = index + JournalSegments.align(frameLength);
    }

    /** The current segment; valid between {@link #claim} and {@link #commit}. */
    public UnsafeBuffer buffer() {
        return buffer;
    }

    /** A ByteBuffer view of the current segment, for encoders that write to ByteBuffers (protobuf). */
    public ByteBuffer view() {
        return view;
    }

    /** Segments created since open; changes when a roll happened (layouts are repeated in every segment). */
    public int segments() {
        return segments;
    }

    /** Frames dropped: too large, or no segment could be created. */
    public long dropped() {
        return dropped;
    }

    private boolean roll(long nowMs) {
        if (nowMs < retryAtMs) {
            return false;
        }
        finishSegment();
        try {
            long startMs = Math.max(nowMs, lastSegmentStartMs + 1);
            Path file = dir.resolve(JournalSegments.fileName(startMs));
            while (Files.exists(file)) {
                startMs++;
                file = dir.resolve(JournalSegments.fileName(startMs));
            }
            long usable = Files.getFileStore(dir).getUsableSpace();
            if (usable < 2L * config.segmentBytes()) {
                // Writing to a sparse mapping on a full disk kills the process (SIGBUS); drop instead.
                throw new IOException("only " + usable + " bytes free");
            }
            OwnerOnly.file(file);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(config.segmentBytes());
                mapped = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, config.segmentBytes());
            }
            buffer.wrap(mapped);
            view = mapped.duplicate();
            capacity = config.segmentBytes();
            buffer.putInt(0, JournalSegments.MAGIC);
            buffer.putInt(4, JournalSegments.FORMAT_VERSION);
            buffer.putInt(JournalSegments.HEADER_SHARD_OFFSET, shard);
            buffer.putLong(JournalSegments.HEADER_START_MS_OFFSET, startMs);
            position = JournalSegments.HEADER_BYTES;
            segmentDay = Math.floorDiv(nowMs, JournalSegments.DAY_MS);
            lastSegmentStartMs = startMs;
            segments++;
            JournalSegments.deleteBefore(dir, nowMs - config.retention().toMillis());
            return true;
        } catch (IOException | RuntimeException e) {
            mapped = null;
            retryAtMs = nowMs + config.retryMs();
            LOG.log(Level.WARNING, "journal of shard " + shard + ": cannot start a segment (" + e.getMessage()
                    + "); decisions are not journaled for " + config.retryMs() + " ms");
            return false;
        }
    }

    /** Marks the end of the current segment so readers move on, and unmaps it. */
    private void finishSegment() {
        if (mapped == null) {
            return;
        }
        if (position + 4 <= capacity) {
            buffer.putIntRelease(position, JournalSegments.END_OF_SEGMENT);
        }
        buffer.wrap(0, 0);
        IoUtil.unmap(mapped);
        mapped = null;
        view = null;
    }

    /** Writes back what the kernel has not yet (not on the hot path: close, tests). */
    public void force() {
        if (mapped != null) {
            mapped.force();
        }
    }

    @Override
    public void close() {
        if (mapped != null) {
            mapped.force();
            finishSegment();
        }
    }
}
