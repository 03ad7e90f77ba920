package dev.formica.engine.replication;

import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogFormat;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedInputStream;

/**
 * Reads the entries of one Ratis log segment file from a byte offset on, so that a follow-up read of the open
 * segment starts where the last whole entry ended instead of at the file's start. Ratis's public reader
 * ({@code LogSegment.readSegmentFile}) reads a whole file from its header, and its seekable reader
 * ({@code SegmentedRaftLogInputStream}) is package-private; so this reads Ratis's segment format itself, the one
 * its {@code SegmentedRaftLogReader} and {@code LogSegment}'s record offsets use: the header
 * ({@link SegmentedRaftLogFormat}), then per entry a varint32 length, the {@link LogEntryProto} and a 4-byte CRC-32C
 * of both; zero bytes (the preallocated, unwritten rest of an open segment) end the entries. RaftLogFramesTest checks
 * that it reads what Ratis's reader reads on files a real replica wrote.
 *
 * <p>What ends a read: in an <b>open</b> segment, the end of what is written (end of file, zero padding) and a
 * torn entry (cut short, or its checksum not matching yet: the writer is still at it, or a crash cut it) end it
 * quietly, and a later read from the returned offset takes the entry whole. In a <b>closed</b> segment a torn or
 * damaged entry is damage, not a tail: {@link IOException}.
 *
 * <p>Thread contract: stateless; one call reads one file on the calling thread.
 */
final class SegmentReader {
    /** Where the first entry starts: after Ratis's header. */
    static final int FIRST_ENTRY = SegmentedRaftLogFormat.getHeaderLength();
    private static final int READ_BUFFER = 64 << 10;

    /** What a read hands each whole entry to. */
    @FunctionalInterface
    interface Entries {
        /**
         * @param start the entry's offset in the file
         * @param end the offset after it (where the next entry starts)
         * @return whether to go on
         */
        boolean entry(LogEntryProto entry, long start, long end);
    }

    private SegmentReader() {
    }

    /**
     * Hands the whole entries of {@code file} from offset {@code from} on ({@code 0} or {@link #FIRST_ENTRY}: from
     * the first) to {@code to}, until the end of what is written or until it says stop.
     *
     * @param open whether the file is the open segment, whose tail may be torn
     * @param maxEntry the largest entry to accept (Ratis's {@code maxOpSize})
     * @return the offset after the last entry handed over, or {@code from} when none was
     */
    static long read(Path file, long from, boolean open, int maxEntry, Entries to) throws IOException {
        InputStream raw;
        try {
            raw = new FileInputStream(file.toFile());
        } catch (FileNotFoundException e) {
            if (Files.notExists(file)) {
                throw new NoSuchFileException(file.toString()); // renamed or purged since it was listed
            }
            throw e;
        }
        // a stream, not a FileChannel: an interrupt (a follow ended by its caller) must not close the file under it
        try (raw) {
            long at = from < FIRST_ENTRY ? 0 : from;
            raw.skipNBytes(at);
            InputStream in = new BufferedInputStream(raw, READ_BUFFER);
            if (at == 0) {
                if (!header(in, open)) {
                    return from; // an open segment whose header is not written yet
                }
                at = FIRST_ENTRY;
            }
            byte[] entry = new byte[0];
            CRC32C crc = new CRC32C();
            byte[] varint = new byte[5];
            while (true) {
                int first = in.read();
                if (first <= 0) {
                    return at; // the end of the file or of what is written (zero padding): a boundary, not a tear
                }
                int varintLength = 0;
                int length = 0;
                for (int b = first; ; b = in.read()) {
                    if (b < 0) {
                        return torn(file, at, open, "its length cut short");
                    }
                    varint[varintLength] = (byte) b;
                    length |= (b & 0x7F) << (7 * varintLength++);
                    if ((b & 0x80) == 0) {
                        break;
                    }
                    if (varintLength == varint.length) {
                        return torn(file, at, open, "no valid length");
                    }
                }
                if (length < 0 || length > maxEntry) {
                    return torn(file, at, open, "a length of " + length + " bytes, more than " + maxEntry);
                }
                if (entry.length < length + 4) {
                    entry = new byte[Math.max(length + 4, Math.min(2 * entry.length, maxEntry + 4))];
                }
                if (in.readNBytes(entry, 0, length + 4) < length + 4) {
                    return torn(file, at, open, "cut short");
                }
                crc.reset();
                crc.update(varint, 0, varintLength);
                crc.update(entry, 0, length);
                int stored = ((entry[length] & 0xFF) << 24) | ((entry[length + 1] & 0xFF) << 16)
                        | ((entry[length + 2] & 0xFF) << 8) | (entry[length + 3] & 0xFF);
                if ((int) crc.getValue() != stored) {
                    return torn(file, at, open, "a checksum that does not match");
                }
                long end = at + varintLength + length + 4;
                if (!to.entry(LogEntryProto.parseFrom(CodedInputStream.newInstance(entry, 0, length)), at, end)) {
                    return end;
                }
                at = end;
            }
        }
    }

    /** Whether the header is whole and right; false while an open segment's is not written yet; else damage. */
    private static boolean header(InputStream in, boolean open) throws IOException {
        byte[] header = in.readNBytes(FIRST_ENTRY);
        int matched = SegmentedRaftLogFormat.matchHeader(header, 0, header.length);
        if (matched == FIRST_ENTRY) {
            return true;
        }
        if (open && SegmentedRaftLogFormat.isTerminator(header, matched, header.length - matched)) {
            return false;
        }
        throw new IOException("not a Ratis log segment: its header does not match");
    }

    private static long torn(Path file, long at, boolean open, String why) throws IOException {
        if (open) {
            return at; // the open segment's tail: read whole next time
        }
        throw new IOException("the entry at offset " + at + " of the closed segment " + file.getFileName() + " has "
                + why);
    }
}
