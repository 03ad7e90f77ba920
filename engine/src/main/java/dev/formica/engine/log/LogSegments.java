package dev.formica.engine.log;

import dev.formica.engine.files.Fsync;
import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The segment files of one shard's log: {@code <dir>/<20-digit start position>.log}, each holding whole frames,
 * the next starting where the previous ends.
 *
 * <p>Thread contract: reading ({@link #cursor}) and {@link #truncateTo} at start-up, on one thread, before the
 * writer opens the log for appending; {@link #list} and {@link #deleteBefore} from any one thread at a time.
 */
public final class LogSegments {
    static final String SUFFIX = ".log";

    private final Path dir;

    private LogSegments(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating, owner-only, made durable with its parent) the directory of one shard's log. */
    public static LogSegments open(Path dir) throws IOException {
        boolean created = !Files.isDirectory(dir);
        OwnerOnly.directory(dir);
        if (created) {
            Fsync.directory(dir.getParent());
        }
        return new LogSegments(dir);
    }

    /** The segments of an existing directory, for reading only: nothing is created or changed. */
    public static LogSegments existing(Path dir) {
        return new LogSegments(dir);
    }

    public Path directory() {
        return dir;
    }

    static String name(long startPosition) {
        return String.format("%020d%s", startPosition, SUFFIX);
    }

    /** Start positions of the segments, oldest first. */
    public List<Long> list() throws IOException {
        List<Long> starts = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                try {
                    starts.add(Long.parseLong(n.substring(0, n.length() - SUFFIX.length())));
                } catch (NumberFormatException ignored) {
                    // not a segment of ours
                }
            }
        }
        starts.sort(null);
        return starts;
    }

    Path file(long start) {
        return dir.resolve(name(start));
    }

    /** A reader of every valid frame from {@code fromPosition} (a frame boundary, or 0) to the end. */
    public Cursor cursor(long fromPosition) throws IOException {
        return cursor(fromPosition, newReadBuffer());
    }

    /**
     * As {@link #cursor(long)}, reading through {@code buffer} (from {@link #newReadBuffer}): a reader that opens a
     * cursor per poll (a journal tail) reuses one buffer instead of allocating one each time.
     */
    public Cursor cursor(long fromPosition, ByteBuffer buffer) throws IOException {
        return new Cursor(list(), fromPosition, buffer);
    }

    /** A read buffer for cursors: room for the largest frame and what follows it. */
    public static ByteBuffer newReadBuffer() {
        return ByteBuffer.allocateDirect(4 * LogFrames.MAX_FRAME).order(LogFrames.ORDER);
    }

    /**
     * The last segment's start plus its file size (0 for an empty log): where the log ends when the last segment
     * is not preallocated (always so once a writer has opened it, and in {@code process} mode); a preallocated
     * segment's zero-filled rest counts in its size.
     */
    public long end() throws IOException {
        List<Long> starts = list();
        if (starts.isEmpty()) {
            return 0;
        }
        long last = starts.get(starts.size() - 1);
        return last + Files.size(file(last));
    }

    /**
     * Cuts the log at {@code position}: the segment holding it is truncated there, later segments are deleted.
     * Used once at start-up for a torn tail; made durable before it returns.
     */
    public void truncateTo(long position) throws IOException {
        List<Long> starts = list();
        for (int i = starts.size() - 1; i >= 0; i--) {
            long start = starts.get(i);
            if (start > position || (start == position && i > 0)) {
                Files.deleteIfExists(file(start));
            } else {
                try (FileChannel ch = FileChannel.open(file(start), StandardOpenOption.WRITE)) {
                    ch.truncate(position - start);
                    ch.force(true);
                }
                break;
            }
        }
        Fsync.directory(dir);
    }

    /**
     * Deletes whole segments that end at or before {@code position} (never the newest) and were last written
     * before {@code olderThanMs}; returns how many.
     */
    public int deleteBefore(long position, long olderThanMs) throws IOException {
        List<Long> starts = list();
        int deleted = 0;
        for (int i = 0; i + 1 < starts.size() && starts.get(i + 1) <= position; i++) {
            Path f = file(starts.get(i));
            if (Files.getLastModifiedTime(f).toMillis() >= olderThanMs) {
                break;
            }
            Files.deleteIfExists(f);
            deleted++;
        }
        if (deleted > 0) {
            Fsync.directory(dir);
        }
        return deleted;
    }

    /**
     * Reads frames in order, checking each. {@link #next} stops at the end of the log or at the first invalid
     * frame; {@link #tornAt} then says whether the stop was a torn tail (and where) and {@link #position()} is
     * where the next frame goes. A segment's frames end at its end of file or where a header of zeros begins: the
     * rest of a segment the writer preallocated (filled with zeros and synced before its first frame; see
     * {@link LogWriter}). A header of zeros is no frame (a frame's length is at least its header), so it is the end
     * of the log in the last segment and the way on to the next segment, when that starts right there, in any
     * other; anything else that is not a valid frame is torn.
     */
    public final class Cursor implements AutoCloseable {
        private final List<Long> starts;
        private final CRC32C crc = new CRC32C();
        private final ByteBuffer buf;
        private final UnsafeBuffer view;
        private int segment = -1;
        private FileChannel channel;
        private long segmentStart;
        private long position;
        private long tornAt = -1;
        private boolean done;
        private long frameTime;
        private int frameOffset;
        private int frameLength;
        private long framePosition;

        private Cursor(List<Long> starts, long from, ByteBuffer buffer) throws IOException {
            this.starts = starts;
            this.buf = buffer.clear().order(LogFrames.ORDER);
            this.view = new UnsafeBuffer(buf);
            this.position = from;
            buf.limit(0);
            int first = -1;
            for (int i = 0; i < starts.size(); i++) {
                if (starts.get(i) <= from) {
                    first = i;
                }
            }
            if (starts.isEmpty()) {
                done = true;
                return;
            }
            if (first < 0) {
                throw new IOException("log " + dir + " starts at " + starts.get(0) + ", after the position "
                        + from + " that recovery needs: segments are missing");
            }
            openSegment(first);
            long skip = from - segmentStart;
            if (skip > 0) {
                channel.position(skip);
            }
        }

        private void openSegment(int index) throws IOException {
            if (channel != null) {
                channel.close();
            }
            segment = index;
            segmentStart = starts.get(index);
            channel = FileChannel.open(file(segmentStart), StandardOpenOption.READ);
            buf.clear().limit(0);
        }

        /** Moves to the next valid frame; false at the end or at a torn or corrupt frame. */
        public boolean next() throws IOException {
            if (done) {
                return false;
            }
            while (true) {
                boolean whole = fill(LogFrames.HEADER);
                int at = buf.position();
                int length = whole ? buf.getInt(at + LogFrames.LENGTH_OFFSET) : 0;
                if (length == 0 && zerosFrom(at)) {
                    // the end of this segment's frames: its end of file, or the zero-filled rest of a
                    // preallocated segment
                    if (segment + 1 < starts.size()) {
                        if (starts.get(segment + 1) != position) {
                            return stop(true);
                        }
                        openSegment(segment + 1);
                        continue;
                    }
                    return stop(false);
                }
                if (!whole || !LogFrames.saneLength(length)) {
                    return stop(true);
                }
                if (!fill(length)) {
                    return stop(true);
                }
                at = buf.position();
                if (!LogFrames.valid(crc, buf, at, length, position)) {
                    return stop(true);
                }
                framePosition = position;
                frameTime = buf.getLong(at + LogFrames.TIME_OFFSET);
                frameOffset = at + LogFrames.HEADER;
                frameLength = length - LogFrames.HEADER;
                buf.position(at + length);
                position += length;
                return true;
            }
        }

        /**
         * Whether the buffered bytes from {@code at} are all zero (true when none are buffered): the header of no
         * frame. Only the bytes of at most one header are looked at; what follows them is not read here.
         */
        private boolean zerosFrom(int at) {
            int end = Math.min(buf.limit(), at + LogFrames.HEADER);
            for (int i = at; i < end; i++) {
                if (buf.get(i) != 0) {
                    return false;
                }
            }
            return true;
        }

        private boolean stop(boolean torn) {
            done = true;
            if (torn) {
                tornAt = position;
            }
            return false;
        }

        /** Ensures {@code n} bytes are buffered from the current position; false at the segment's end. */
        private boolean fill(int n) throws IOException {
            if (buf.remaining() >= n) {
                return true;
            }
            buf.compact();
            while (buf.position() < n) {
                int read = channel.read(buf);
                if (read < 0) {
                    break;
                }
            }
            buf.flip();
            return buf.remaining() >= n;
        }

        public long framePosition() {
            return framePosition;
        }

        public long frameTime() {
            return frameTime;
        }

        public UnsafeBuffer buffer() {
            return view;
        }

        public int payloadOffset() {
            return frameOffset;
        }

        public int payloadLength() {
            return frameLength;
        }

        /** Where the next frame goes: the end of the valid log once {@link #next} returned false. */
        public long position() {
            return position;
        }

        /** Where a torn or corrupt tail starts, or -1. */
        public long tornAt() {
            return tornAt;
        }

        /** Whether the torn frame is in the last segment (a crash) rather than before it (corruption). */
        public boolean tornInLastSegment() {
            return segment == starts.size() - 1;
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
        }
    }

    /**
     * Whether the bytes of {@code file} from {@code offset} up to a frame header's length (fewer at its end) are all
     * zero: where a preallocated segment's frames end.
     */
    boolean zeroHeaderAt(Path file, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(LogFrames.HEADER);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
                // until the header is read or the file ends
            }
        }
        for (int i = 0; i < b.position(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Cuts {@code file} (one segment) at {@code size}, durably. */
    void cut(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
            ch.force(true);
        }
    }

    /** Whether {@code dir} holds at least one segment. */
    public boolean isEmpty() throws IOException {
        return list().isEmpty();
    }

    /** Syncs every segment that holds bytes before {@code position} (what a snapshot up to there relies on). */
    public void syncBefore(long fromPosition, long position) throws IOException {
        List<Long> starts = list();
        for (int i = 0; i < starts.size(); i++) {
            long end = i + 1 < starts.size() ? starts.get(i + 1) : Long.MAX_VALUE;
            if (starts.get(i) < position && end > fromPosition) {
                try (FileChannel ch = FileChannel.open(file(starts.get(i)), StandardOpenOption.WRITE)) {
                    ch.force(false);
                }
            }
        }
    }
}
