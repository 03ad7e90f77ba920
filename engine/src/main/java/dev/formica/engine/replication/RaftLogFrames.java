package dev.formica.engine.replication;

import dev.formica.engine.log.FrameLog;
import dev.formica.engine.log.LogFrames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;

/**
 * A replicated group's shard log as this node's Ratis log holds it, read from its segment files in Ratis's segment
 * format ({@link SegmentReader}), read-only and without a running server: what
 * {@code formica journal}, backtests and stress runs read on a replicated node, which writes no local shard log.
 * Every replica of a group holds the same entries, so any node's copy is the group's audit trail.
 *
 * <p>The frames are the group's {@link FrameBatch} entries, at the shard-log positions the leader gave them;
 * placement and Ratis's own entries (configuration, a leader's start) carry none. What the files hold:
 * <ul>
 *   <li><b>Purged entries</b> are gone: Ratis deletes whole closed segments behind the group's snapshots
 *       (docs/cluster.md, "Snapshots"), so the log starts at a later Raft index and {@link #note} says which.</li>
 *   <li><b>A torn tail</b> (an entry half written in the open segment, by a crash or by the live server
 *       while this reads) ends the read; a later read takes the entry whole. Damage in a closed segment fails the
 *       read ({@link IOException} naming the file): it is not a tail.</li>
 *   <li><b>The uncommitted tail</b>: a replica's log may end with entries not committed yet (at most what its
 *       leader has in flight); Raft may replace them, and a read that met them does not take them back.</li>
 * </ul>
 *
 * <p>A follow-up read ({@code journal tail --follow} polls) goes on where the last one ended: it skips the closed
 * segments already read and starts inside the segment it ended in, at the offset after the last whole entry, found
 * by the segment's start index, so also after Ratis closed it (renamed {@code log_inprogress_S} to {@code log_S-E})
 * and opened the next. Before, every poll read the open segment from its start (up to
 * {@code clusterLogSegmentBytes} per group; docs/cluster.md, "The audit trail", has the CPU before and after). If
 * the entry found there is not the one expected (Ratis truncated the segment and wrote it again), the segment is
 * read from its start, skipping by index and position.
 *
 * <p><b>Read-only, beside a live server.</b> It changes nothing in the directory, not even an empty open segment:
 * Ratis's own listing ({@code LogSegmentPath.matchLogSegment}) deletes one, as its recovery at start should, but on a
 * live node the empty open segment is the one the log worker has just created and not yet written. Deleted before
 * the worker checks that it exists, the worker fails and Ratis shuts the group's division down on this node (a
 * group of one stops serving for good: {@code journal tail --follow} beside a loaded node did that); deleted after,
 * the worker would write the group's next entries into a file no directory names (docs/cluster.md, "The audit trail").
 * An empty open segment is listed and read as holding nothing yet.
 *
 * <p>Thread contract: one reading thread per instance (it holds where the last read ended).
 */
public final class RaftLogFrames implements FrameLog {
    /** Larger than any entry the shards write ({@link RatisShardLog#MAX_BATCH_BYTES} plus one largest frame). */
    private static final int MAX_ENTRY = 64 << 20;
    /** Group numbers tried when naming a group directory by its id ({@link GroupLayout#groupId}). */
    private static final int MAX_GROUPS = 4096;
    /** Ratis's segment file names (its {@code LogSegmentStartEnd} patterns). */
    private static final Pattern CLOSED = Pattern.compile("log_(\\d+)-(\\d+)");
    private static final Pattern OPEN = Pattern.compile("log_inprogress_(\\d+)(?:\\..*)?");
    /** Listings a read makes when files keep being renamed or purged under it before it gives up. */
    private static final int MAX_PASSES = 100;

