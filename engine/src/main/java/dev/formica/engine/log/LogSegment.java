package dev.formica.engine.log;

import dev.formica.engine.files.Fsync;
import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One shard log's current segment file and its preallocated successor: opening one (a reopened segment is cut at
 * its last frame), moving into the prepared successor, rolling to a growing one.
 *
 * <p>Preallocation ({@code fsync} mode, when asked for): each shard's next segment is prepared ahead of time by
 * a {@link SegmentPreparer}, a file of zeros written and synced before the log moves into it, so that the
 * {@code fdatasync} of the group commit flushes data only and never commits a new file size through the file
 * system's journal (docs/perf-notes/2026-12-06-fsync-tail.md). The log moves to the next segment when the group
 * it is about to write does not fit in the current one, or at once when the current segment is a growing one (a
 * log just created or reopened: a reopened segment is cut at its last frame, since bytes after it may be stale
 * after a power cut). Readers find the end of a segment's frames at a header of zeros ({@link LogSegments.Cursor}).
 * Without a ready file the log appends to a growing segment as it always did.
 *
 * <p>Kept apart from
 * {@link LogWriter.Log} because two threads can be its owner: the log writer, or the shard's own thread with
 * {@code logSync: LOOP}.
 *
 * <p>Thread contract: everything on the thread that writes the log, except {@link #prepared}, which the preparer's
 * thread sets.
 */
final class LogSegment {
    private final LogSegments segments;
    private final LogChannel.Factory channels;
    private LogChannel channel;
    private long start;
    /** The current segment's preallocated size, 0 for a growing segment. */
    private long capacity;
    /** A preallocated successor was asked for and not used yet. */
    boolean requested;
    /** A preallocated file ready to become the next segment (set by the preparer's thread), or null. */
    volatile Path prepared;

    LogSegment(LogSegments segments, LogChannel.Factory channels) {
        this.segments = segments;
        this.channels = channels;
    }

    /** Opens the segment starting at {@code start} for appending at {@code size}, made first when {@code create}. */
    void open(long start, long size, boolean create) throws IOException {
        Path file = segments.file(start);
        if (create) {
            OwnerOnly.file(file);
            Fsync.directory(segments.directory());
        } else if (Files.size(file) != size) {
            if (Files.size(file) < size || !segments.zeroHeaderAt(file, size)) {
                throw new IOException("segment " + file + " has " + Files.size(file) + " bytes; recovery"
                        + " ended at " + size);
            }
            // the zero-filled rest of a preallocated segment: cut, since after a power cut it may hold stale
            // bytes of writes that were never synced (the zeros before them lost); appending to it again
            // could line a new frame up with a stale one. The next segment is preallocated afresh.
            segments.cut(file, size);
        }
        channel = channels.open(file, size);
        this.start = start;
        capacity = 0;
    }

    /** The open segment's channel. */
    LogChannel channel() {
        return channel;
    }

    /** Bytes of the current segment before {@code position}. */
    long used(long position) {
        return position - start;
    }

    /** The current segment's preallocated size, 0 for a growing one. */
    long capacity() {
        return capacity;
    }

    /** Whether the bytes from {@code position} to {@code end} go into the prepared successor (one is ready). */
    boolean movesOn(long position, long end) {
        return prepared != null && (capacity == 0 || (position > start && position - start + (end - position)
                > capacity));
    }

    /** The prepared file becomes the segment starting at {@code position}; the current one is synced already. */
    void moveIntoPrepared(long position) throws IOException {
        Path file = prepared;
        channel.close();
        channel = null;
        Path segment = segments.file(position);
        // replaces the current segment only when it is empty (it starts at the same position)
        Files.move(file, segment, StandardCopyOption.ATOMIC_MOVE);
        Fsync.directory(segments.directory());
        channel = channels.open(segment, 0);
        start = position;
        capacity = Files.size(segment);
        prepared = null;
        requested = false;
    }

    /**
     * Asks {@code preparer} for the successor once it is due: a preallocated segment once half full (not as it is
     * entered: a fresh node would zero two segments per shard at once, right after its first MiB of log; the other
     * half leaves the preparer 128 MiB of log to zero the next one in, at its 32 MiB/s), a growing one once it holds
     * {@code prepareAfter} bytes.
     */
    void askForSuccessor(long position, long prepareAfter, SegmentPreparer preparer) {
        long used = used(position);
        if (!requested && (capacity > 0 ? used >= capacity / 2 : used >= prepareAfter)) {
            requested = true;
            preparer.request(segments.directory(), file -> prepared = file);
        }
    }

    /** Closes the current segment (synced already) and starts a growing one at {@code position}. */
    void rollGrowing(long position) throws IOException {
        channel.close();
        open(position, 0, true);
    }
}
