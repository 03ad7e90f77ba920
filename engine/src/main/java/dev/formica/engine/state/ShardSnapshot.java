package dev.formica.engine.state;

import dev.formica.engine.files.CountingOutputStream;
import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.funding.QuotaTally;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One shard's state at a log position, in one file: every store, and the shard's own contributions to the
 * engine-wide velocity windows and funding quotas (which start-up adds up over the shards). Recovery loads the
 * newest valid snapshot and replays only the log after its position.
 *
 * <p>Layout: a header (magic, format, shard, position, time), the sections in a fixed order, then the CRC32C of
 * everything before it. A snapshot is written to a temporary file, synced, renamed into place and its directory
 * synced: a crash leaves the old one or the new one, never half of one; a file whose checksum fails is skipped.
 *
 * <p>Thread contract: write from the thread that owns {@code state} (no writer changes it meanwhile); read at
 * start-up into empty stores, before the shard runs.
 */
public final class ShardSnapshot {
    static final int MAGIC = 0x464e5350; // "FNSP"
    /**
     * 3 = the idempotency records as the store keeps them (its chunk layout, native byte order: little-endian on
     * the x86-64 and AArch64 machines Formica runs on), copied back whole instead of field by field; 2 = with the
     * exposure records (concentration attribution). Formats 1 and 2 are still read (format 1 without the exposure
     * records).
     */
    static final int FORMAT_RAW_RECORDS = 3;
    /**
     * 5 (written): the idempotency records cut into chunks of the store's size, each starting at a page boundary of
     * the file, so that start-up maps each whole chunk privately (copy on write) as the store's chunk instead of
     * copying it into fresh memory (see {@link #read(Path, ShardState, Supplier)}); and the header always carries
     * the replicated group's placement (-1, -1 when none). Formats 1 to 4 are still read.
     */
    static final int FORMAT = 5;
    /**
     * 4 = format 3 with the replicated group's placement in the header (the node an operator's move placed the group
     * on, and the Raft index of that placement entry: docs/cluster.md, "Snapshots"). Written only for a group
     * snapshot that records a placement; every other snapshot stays format 3, so older builds still read it.
     */
    static final int FORMAT_PLACED = 4;
    /** The file's records section is padded so that each chunk starts at a multiple of this. */
    static final int CHUNK_ALIGNMENT = 4096;
    /** The header's length: magic, format, shard, position, time; format 4 adds the placement's node and index. */
    private static final int HEADER = 28;
    private static final int HEADER_PLACED = HEADER + Integer.BYTES + Long.BYTES;
    public static final String SUFFIX = ".snap";

    /**
     * What a snapshot's header says: {@code placedOn} and {@code placedAt} are the replicated group's placement
     * (node, Raft index of its placement entry), -1 when the file records none (format 3 and older).
     */
    public record Header(int shard, long position, long timeMs, int placedOn, long placedAt) {
        public Header(int shard, long position, long timeMs) {
            this(shard, position, timeMs, -1, -1);
        }
    }

    private ShardSnapshot() {
    }

    public static String name(long position) {
        return String.format("%020d%s", position, SUFFIX);
    }

    /** Writes {@code state} (at log {@code position}) and the shard's contributions to {@code file}, durably. */
    public static void write(Path file, int shard, long position, long timeMs, ShardState state,
            VelocityWindows velocity, QuotaTally quotas) throws IOException {
        write(file, shard, position, timeMs, -1, -1, state, velocity, quotas);
    }

