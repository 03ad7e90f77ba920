package dev.formica.engine.log;

import dev.formica.engine.files.Fsync;
import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The frames of one shard between its append and the segment file: a circular window over the log's positions, in
 * a memory-mapped file that outlives the process (on tmpfs, {@code /dev/shm}, when it has room). The shard thread
 * writes each frame at {@code position mod capacity}, checksum and position included, exactly as the segment will
 * hold it; the log writer copies the window's bytes to the segment with one {@code write} per batch and never
 * copies a frame twice. A frame in the window survives {@code kill -9}: at the next start {@link #recover} appends
 * to the segment every whole frame the writer had not written yet. That is what lets {@code durability: process}
 * release an answer as soon as its frame is in the window, with no hand-off to the writer thread (the design of
 * Aeron's log buffers). On tmpfs the window does not survive an OS crash or a power cut; {@code durability: fsync}
 * never releases before the segment is synced, so it does not rely on the window.
 *
 * <p>Layout: a 64-byte header (magic, version, capacity) and then {@code capacity} bytes (a power of two). Stale
 * bytes need no clearing: a frame is taken only where its own position field says it belongs, with its checksum.
 *
 * <p>Thread contract: {@link #put} on the shard's single writer; {@link #slice} on the log writer, only for bytes
 * the shard has published and not overwritten (the log guards both with its positions); {@link #recover} once at
 * start-up, before either.
 */
public final class LogBuffer implements AutoCloseable {
    /** Window size per shard: about 2 s of frames at 3,000 decisions/s. */
    public static final int DEFAULT_CAPACITY = 8 << 20;
    static final int HEADER = 64;
    private static final long MAGIC = 0x464f524d4c4f4742L; // "FORMLOGB"
    private static final int VERSION = 1;
    private static final String OWNER = "data-directory";
    private static final Path SHM = Path.of("/dev/shm");

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer data;
    private final ByteBuffer dataView;
    private final int capacity;
    private final int mask;
    private boolean closed;

    private LogBuffer(Path file, MappedByteBuffer mapped, int capacity) {
        this.file = file;
        this.mapped = mapped;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.data = new UnsafeBuffer(mapped, HEADER, capacity);
        this.dataView = mapped.duplicate().position(HEADER).slice().order(LogFrames.ORDER);
    }

    /**
     * Where the windows of the data directory identified by {@code dataDirId} live: under {@code /dev/shm} when it
     * is there and has room for them (kept apart per data directory), else in {@code fallback} on the data
     * directory's own file system (still surviving {@code kill -9}; the kernel writes its pages back).
     */
    public static Path directory(String dataDirId, Path fallback, int shards) {
        Path shm = SHM.resolve("formica-" + dataDirId);
        try {
            long need = (long) shards * (DEFAULT_CAPACITY + HEADER) * 2;
            if (Files.isDirectory(SHM) && Files.isWritable(SHM) && Files.getFileStore(SHM).getUsableSpace() > need) {
                return shm;
            }
        } catch (IOException ignored) {
            // no usable tmpfs: the fallback
        }
        return fallback;
    }

    /**
     * Every place a previous process may have left this data directory's windows: both, since {@code /dev/shm}
     * may have had room then and not now (or the other way round). Recovery looks in each.
     */
    public static List<Path> directories(String dataDirId, Path fallback) {
        return List.of(SHM.resolve("formica-" + dataDirId), fallback);
    }

    /**
     * Records in a windows directory under {@code /dev/shm} which data directory it belongs to, and deletes the
     * windows directories of data directories that are gone (deleted, or re-created with another id): a server
     * killed and never restarted, or a test's temporary directory, would otherwise keep its windows in memory
     * until the next reboot. A directory whose data directory still exists with its id is never touched.
     */
    public static void claim(Path windows, Path dataDir, String dataDirId) throws IOException {
        Path root = windows.getParent();
        if (root == null || !windows.getFileName().toString().equals("formica-" + dataDirId)) {
            return; // the fallback inside the data directory: nothing to claim
        }
        try (java.nio.file.DirectoryStream<Path> dirs = Files.newDirectoryStream(root, "formica-*")) {
            for (Path d : dirs) {
                Path owner = d.resolve(OWNER);
                if (d.equals(windows) || !Files.isRegularFile(owner)) {
                    continue;
                }
                String id = d.getFileName().toString().substring("formica-".length());
                Path other = Path.of(Files.readString(owner).trim());
                if (!id.equals(layoutId(other))) {
                    try (java.util.stream.Stream<Path> files = Files.list(d)) {
                        for (Path f : files.toList()) {
                            Files.deleteIfExists(f);
                        }
                    }
                    Files.deleteIfExists(d);
                }
            }
        } catch (IOException | RuntimeException e) {
            // another server's directory we may not read, or one that went away meanwhile: not ours to fix
        }
        OwnerOnly.directory(windows);
        Files.writeString(windows.resolve(OWNER), dataDir.toAbsolutePath().normalize().toString());
    }

    /** The id in a data directory's layout file, or null when there is none. */
    private static String layoutId(Path dataDir) {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = Files.newInputStream(dataDir.resolve("formica.properties"))) {
            p.load(in);
            return p.getProperty("id");
        } catch (IOException e) {
            return null;
        }
    }

    /** Deletes the windows directory after a clean stop (it holds only the owner file then). */
    public static void release(Path windows) throws IOException {
        if (!Files.isDirectory(windows)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(windows)) {
            if (files.anyMatch(f -> !f.getFileName().toString().equals(OWNER))) {
                throw new IOException("a window in " + windows + " still holds frames");
            }
        }
        Files.deleteIfExists(windows.resolve(OWNER));
        Files.deleteIfExists(windows);
    }

    /** The window file of {@code shard} in {@code directory}. */
    public static Path file(Path directory, int shard) {
        return directory.resolve("shard-" + shard + ".window");
    }

    /** Creates (or replaces) a window of {@code capacity} bytes, every page touched now, not on the first append. */
    public static LogBuffer create(Path file, int capacity) throws IOException {
        if (Integer.bitCount(capacity) != 1 || capacity < 2 * LogFrames.MAX_FRAME) {
            throw new IllegalArgumentException("window capacity must be a power of two >= 2 MiB: " + capacity);
        }
        OwnerOnly.directory(file.getParent());
        Files.deleteIfExists(file);
        OwnerOnly.file(file);
        MappedByteBuffer mapped;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER + (long) capacity);
        }
        UnsafeBuffer all = new UnsafeBuffer(mapped);
        all.setMemory(0, HEADER + capacity, (byte) 0);
        all.putLong(0, MAGIC, LogFrames.ORDER);
        all.putInt(8, VERSION, LogFrames.ORDER);
        all.putInt(12, capacity, LogFrames.ORDER);
        return new LogBuffer(file, mapped, capacity);
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Writes one whole frame (header, checksum and payload) at {@code position}, wrapping at the window's end.
     * The caller has made sure the bytes it overwrites were written to the segment.
     */
    public void put(long position, long timeMs, DirectBuffer payload, int offset, int length, CRC32C crc,
            UnsafeBuffer scratch) {
        int frame = LogFrames.frameLength(length);
        scratch.putInt(LogFrames.LENGTH_OFFSET, frame, LogFrames.ORDER);
        scratch.putLong(LogFrames.POSITION_OFFSET, position, LogFrames.ORDER);
        scratch.putLong(LogFrames.TIME_OFFSET, timeMs, LogFrames.ORDER);
        scratch.putBytes(LogFrames.HEADER, payload, offset, length);
        ByteBuffer bb = scratch.byteBuffer();
        scratch.putInt(LogFrames.CHECKSUM_OFFSET, LogFrames.checksum(crc, bb, 8, frame - 8), LogFrames.ORDER);
        int at = (int) (position & mask);
        int first = Math.min(frame, capacity - at);
        data.putBytes(at, scratch, 0, first);
        if (first < frame) {
            data.putBytes(0, scratch, first, frame - first);
        }
    }

    /**
     * The window's bytes for log positions [{@code from}, {@code to}) as at most two buffers (two when the range
     * wraps), for one gathering write to the segment. Views only: nothing is copied.
     */
    int slices(long from, long to, ByteBuffer[] out) {
        int at = (int) (from & mask);
        int length = (int) (to - from);
        int first = Math.min(length, capacity - at);
        out[0] = dataView.duplicate().limit(at + first).position(at);
        if (first < length) {
            out[1] = dataView.duplicate().limit(length - first).position(0);
            return 2;
        }
        return 1;
    }

    /**
     * Start-up, before the shard's log is read: appends to the shard's segments every whole frame that a previous
     * process left in its window (at {@code file}) beyond the segments' valid end, and syncs them. A torn frame at
     * the end of the last segment is cut first (the window holds it whole). Returns the frames recovered; 0 when
     * there is no window (a first start, a clean stop, or a reboot emptied {@code /dev/shm}).
     */
    public static long recover(Path file, LogSegments segments) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        MappedByteBuffer mapped;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER) {
                return 0;
            }
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        try {
            mapped.order(LogFrames.ORDER);
            int capacity = mapped.getInt(12);
            if (mapped.getLong(0) != MAGIC || mapped.getInt(8) != VERSION || Integer.bitCount(capacity) != 1
                    || mapped.capacity() != HEADER + (long) capacity) {
                throw new IOException(file + " is not a Formica log window (magic, version or size); move it away"
                        + " if it is not this data directory's");
            }
            LogBuffer window = new LogBuffer(file, mapped, capacity);
            long end = validEnd(segments);
            // whole frames from the end on, each where its position says, checksummed: copied straight into the
            // bytes to append, and taken only when valid there
            ByteBuffer out = ByteBuffer.allocateDirect(capacity).order(LogFrames.ORDER);
            UnsafeBuffer outView = new UnsafeBuffer(out);
            CRC32C crc = new CRC32C();
            long position = end;
            long frames = 0;
            while (out.remaining() >= LogFrames.HEADER) {
                int at = out.position();
                window.copyOut(position, LogFrames.HEADER, outView, at);
                int length = out.getInt(at + LogFrames.LENGTH_OFFSET);
                if (!LogFrames.saneLength(length) || length > out.remaining()) {
                    break;
                }
                window.copyOut(position, length, outView, at);
                if (!LogFrames.valid(crc, out, at, length, position)) {
                    break;
                }
                out.position(at + length);
                position += length;
                frames++;
            }
            if (frames > 0) {
                out.flip();
                List<Long> starts = segments.list();
                long start = starts.isEmpty() ? end : starts.get(starts.size() - 1);
                Path segment = segments.file(start);
                boolean created = !Files.exists(segment);
                if (created) {
                    OwnerOnly.file(segment);
                }
                try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                    ch.position(end - start);
                    while (out.hasRemaining()) {
                        ch.write(out);
                    }
                    ch.force(false);
                }
                if (created) {
                    Fsync.directory(segments.directory());
                }
            }
            return frames;
        } finally {
            IoUtil.unmap(mapped);
        }
    }

    /** Copies {@code length} bytes of the window from log position {@code position} to {@code to} at an offset. */
    private void copyOut(long position, int length, UnsafeBuffer to, int toOffset) {
        int at = (int) (position & mask);
        int first = Math.min(length, capacity - at);
        to.putBytes(toOffset, data, at, first);
        if (first < length) {
            to.putBytes(toOffset + first, data, 0, length - first);
        }
    }

    /** The end of the segments' valid frames; a torn tail of the last segment is cut (durably) first. */
    private static long validEnd(LogSegments segments) throws IOException {
        List<Long> starts = segments.list();
        if (starts.isEmpty()) {
            return 0;
        }
        long last = starts.get(starts.size() - 1);
        try (LogSegments.Cursor c = segments.cursor(last)) {
            while (c.next()) {
                // to the end of the valid frames
            }
            if (c.tornAt() >= 0) {
                segments.truncateTo(c.tornAt());
            }
            return c.position();
        }
    }

    /** Unmaps the window and deletes its file: everything in it is in the segment (a clean stop). */
    public void delete() throws IOException {
        close();
        Files.deleteIfExists(file);
    }

    /** Unmaps the window; the file stays (what it holds may not be in the segment yet). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            IoUtil.unmap(mapped);
        }
    }
}