    private final Path current;
    private final int group;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);

    /** The Raft index the next read starts at, valid while reads go on from {@link #resumePosition}. */
    private long resumeIndex;
    /** The segment (by start index) and the offset in it where entry {@link #resumeIndex} starts; -1: unknown. */
    private long resumeSegment = -1;
    private long resumeOffset;
    private long resumePosition = -1;
    private long firstIndex = -1;
    // the read in progress (one thread)
    private Frames frames;
    private long position;
    private boolean stop;
    private long segmentStart;
    private long expectedIndex;
    /** The offset a read resumed at in the segment being read, or -1. */
    private long resumedFrom;

    private RaftLogFrames(Path groupDir, int group) {
        this.current = groupDir.resolve("current");
        this.group = group;
    }

    /** The group log in Ratis storage directory {@code groupDir} ({@code <data-dir>/raft/<group id>}). */
    public static RaftLogFrames of(Path groupDir, int group) {
        return new RaftLogFrames(groupDir, group);
    }

    /**
     * The group logs under {@code dir}, by group number: a replicated node's data directory (its {@code raft/}),
     * that {@code raft/} directory, or one group's directory. Empty when there is none (a single node's data
     * directory).
     */
    public static List<FrameLog> under(Path dir) throws IOException {
        if (Files.isDirectory(dir.resolve("current"))) {
            return List.of(of(dir, groupNumber(dir)));
        }
        Path raft = Files.isDirectory(dir.resolve("raft")) ? dir.resolve("raft") : dir;
        if (!Files.isDirectory(raft)) {
            return List.of();
        }
        List<RaftLogFrames> logs = new ArrayList<>();
        try (Stream<Path> children = Files.list(raft)) {
            for (Path child : children.toList()) {
                if (Files.isDirectory(child.resolve("current")) && groupNumber(child) >= 0) {
                    logs.add(of(child, groupNumber(child)));
                }
            }
        }
        logs.sort(Comparator.comparingInt(RaftLogFrames::shard));
        return List.copyOf(logs);
    }

    /** The group number whose Raft id names {@code groupDir}, or -1 (not a Formica group's directory). */
    static int groupNumber(Path groupDir) {
        UUID id;
        try {
            id = UUID.fromString(String.valueOf(groupDir.getFileName()));
        } catch (IllegalArgumentException e) {
            return -1;
        }
        for (int g = 0; g < MAX_GROUPS; g++) {
            if (GroupLayout.groupId(g).getUuid().equals(id)) {
                return g;
            }
        }
        return -1;
    }

    @Override
    public long read(long from, Frames to) throws IOException {
        if (from != resumePosition) {
            resumeIndex = 0; // not where the last read ended: from the log's start, skipping by position
            resumeSegment = -1;
        }
        frames = to;
        position = from;
        stop = false;
        try {
            // a segment listed and then renamed (Ratis closed it) or deleted (purged) ends a pass: list again
            for (int pass = 0; readSegments(segments(current)) && !stop; pass++) {
                if (pass == MAX_PASSES) {
                    throw new IOException("the Raft log " + current + " kept changing under the read");
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IOException("the Raft log " + current + " holds an entry this build cannot read: "
                    + e.getMessage(), e);
        } finally {
            frames = null;
        }
        resumePosition = position;
        return position;
    }

    /**
     * Reads the listed segments from where the last read ended: closed segments read whole are skipped, and the
     * segment that read ended in is read from that entry's offset on.
     *
     * @return whether a listed file was gone (renamed or purged since the listing)
     */
    private boolean readSegments(List<Segment> segments) throws IOException {
        firstIndex = segments.isEmpty() ? -1 : segments.get(0).start();
        for (Segment segment : segments) {
            if (stop) {
                return false;
            }
            if (!segment.open() && segment.end() < resumeIndex) {
                continue;
            }
            try {
                readSegment(segment);
            } catch (NoSuchFileException e) {
                return true;
            }
        }
        return false;
    }

    private void readSegment(Segment segment) throws IOException {
        segmentStart = segment.start();
        // shorter than where the last read ended: Ratis truncated it and began it again (now also while still empty)
        boolean resume = segment.start() == resumeSegment && Files.size(segment.path()) >= resumeOffset;
        resumedFrom = resume ? resumeOffset : -1;
        expectedIndex = resume ? resumeIndex : segment.start();
        try {
            try {
                SegmentReader.read(segment.path(), resume ? resumeOffset : 0, segment.open(), MAX_ENTRY, this::entry);
            } catch (ResumeMismatch e) {
                // Ratis truncated the segment since the last read (a new leader replaced entries not committed):
                // read it from its start, skipping by index and position as before
                resumedFrom = -1;
                expectedIndex = segment.start();
                SegmentReader.read(segment.path(), 0, segment.open(), MAX_ENTRY, this::entry);
            }
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | UncheckedIOException e) {
            throw new IOException("cannot read the Raft log segment " + segment.path() + ": " + e.getMessage(), e);
        }
        if (!segment.open() && !stop && expectedIndex != segment.end() + 1) {
            throw new IOException("cannot read the Raft log segment " + segment.path() + ": its entries end at index "
                    + (expectedIndex - 1) + ", its name says " + segment.end());
        }
    }

    private boolean entry(LogEntryProto entry, long start, long end) {
        long index = entry.getIndex();
        if (index != expectedIndex) {
            if (start == resumedFrom) {
                throw new ResumeMismatch();
            }
            throw new UncheckedIOException(new IOException("entry " + index + " at offset " + start + " where entry "
                    + expectedIndex + " belongs"));
        }
        expectedIndex = index + 1;
        if (index < resumeIndex) {
            if (index + 1 == resumeIndex) {
                remember(end, resumeIndex); // skipped up to where the last read ended: resume after this one
            }
            return true;
        }
        if (entry.hasStateMachineLogEntry()) {
            FrameStateMachine.wrap(view, entry);
            if (Placement.nodeOf(view) < 0) {
                try {
                    FrameBatch.read(view, null);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("entry " + index + ": " + e.getMessage(), e);
                }
                FrameBatch.read(view, this::frame);
            }
        }
        // stopped inside an entry: read it again from its start, skipping by position
        remember(stop ? start : end, stop ? index : index + 1);
        return !stop;
    }

    private void remember(long offset, long index) {
        resumeSegment = segmentStart;
        resumeOffset = offset;
        resumeIndex = index;
    }

    private void frame(long at, long timeMs, DirectBuffer payload, int offset, int length) {
        if (stop || at < position) {
            return; // handed over by an earlier read
        }
        position = at + LogFrames.frameLength(length);
        stop = !frames.frame(at, timeMs, payload, offset, length);
    }

    /**
     * One segment file and its span read from the name, {@code log_S-E} (closed) or {@code log_inprogress_S} (open;
     * end -1), since Ratis keeps its span's getters to itself.
     */
    record Segment(Path path, long start, long end, boolean open) {
    }

    /** The entry where the last read ended is not where it was: the segment was truncated and written again. */
    private static final class ResumeMismatch extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ResumeMismatch() {
            super(null, null, false, false);
        }
    }

    /** The segment files in a Ratis log directory ({@code current/}), oldest first, the open one last. */
    static List<Segment> segments(Path current) throws IOException {
        if (!Files.isDirectory(current)) {
            return List.of();
        }
        List<Segment> segments = new ArrayList<>();
        try (Stream<Path> files = Files.list(current)) {
            for (Path f : files.toList()) {
                // by name only: Ratis's LogSegmentPath.matchLogSegment deletes an empty open segment (its recovery
                // at start), and on a live node that is the one its log worker has just created (class javadoc)
                Matcher closed = CLOSED.matcher(f.getFileName().toString());
                Matcher open = OPEN.matcher(f.getFileName().toString());
                if (closed.matches()) {
                    segments.add(new Segment(f, Long.parseLong(closed.group(1)),
                            Long.parseLong(closed.group(2)), false));
                } else if (open.matches()) {
                    segments.add(new Segment(f, Long.parseLong(open.group(1)), -1, true));
                }
            }
        }
        segments.sort(Comparator.comparingLong(Segment::start).thenComparing(Segment::open));
        return segments;
    }

    /** The group's number. */
    @Override
    public int shard() {
        return group;
    }

    /** Says so when the log no longer starts at Raft index 0 (purged behind snapshots), after a read. */
    @Override
    public String note() {
        return firstIndex > 0 ? "group " + group + ": the Raft log on this node starts at index " + firstIndex
                + "; the audit records of earlier entries were purged behind the group's snapshots" : null;
    }

    @Override
    public String name() {
        return current.toString();
    }
}
