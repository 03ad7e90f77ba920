package dev.formica.engine.replication;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.FrameLog;
import dev.formica.engine.log.LogFrames;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedOutputStream;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RaftLogFrames} on the segment files a real Ratis replica wrote (one replica on 127.0.0.1:22600, or
 * {@code -Dformica.repljournal.port=P}; 4 KiB segments, as the snapshot tests use, so 100 frames fill several):
 * every frame in position order, a read that resumes where the last ended (inside the open segment, at the offset
 * after the last whole entry, and on after Ratis closed it), beside the live server and after it stopped; a torn
 * tail ends the read at the last whole entry and the next read takes it whole, damage in a closed segment fails it;
 * a purged segment leaves the frames after it and a note saying where the log starts; the segment format read as
 * Ratis's own reader reads it.
 */
class RaftLogFramesTest {
    private static final int PORT = Integer.getInteger("formica.repljournal.port", 22600);
    private static final UUID ID = UUID.fromString("0f0f0f0f-0000-4000-8000-000000002260");
    private static final int FRAMES = 100;

    @TempDir
    Path dir;

    private final ShardGroup group = new ShardGroup(ID, List.of("127.0.0.1:" + PORT));
    private RaftServer replica;
    private RatisShardLog log;

    /** One frame as a read handed it over. */
    private record Frame(long position, long timeMs, String payload) {
    }

