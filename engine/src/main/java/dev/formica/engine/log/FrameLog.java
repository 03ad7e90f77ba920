package dev.formica.engine.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.agrona.DirectBuffer;

/**
 * A shard log read from disk by a tool, from a position on: the local segments of a single node's shard
 * ({@link #local}), or a replicated group's frames in the node's copy of its Raft log (in {@code replication}). The
 * journal reads the audit records of either through this, so {@code formica journal}, backtests and stress runs read
 * a replicated node's trail with the code that reads a single node's.
 *
 * <p>Read-only and safe beside a live writer: a frame still being written ends a read and is read whole by a later
 * one. Thread contract: one reading thread per instance.
 */
public interface FrameLog {

    /** What {@link #read} hands each frame to, in position order. */
    @FunctionalInterface
    interface Frames {
        /**
         * @param position where the frame starts in the shard log
         * @return whether to go on (false: the read ends after this frame)
         */
        boolean frame(long position, long timeMs, DirectBuffer payload, int offset, int length);
    }

    /**
     * Hands the frames that start at {@code from} or later to {@code frames}, in order, until the end of what is
     * on disk now or until {@code frames} says stop.
     *
     * @return the position after the last frame handed over ({@code from} when none was): where the next read goes
     */
    long read(long from, Frames frames) throws IOException;

    /**
     * The shard (single node) or replicated group this log belongs to, when the log knows it (-1: the audit
     * records name their shard themselves).
     */
    default int shard() {
        return -1;
    }

    /** What an operator should know about this log's extent (e.g. entries purged before it), or null. */
    default String note() {
        return null;
    }

    /** What a message calls this log: its directory. */
    String name();

    /**
     * The local segments of one shard's log directory ({@code <data-dir>/shard-k/log}); empty while absent. Segments
     * that {@code journalRetention} deleted behind a snapshot are skipped: a read from before the oldest segment kept
     * starts there, and {@link #note} says so (recovery never reads through this: it needs every frame after its
     * snapshot and fails when one is missing).
     */
    static FrameLog local(Path dir) {
        return new FrameLog() {
            /** Where the oldest segment kept starts, as of the last read: above 0 once retention deleted some. */
            private long first;

            @Override
            public long read(long from, Frames frames) throws IOException {
                if (!Files.isDirectory(dir)) {
                    return from;
                }
                LogSegments segments = LogSegments.existing(dir);
                java.util.List<Long> starts = segments.list();
                first = starts.isEmpty() ? 0 : starts.get(0);
                long position = Math.max(from, first);
                try (LogSegments.Cursor c = segments.cursor(position)) {
                    while (c.next()) {
                        position = c.position();
                        if (!frames.frame(c.framePosition(), c.frameTime(), c.buffer(), c.payloadOffset(),
                                c.payloadLength())) {
                            break;
                        }
                    }
                }
                return position;
            }

            @Override
            public String note() {
                return first > 0 ? "the log " + dir + " starts at position " + first + ": the segments before it were"
                        + " deleted after journalRetention, with the audit records they held" : null;
            }

            @Override
            public String name() {
                return dir.toString();
            }
        };
    }
}