    /**
     * As {@link #write(Path, int, long, long, ShardState, VelocityWindows, QuotaTally)}, recording a replicated
     * group's placement: node {@code placedOn} by the placement entry at Raft index {@code placedAt}; {@code
     * placedOn} -1 records none.
     */
    public static void write(Path file, int shard, long position, long timeMs, int placedOn, long placedAt,
            ShardState state, VelocityWindows velocity, QuotaTally quotas) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        OwnerOnly.file(tmp);
        CRC32C crc = new CRC32C();
        try (OutputStream raw = Files.newOutputStream(tmp);
                CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc);
                CountingOutputStream counted = new CountingOutputStream(checked);
                DataOutputStream out = new DataOutputStream(counted)) {
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeInt(shard);
            out.writeLong(position);
            out.writeLong(timeMs);
            out.writeInt(placedOn >= 0 ? placedOn : -1);
            out.writeLong(placedOn >= 0 ? placedAt : -1);
            IOException[] failure = {null};
            // ledger
            out.writeLong(state.ledger().size());
            state.ledger().forEach((b, p, l) -> io(failure, () -> {
                out.writeUTF(b.toString());
                out.writeByte(p);
                out.writeLong(l.lineMinor());
                out.writeLong(l.heldMinor());
                out.writeLong(l.drawnMinor());
                out.writeBoolean(l.frozen());
                out.writeByte(l.grade());
                out.writeLong(l.version());
                out.writeLong(l.updatedMs());
            }));
            out.writeLong(state.holds().size());
            state.holds().forEach((id, h) -> io(failure, () -> {
                out.writeLong(id);
                out.writeUTF(h.borrowerId().toString());
                out.writeByte(h.product());
                out.writeLong(h.amountMinor());
                out.writeLong(h.createdMs());
                out.writeLong(h.expiresMs());
                out.writeByte(h.state());
                out.writeLong(h.requestIdHash());
                out.writeByte(h.fundingCount());
                for (int i = 0; i < h.fundingCount(); i++) {
                    out.writeInt(h.funderIndex(i));
                    out.writeLong(h.fundingAmountMinor(i));
                }
            }));
            DecisionRecords records = state.decisions();
            out.writeLong(records.previousGenerationStartMs());
            out.writeLong(records.currentGenerationStartMs());
            for (boolean previous : new boolean[] {true, false}) {
                writeChunks(out, counted, records, previous, failure);
            }
            for (BorrowerDocuments store : new BorrowerDocuments[] {state.profiles(), state.lineNotes()}) {
                out.writeLong(store.size());
                store.forEach((b, bytes) -> io(failure, () -> {
                    out.writeUTF(b.toString());
                    out.writeInt(bytes.length);
                    out.write(bytes);
                }));
            }
            out.writeLong(state.exposures().size());
            state.exposures().forEachRaw((k, bytes) -> io(failure, () -> {
                out.writeUTF(k);
                out.writeInt(bytes.length);
                out.write(bytes);
            }));
            out.writeLong(state.activity().size());
            state.activity().forEach((b, r) -> io(failure, () -> {
                out.writeUTF(b);
                r.writeTo(out);
            }));
            quotas.writeTo(out);
            long[] keys = {0};
            velocity.forEachKey((hash, words) -> keys[0]++);
            out.writeLong(keys[0]);
            velocity.forEachKey((hash, words) -> io(failure, () -> {
                out.writeLong(hash);
                for (long w : words) {
                    out.writeLong(w);
                }
            }));
            if (failure[0] != null) {
                throw failure[0];
            }
            out.flush();
            // the trailer is not part of the checksum
            new DataOutputStream(raw).writeInt((int) crc.getValue());
        }
        dev.formica.engine.files.Fsync.file(tmp);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        dev.formica.engine.files.Fsync.directory(file.getParent());
    }

    /**
     * One generation's idempotency records, live ones only, oldest first, packed into chunks of the store's size as
     * the store packs them (a record never spans two chunks; zeros after a chunk's last record): the number of
     * records, of chunks and the bytes of the last chunk, the padding that starts the first chunk at a multiple of
     * {@link #CHUNK_ALIGNMENT} in the file, then every chunk whole but the last, written up to its last record.
     */
    private static void writeChunks(DataOutputStream out, CountingOutputStream counted, DecisionRecords records,
            boolean previous, IOException[] failure) throws IOException {
        int[] packed = {0, DecisionRecords.CHUNK_BYTES}; // chunks, bytes used in the last
        records.forEachRaw(previous, (chunk, at, length) -> {
            if (packed[1] + length > DecisionRecords.CHUNK_BYTES) {
                packed[0]++;
                packed[1] = 0;
            }
            packed[1] += length;
        });
        out.writeLong(records.size(previous));
        out.writeInt(packed[0]);
        out.writeInt(packed[0] == 0 ? 0 : packed[1]);
        out.flush();
        int padding = (int) (-(counted.count() + Integer.BYTES) & (CHUNK_ALIGNMENT - 1));
        out.writeInt(padding);
        zeros(out, padding);
        byte[] copy = new byte[1 << 16];
        int[] used = {DecisionRecords.CHUNK_BYTES};
        records.forEachRaw(previous, (chunk, at, length) -> io(failure, () -> {
            if (used[0] + length > DecisionRecords.CHUNK_BYTES) {
                zeros(out, DecisionRecords.CHUNK_BYTES - used[0]);
                used[0] = 0;
            }
            byte[] bytes = length <= copy.length ? copy : new byte[length];
            chunk.getBytes(at, bytes, 0, length);
            out.write(bytes, 0, length);
            used[0] += length;
        }));
    }

    private static final byte[] ZEROS = new byte[1 << 16];

    private static void zeros(OutputStream out, int n) throws IOException {
        for (int left = n; left > 0; left -= ZEROS.length) {
            out.write(ZEROS, 0, Math.min(left, ZEROS.length));
        }
    }

    /** Reads only the header, checking the whole file's checksum; null when the file is not a valid snapshot. */
    public static Header verify(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            if (size < 36) {
                return null;
            }
            CRC32C crc = new CRC32C();
            byte[] chunk = new byte[1 << 16];
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(HEADER_PLACED);
            long left = size - 4;
            while (left > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, left));
                if (n < 0) {
                    return null;
                }
                crc.update(chunk, 0, n);
                if (head.hasRemaining()) {
                    head.put(chunk, 0, Math.min(n, head.remaining()));
                }
                left -= n;
            }
            int expected = new DataInputStream(in).readInt();
            head.flip();
            return (int) crc.getValue() != expected ? null : checkedHeader(head);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What the header at {@code head}'s position says, in a file whose checksum held; null when it is not a header
     * of a format this build reads (or is cut short).
     */
    private static Header checkedHeader(java.nio.ByteBuffer head) {
        if (head.remaining() < HEADER || head.getInt() != MAGIC) {
            return null;
        }
        int format = head.getInt();
        if (format < 1 || format > FORMAT) {
            return null;
        }
        int shard = head.getInt();
        long position = head.getLong();
        long timeMs = head.getLong();
        if (format < FORMAT_PLACED) {
            return new Header(shard, position, timeMs);
        }
        if (head.remaining() < HEADER_PLACED - HEADER) {
            return null;
        }
        return new Header(shard, position, timeMs, head.getInt(), head.getLong());
    }

    /**
     * Reads only the header of a file {@link #verify} accepted, without reading the rest again (a snapshot may be
     * large): what it says, or an IOException when it is not a snapshot's header.
     */
    public static Header header(Path file) throws IOException {
        byte[] bytes = new byte[HEADER_PLACED];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(bytes, 0, bytes.length);
        }
        java.nio.ByteBuffer head = java.nio.ByteBuffer.wrap(bytes, 0, n);
        if (n < HEADER || head.getInt() != MAGIC) {
            throw new IOException(file.getFileName() + " is not a snapshot");
        }
        int format = head.getInt();
        int shard = head.getInt();
        long position = head.getLong();
        long timeMs = head.getLong();
        if (format < FORMAT_PLACED) {
            return new Header(shard, position, timeMs);
        }
        if (format > FORMAT || n < HEADER_PLACED) {
            throw new IOException(file.getFileName() + ": a snapshot of format " + format + " this build cannot read");
        }
        return new Header(shard, position, timeMs, head.getInt(), head.getLong());
    }

    /**
     * Loads a snapshot (checked with {@link #verify} first) into the shard's empty stores, the shard's
     * contribution to the velocity table into {@code velocity}, and returns its quota tally.
     */
    public static QuotaTally read(Path file, ShardState state, VelocityWindows velocity) throws IOException {
        return read(file, state, () -> velocity);
    }

    /**
     * As {@link #read(Path, ShardState, VelocityWindows)}, asking for the velocity table only when its section is
     * reached (the last one): a parallel start-up loads every shard's stores at once and hands the table to one
     * shard after the other, so the table sees the same merges in the same order as a start-up on one thread.
     */
    public static QuotaTally read(Path file, ShardState state, Supplier<VelocityWindows> velocityTable)
            throws IOException {
        return load(file, -1, state, velocityTable, true).quotas();
    }

    /**
     * As {@link #read(Path, ShardState, VelocityWindows)}, copying the idempotency records' chunks instead of
     * mapping them from the file: for a copy kept after the file is deleted, which a mapping would keep on disk.
     */
    public static QuotaTally readCopying(Path file, ShardState state, VelocityWindows velocity) throws IOException {
        return load(file, -1, state, () -> velocity, false).quotas();
    }

    /** What {@link #readIfValid} loaded: the snapshot's header and its quota tally. */
    public record Loaded(Header header, QuotaTally quotas) {
    }

    /**
     * Checks and loads in one reading of the file: maps it, checks the checksum over the mapping (no copy of the
     * file through a buffer, as {@link #verify} makes) and, when it holds and the header is of shard {@code shard},
     * loads the snapshot from the same mapping as {@link #read(Path, ShardState, Supplier)} does. Null when the file
     * is not a valid snapshot of the shard: then nothing was loaded ({@code state} untouched, {@code velocityTable}
     * not asked), and the caller may try an older snapshot.
     */
    public static Loaded readIfValid(Path file, int shard, ShardState state, Supplier<VelocityWindows> velocityTable)
            throws IOException {
        return load(file, shard, state, velocityTable, true);
    }

    /**
     * Loads the snapshot; with {@code shard} >= 0 checks it first over the same mapping (null when it does not
     * hold, nothing loaded), with -1 trusts a file {@link #verify} accepted.
     */
    private static Loaded load(Path file, int shard, ShardState state, Supplier<VelocityWindows> velocityTable,
            boolean mapChunks) throws IOException {
        long size = Files.size(file);
        boolean check = shard >= 0;
        if (size >= Integer.MAX_VALUE) {
            Header h = check ? verify(file) : header(file);
            if (h == null || (check && h.shard() != shard)) {
                return null;
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                return new Loaded(h, read(new DataInputStream(in), null, state, velocityTable));
            }
        }
        if (check && size < HEADER + Integer.BYTES) {
            return null;
        }
        // mapped and read through an unsynchronised stream: BufferedInputStream takes a lock for every field
        // DataInputStream reads (tens of millions in a snapshot of 1 M borrowers). Opened for writing too (nothing
        // is written) because Java maps a file privately only through a channel that may write; where it cannot
        // be (a read-only file system, a file of someone else's) the records' chunks are copied instead.
        FileChannel channel;
        boolean mapsChunks = mapChunks;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | UnsupportedOperationException e) {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            mapsChunks = false;
        }
        try (FileChannel open = channel) {
            MappedByteBuffer mapped = open.map(FileChannel.MapMode.READ_ONLY, 0, size);
            try {
                Header h = check ? checked(mapped, (int) size)
                        : checkedHeader(mapped.duplicate().position(0).limit((int) Math.min(size, HEADER_PLACED)));
                if (h == null && !check) {
                    throw new IOException(file.getFileName() + " is not a snapshot this build reads");
                }
                if (h == null || (check && h.shard() != shard)) {
                    return null;
                }
                MappedInput input = new MappedInput(new UnsafeBuffer(mapped), mapsChunks ? open : null);
                return new Loaded(h, read(new DataInputStream(input), input, state, velocityTable));
            } finally {
                IoUtil.unmap(mapped);
            }
        }
    }

    /**
     * The header of the mapped file when the CRC32C of everything before its last 4 bytes is the checksum they
     * hold, else null. The checksum is taken over the mapping itself: the pages it faults in are the ones the load
     * then reads, and nothing is copied.
     */
    private static Header checked(MappedByteBuffer mapped, int size) {
        CRC32C crc = new CRC32C();
        crc.update(mapped.duplicate().position(0).limit(size - Integer.BYTES));
        if ((int) crc.getValue() != mapped.getInt(size - Integer.BYTES)) {
            return null;
        }
        return checkedHeader(mapped.duplicate().position(0).limit(Math.min(size - Integer.BYTES, HEADER_PLACED)));
    }

    /**
     * Reads the snapshot from {@code in}; {@code mapped} is the same file mapped with its position (null when it
     * is read as a stream): then the records' whole chunks are mapped instead of copied (format 5).
     */
    private static QuotaTally read(DataInputStream in, MappedInput mapped, ShardState state,
            Supplier<VelocityWindows> velocityTable) throws IOException {
        in.readInt();
        int format = in.readInt();
        in.readInt();
        in.readLong();
        long timeMs = in.readLong();
        if (format >= FORMAT_PLACED) {
            in.readInt(); // the placement: the header's business (verify), not the stores'
            in.readLong();
        }
        LedgerSnapshot line = new LedgerSnapshot();
        for (long n = in.readLong(); n > 0; n--) {
            String b = in.readUTF();
            int p = in.readByte();
            line.set(in.readLong(), in.readLong(), in.readLong(), in.readBoolean(), in.readByte(), in.readLong(),
                    in.readLong());
            state.ledger().restore(b, p, line);
        }
        HoldSnapshot hold = new HoldSnapshot();
        for (long n = in.readLong(); n > 0; n--) {
            long id = in.readLong();
            hold.reset().borrowerId(in.readUTF()).product(in.readByte()).amountMinor(in.readLong())
                    .createdMs(in.readLong()).expiresMs(in.readLong()).state(in.readByte())
                    .requestIdHash(in.readLong());
            for (int i = in.readByte(); i > 0; i--) {
                hold.addFunding(in.readInt(), in.readLong());
            }
            state.holds().put(id, hold);
        }
        DecisionRecords records = state.decisions();
        records.restoreGenerations(in.readLong(), in.readLong());
        byte[] copy = new byte[1 << 16];
        for (boolean previous : new boolean[] {true, false}) {
            long count = in.readLong();
            if (format >= FORMAT) {
                readChunks(in, mapped, records, previous, count);
                continue;
            }
            for (long n = format >= FORMAT_RAW_RECORDS ? count : 0; n > 0; n--) {
                int length = in.readInt();
                if (length < 0 || length > DecisionRecords.MAX_RECORD_BYTES) {
                    throw new IOException("snapshot: an idempotency record of " + length + " bytes");
                }
                if (length > copy.length) {
                    copy = new byte[length];
                }
                in.readFully(copy, 0, length);
                try {
                    records.restoreRaw(previous, copy, length);
                } catch (IllegalArgumentException e) {
                    throw new IOException("snapshot: " + e.getMessage(), e);
                }
            }
            for (long n = format >= FORMAT_RAW_RECORDS ? 0 : count; n > 0; n--) { // formats 1, 2: field by field
                String k = in.readUTF();
                byte kind = in.readByte();
                long created = in.readLong();
                long fingerprint = in.readLong();
                byte[] payload = new byte[in.readInt()];
                in.readFully(payload);
                records.restore(previous, k, kind, created, fingerprint, payload);
            }
        }
        for (BorrowerDocuments store : new BorrowerDocuments[] {state.profiles(), state.lineNotes()}) {
            for (long n = in.readLong(); n > 0; n--) {
                String b = in.readUTF();
                byte[] bytes = new byte[in.readInt()];
                in.readFully(bytes);
                store.put(b, bytes);
            }
        }
        if (format >= 2) {
            for (long n = in.readLong(); n > 0; n--) {
                String k = in.readUTF();
                byte[] bytes = new byte[in.readInt()];
                in.readFully(bytes);
                state.exposures().restore(k, new org.agrona.concurrent.UnsafeBuffer(bytes), 0, bytes.length);
            }
        }
        BorrowerActivity.Reading reading = new BorrowerActivity.Reading();
        for (long n = in.readLong(); n > 0; n--) {
            String b = in.readUTF();
            state.activity().restore(b, reading.readFrom(in));
        }
        QuotaTally tally = new QuotaTally().readFrom(in);
        long[] words = new long[VelocityWindows.SLOT_WORDS];
        VelocityWindows velocity = velocityTable.get();
        for (long n = in.readLong(); n > 0; n--) {
            long hash = in.readLong();
            for (int i = 0; i < words.length; i++) {
                words[i] = in.readLong();
            }
            if (velocity != null) {
                velocity.merge(hash, words, timeMs);
            }
        }
        return tally;
    }

    /**
     * One generation's records as {@link #writeChunks} wrote them: each whole chunk but the last mapped privately
     * from the file and taken by the store as it lies (no copy, no fresh memory: the page cache's pages), the last
     * copied into a fresh chunk that the next records go to. Read as a stream (no {@code mapped}), or where the file
     * could not be opened for a private mapping, every chunk is copied.
     */
    private static void readChunks(DataInputStream in, MappedInput mapped, DecisionRecords records, boolean previous,
            long count) throws IOException {
        int chunks = in.readInt();
        int last = in.readInt();
        int padding = in.readInt();
        int full = DecisionRecords.CHUNK_BYTES;
        if (chunks < 0 || (chunks == 0) != (last == 0) || last < 0 || last > full || padding < 0
                || padding >= CHUNK_ALIGNMENT || count < chunks) {
            throw new IOException("snapshot: idempotency records in " + chunks + " chunks, the last of " + last
                    + " bytes, after " + padding + " bytes of padding");
        }
        in.skipNBytes(padding);
        byte[] block = null;
        try {
            for (int c = 0; c < chunks; c++) {
                int used = c < chunks - 1 ? full : last;
                if (mapped != null && mapped.remaining() < used) {
                    throw new IOException("snapshot: a chunk of idempotency records past the file's end");
                }
                if (mapped != null && mapped.channel != null && c < chunks - 1) {
                    records.adoptChunk(previous, mapped.channel.map(FileChannel.MapMode.PRIVATE, mapped.position,
                            full));
                    in.skipNBytes(full);
                } else if (mapped != null) {
                    records.restoreChunk(previous, mapped.buffer, mapped.position, used);
                    in.skipNBytes(used);
                } else {
                    block = block == null ? new byte[full] : block;
                    in.readFully(block, 0, used);
                    records.restoreChunk(previous, new UnsafeBuffer(block), 0, used);
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("snapshot: " + e.getMessage(), e);
        }
        if (records.size(previous) != count) {
            throw new IOException("snapshot: " + records.size(previous) + " idempotency records in its chunks, "
                    + count + " in its count");
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void io(IOException[] failure, IoAction action) {
        if (failure[0] != null) {
            return;
        }
        try {
            action.run();
        } catch (IOException e) {
            failure[0] = e;
        }
    }
}
