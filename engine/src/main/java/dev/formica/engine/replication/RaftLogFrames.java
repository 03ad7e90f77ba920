package dev.formica.engine.replication;

import dev.formica.engine.log.FrameLog;
import dev.formica.engine.log.LogFrames;
import java.io.IOException;
import java.nio.file.Files;
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
import org.apache.ratis.server.RaftServerConfigKeys.Log.CorruptionPolicy;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.server.raftlog.segmented.LogSegmentStartEnd;
import org.apache.ratis.util.SizeInBytes;

/**
 * A replicated group's shard log as this node's Ratis log holds it, read from its segment files with Ratis's own
 * segment reader ({@link LogSegment#readSegmentFile}), read-only and without a running server: what
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
 * <p>Thread contract: one reading thread per instance (it remembers where the last read ended, so a follow-up
 * read skips the closed segments already read).
 */
public final class RaftLogFrames implements FrameLog {
    /** Larger than any entry the shards write ({@link RatisShardLog#MAX_BATCH_BYTES} plus one largest frame). */
    private static final SizeInBytes MAX_ENTRY = SizeInBytes.valueOf(64L << 20);
    /** Group numbers tried when naming a group directory by its id ({@link GroupLayout#groupId}). */
    private static final int MAX_GROUPS = 4096;
    /** Ratis's segment file names (its {@code LogSegmentStartEnd} patterns). */
    private static final Pattern CLOSED = Pattern.compile("log_(\\d+)-(\\d+)");
    private static final Pattern OPEN = Pattern.compile("log_inprogress_(\\d+)(?:\\..*)?");

    private final Path current;
    private final int group;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    /** The Raft index the next read starts at, valid while reads go on from {@link #resumePosition}. */
    private long resumeIndex;
    private long resumePosition = -1;
    private long firstIndex = -1;
    // the read in progress (one thread)
    private Frames frames;
    private long position;
    private boolean stop;

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
        }
        List<Segment> segments = segments(current);
        firstIndex = segments.isEmpty() ? -1 : segments.get(0).start();
        frames = to;
        position = from;
        stop = false;
        try {
            for (Segment segment : segments) {
                if (stop) {
                    break;
                }
                if (!segment.open() && segment.end() < resumeIndex) {
                    continue;
                }
                // a half-written entry can only be the open segment's tail; anywhere else it is damage
                try {
                    LogSegment.readSegmentFile(segment.path().toFile(), segment.span(), MAX_ENTRY, segment.open()
                            ? CorruptionPolicy.WARN_AND_RETURN : CorruptionPolicy.EXCEPTION, null, this::entry);
                } catch (IOException e) {
                    throw new IOException("cannot read the Raft log segment " + segment.path() + ": "
                            + e.getMessage(), e);
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

    private void entry(LogEntryProto entry) {
        long index = entry.getIndex();
        if (stop || index < resumeIndex) {
            return;
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
        resumeIndex = stop ? index : index + 1; // stopped inside an entry: read it again, skipping by position
    }

    private void frame(long at, long timeMs, DirectBuffer payload, int offset, int length) {
        if (stop || at < position) {
            return; // handed over by an earlier read
        }
        position = at + LogFrames.frameLength(length);
        stop = !frames.frame(at, timeMs, payload, offset, length);
    }

    /**
     * One segment file: Ratis's view of it (its reader wants it) and its span read from the name, {@code log_S-E}
     * (closed) or {@code log_inprogress_S} (open; end -1), since Ratis keeps the span's getters to itself.
     */
    record Segment(Path path, LogSegmentStartEnd span, long start, long end, boolean open) {
    }

    /** The segment files in a Ratis log directory ({@code current/}), oldest first, the open one last. */
    static List<Segment> segments(Path current) throws IOException {
        if (!Files.isDirectory(current)) {
            return List.of();
        }
        List<Segment> segments = new ArrayList<>();
        try (Stream<Path> files = Files.list(current)) {
            for (Path f : files.toList()) {
                LogSegmentPath s = LogSegmentPath.matchLogSegment(f);
                Matcher closed = CLOSED.matcher(f.getFileName().toString());
                Matcher open = OPEN.matcher(f.getFileName().toString());
                if (s != null && closed.matches()) {
                    segments.add(new Segment(f, s.getStartEnd(), Long.parseLong(closed.group(1)),
                            Long.parseLong(closed.group(2)), false));
                } else if (s != null && open.matches()) {
                    segments.add(new Segment(f, s.getStartEnd(), Long.parseLong(open.group(1)), -1, true));
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