    @BeforeEach
    void start() throws IOException {
        replica = group.startReplica(0, dir, (position, timeMs, payload, offset, length) -> { }, false,
                p -> RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(4096)));
        log = group.log(0);
    }

    @AfterEach
    void stop() throws IOException {
        if (log != null) {
            log.close();
        }
        if (replica != null) {
            replica.close();
        }
    }

    private Path groupDir() {
        return dir.resolve(ID.toString());
    }

    private static String payload(int i) {
        return "frame " + i + " " + "x".repeat(100 + i % 7);
    }

    /** Appends frames {@code from..to-1}, each its own Ratis entry (committed before the next is appended). */
    private void append(int from, int to) {
        for (int i = from; i < to; i++) {
            byte[] bytes = payload(i).getBytes(StandardCharsets.UTF_8);
            long end = log.append(1_000L + i, new UnsafeBuffer(bytes), 0, bytes.length);
            log.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> log.durablePosition() >= end);
        }
    }

    private static long endOf(int frames) {
        long end = 0;
        for (int i = 0; i < frames; i++) {
            end += LogFrames.frameLength(payload(i).getBytes(StandardCharsets.UTF_8).length);
        }
        return end;
    }

    /** Reads from {@code from}, at most {@code max} frames, into {@code into}; returns the position after them. */
    private static long read(FrameLog frames, long from, int max, List<Frame> into) throws IOException {
        int[] taken = {0};
        return frames.read(from, (position, timeMs, payload, offset, length) -> {
            into.add(new Frame(position, timeMs, payload.getStringWithoutLengthUtf8(offset, length)));
            return ++taken[0] < max;
        });
    }

    /** Frames {@code from..to-1} as the leader appended them, at the positions the local shard log gives them. */
    private static List<Frame> expected(int from, int to) {
        List<Frame> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(new Frame(endOf(i), 1_000L + i, payload(i)));
        }
        return out;
    }

    private List<RaftLogFrames.Segment> segments() throws IOException {
        return RaftLogFrames.segments(groupDir().resolve("current"));
    }

    @Test
    void readsEveryFrameInOrderBesideTheLiveServerAndResumesWhereItEnded() throws IOException {
        append(0, FRAMES);
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 7);
        List<Frame> read = new ArrayList<>();
        long first = read(frames, 0, 15, read);
        assertEquals(expected(0, 15), read, "the first 15 frames, then the read stops");
        assertEquals(endOf(15), first);
        long rest = read(frames, first, Integer.MAX_VALUE, read);
        assertEquals(expected(0, FRAMES), read, "the rest, none twice");
        assertEquals(endOf(FRAMES), rest);
        assertTrue(segments().size() > 2, "several segments: " + segments());

        append(FRAMES, FRAMES + 5);
        List<Frame> later = new ArrayList<>();
        assertEquals(endOf(FRAMES + 5), read(frames, rest, Integer.MAX_VALUE, later));
        assertEquals(expected(FRAMES, FRAMES + 5), later, "only what was appended since");
        assertEquals(7, frames.shard());
        assertNull(frames.note(), "nothing purged");

        replica.close();
        replica = null;
        List<Frame> stopped = new ArrayList<>();
        read(RaftLogFrames.of(groupDir(), 7), 0, Integer.MAX_VALUE, stopped);
        assertEquals(expected(0, FRAMES + 5), stopped, "the same frames without a running server");
    }

    @Test
    void aTornTailEndsTheReadAtTheLastWholeEntryAndTheNextReadTakesItWhole() throws IOException {
        append(0, FRAMES);
        replica.close();
        replica = null;
        RaftLogFrames.Segment last = segments().get(segments().size() - 1);
        Path file = last.path();
        if (!last.open()) { // a crash leaves the last segment open: make it so
            file = file.resolveSibling("log_inprogress_" + last.start());
            Files.move(last.path(), file);
        }
        byte[] whole = Files.readAllBytes(file);
        long[] ends = entryEnds(file);
        long lastStart = ends[ends.length - 2];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(lastStart + (ends[ends.length - 1] - lastStart) / 2); // half of the last entry written
        }
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 0);
        List<Frame> read = new ArrayList<>();
        long at = read(frames, 0, Integer.MAX_VALUE, read);
        assertEquals(endOf(FRAMES - 1), at);
        assertEquals(expected(0, FRAMES - 1), read, "every whole entry, not the torn one");
        Files.write(file, whole); // the writer finishes the entry
        List<Frame> rest = new ArrayList<>();
        assertEquals(endOf(FRAMES), read(frames, at, Integer.MAX_VALUE, rest));
        assertEquals(expected(FRAMES - 1, FRAMES), rest, "the torn entry, whole and once");
    }

    /**
     * The open segment Ratis's log worker has just created holds nothing yet: a read must leave it in place. Ratis's
     * own listing deleted it, and on a live node the worker then failed and Ratis shut the group down on the node
     * (docs/cluster.md, "The audit trail": a {@code journal tail --follow} stopped a group of one for good).
     */
    @Test
    void anEmptyOpenSegmentIsLeftInPlaceAndReadAsHoldingNothingYet() throws IOException {
        append(0, FRAMES);
        replica.close();
        replica = null;
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 0);
        long at = read(frames, 0, Integer.MAX_VALUE, new ArrayList<>());
        RaftLogFrames.Segment last = segments().get(segments().size() - 1);
        Path created = groupDir().resolve("current").resolve("log_inprogress_" + (last.start() + 1_000));
        Files.createFile(created); // what the worker's StartLogSegment creates before it writes the header
        List<Frame> later = new ArrayList<>();
        assertEquals(at, read(frames, at, Integer.MAX_VALUE, later), "nothing in it yet");
        assertEquals(List.of(), later);
        List<Frame> fresh = new ArrayList<>();
        assertEquals(endOf(FRAMES), read(RaftLogFrames.of(groupDir(), 0), 0, Integer.MAX_VALUE, fresh));
        assertEquals(expected(0, FRAMES), fresh, "every frame, the empty segment adding none");
        assertTrue(Files.exists(created), "the reader deleted the worker's new open segment");
        assertEquals(0, Files.size(created));
    }

    /** A follow-up read whose open segment is now shorter than where it ended (truncated, begun again) re-reads it. */
    @Test
    void aFollowUpReadIntoAnOpenSegmentBegunAgainReadsItFromItsStart() throws IOException {
        append(0, FRAMES);
        replica.close();
        replica = null;
        RaftLogFrames.Segment last = segments().get(segments().size() - 1);
        Path file = last.path();
        if (!last.open()) { // the read must end inside an open segment
            file = file.resolveSibling("log_inprogress_" + last.start());
            Files.move(last.path(), file);
        }
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 0);
        long at = read(frames, 0, Integer.MAX_VALUE, new ArrayList<>());
        byte[] whole = Files.readAllBytes(file);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(0); // truncated and created again, nothing written yet
        }
        List<Frame> later = new ArrayList<>();
        assertEquals(at, read(frames, at, Integer.MAX_VALUE, later), "nothing to read, and no failure");
        assertEquals(List.of(), later);
        assertTrue(Files.exists(file));
        Files.write(file, whole); // the same entries written again: skipped by position
        assertEquals(at, read(frames, at, Integer.MAX_VALUE, later));
        assertEquals(List.of(), later, "no frame twice");
    }

    @Test
    void damageInAClosedSegmentFailsTheRead() throws IOException {
        append(0, FRAMES);
        replica.close();
        replica = null;
        RaftLogFrames.Segment closed = segments().stream().filter(s -> !s.open()).findFirst().orElseThrow();
        long[] ends = entryEnds(closed.path());
        flip(closed.path(), ends[ends.length / 2] - 1); // the checksum of an entry in the middle
        IOException e = assertThrows(IOException.class,
                () -> read(RaftLogFrames.of(groupDir(), 0), 0, Integer.MAX_VALUE, new ArrayList<>()));
        assertTrue(e.getMessage().contains(closed.path().getFileName().toString()), e.getMessage());
    }

    @Test
    void aPurgedSegmentLeavesTheFramesAfterItAndSaysWhereTheLogStarts() throws IOException {
        append(0, FRAMES);
        replica.close();
        replica = null;
        RaftLogFrames.Segment purged = segments().get(0);
        assertTrue(!purged.open());
        long nextIndex = purged.end() + 1;
        int framesPurged = 0;
        for (LogEntryProto e : entries(purged.path())) {
            framesPurged += e.hasStateMachineLogEntry() ? 1 : 0;
        }
        Files.delete(purged.path()); // what Ratis's purge does behind a snapshot
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 2);
        List<Frame> read = new ArrayList<>();
        assertEquals(endOf(FRAMES), read(frames, 0, Integer.MAX_VALUE, read));
        assertTrue(framesPurged > 0, "the purged segment held frames");
        assertEquals(expected(framesPurged, FRAMES), read, "the frames after the purged segment, at their positions");
        assertEquals("group 2: the Raft log on this node starts at index " + nextIndex + "; the audit records of"
                + " earlier entries were purged behind the group's snapshots", frames.note());
    }

    @Test
    void aFollowUpReadStartsInsideTheOpenSegmentWhereTheLastWholeEntryEnded() throws IOException {
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 0);
        int appended = 0;
        long at = 0;
        RaftLogFrames.Segment open;
        do { // until entries that were read are in the open segment
            append(appended, ++appended);
            at = read(frames, at, Integer.MAX_VALUE, new ArrayList<>());
            open = segments().get(segments().size() - 1);
        } while (!open.open() || entryEnds(open.path()).length < 2);
        long[] ends = entryEnds(open.path());
        flip(open.path(), ends[1] - 1); // the checksum of its first entry, read already: a read from the start fails
        append(appended, appended + 3);
        List<Frame> later = new ArrayList<>();
        assertEquals(endOf(appended + 3), read(frames, at, Integer.MAX_VALUE, later));
        assertEquals(expected(appended, appended + 3), later, "only the entries after the last read, from its offset");
    }

    @Test
    void followsFrameByFrameWhileRatisClosesSegmentsAndOpensTheNext() throws IOException {
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 0);
        long at = 0;
        Set<Long> openSegments = new TreeSet<>();
        for (int i = 0; i < 60; i++) {
            append(i, i + 1);
            List<Frame> read = new ArrayList<>();
            at = read(frames, at, Integer.MAX_VALUE, read);
            assertEquals(expected(i, i + 1), read, "frame " + i + " once, as it came");
            assertEquals(endOf(i + 1), at);
            segments().stream().filter(RaftLogFrames.Segment::open).forEach(s -> openSegments.add(s.start()));
        }
        assertTrue(openSegments.size() > 2, "followed through several segments: " + openSegments);
        assertTrue(segments().stream().filter(s -> !s.open()).anyMatch(s -> openSegments.contains(s.start())),
                "a segment read while open was read on after Ratis closed it: " + segments());
    }

    @Test
    void aSegmentPurgedWhileFollowingIsSkippedWithTheNote() throws IOException {
        append(0, FRAMES);
        RaftLogFrames frames = RaftLogFrames.of(groupDir(), 3);
        long at = read(frames, 0, Integer.MAX_VALUE, new ArrayList<>());
        RaftLogFrames.Segment purged = segments().get(0);
        Files.delete(purged.path());
        append(FRAMES, FRAMES + 3);
        List<Frame> later = new ArrayList<>();
        assertEquals(endOf(FRAMES + 3), read(frames, at, Integer.MAX_VALUE, later));
        assertEquals(expected(FRAMES, FRAMES + 3), later);
        assertEquals("group 3: the Raft log on this node starts at index " + (purged.end() + 1) + "; the audit records"
                + " of earlier entries were purged behind the group's snapshots", frames.note());
    }

    @Test
    void readsWhatRatissOwnReaderReadsAtTheOffsetsRatisGivesThem() throws IOException {
        append(0, FRAMES);
        for (RaftLogFrames.Segment segment : segments()) {
            List<LogEntryProto> read = new ArrayList<>();
            List<Long> ends = new ArrayList<>();
            long end = SegmentReader.read(segment.path(), 0, segment.open(), 1 << 20, (e, from, to) -> {
                read.add(e);
                ends.add(to);
                return true;
            });
            assertEquals(entries(segment.path()), read, segment.path().toString());
            long[] expectedEnds = entryEnds(segment.path());
            for (int i = 0; i < ends.size(); i++) {
                assertEquals(expectedEnds[i + 1], ends.get(i), "the end of entry " + i + " of " + segment.path());
            }
            assertEquals(expectedEnds[expectedEnds.length - 1], end);
        }
    }

    private static void flip(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0xFF);
        }
    }

    private static List<LogEntryProto> entries(Path segment) throws IOException {
        List<LogEntryProto> entries = new ArrayList<>();
        LogSegment.readSegmentFile(segment.toFile(), LogSegmentPath.matchLogSegment(segment).getStartEnd(),
                SizeInBytes.valueOf(1 << 20), CorruptionPolicy.EXCEPTION, null, entries::add);
        return entries;
    }

    /** The file offsets where each entry of a segment ends, after the header (varint size, entry, 4-byte CRC). */
    private static long[] entryEnds(Path segment) throws IOException {
        List<LogEntryProto> entries = entries(segment);
        long[] ends = new long[entries.size() + 1];
        ends[0] = "RaftLog1".length();
        for (int i = 0; i < entries.size(); i++) {
            int size = entries.get(i).getSerializedSize();
            ends[i + 1] = ends[i] + CodedOutputStream.computeUInt32SizeNoTag(size) + size + 4;
        }
        return ends;
    }
}
