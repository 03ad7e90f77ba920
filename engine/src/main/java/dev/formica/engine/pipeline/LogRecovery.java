package dev.formica.engine.pipeline;

import dev.formica.engine.log.LogSegments;
import dev.formica.engine.risk.RiskEngine;
import dev.formica.engine.state.ShardSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateOps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: rebuilds every shard's in-memory state from its newest valid snapshot and the log after it, and the
 * engine-wide velocity and quota tables from the snapshots' per-shard contributions and the logs after them, merged
 * by frame time (a velocity bucket only takes adds for its own period, so the
 * shards' adds must arrive in time order, as they did live).
 *
 * <p>A frame that fails its checksum at the end of a shard's last segment is a torn write from a crash: the log is
 * cut there (made durable) and the shard starts after the last whole frame. A bad frame anywhere else is
 * corruption of acknowledged data and stops the start-up.
 *
 * <p>Thread contract: runs once, on the thread that opens the pipeline, before any shard runs.
 */
final class LogRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

    /** What recovery found. */
    record Result(long[] endPositions, long[] snapshotPositions, long frames, long tornBytes, long millis) {
    }

    private LogRecovery() {
    }

    static Path logDir(Path dataDir, int shard) {
        return dataDir.resolve("shard-" + shard).resolve("log");
    }

    static Result replay(Path dataDir, List<ShardState> states, RiskEngine risk) throws IOException {
        long start = System.nanoTime();
        int n = states.size();
        LogSegments[] segments = new LogSegments[n];
        LogSegments.Cursor[] cursors = new LogSegments.Cursor[n];
        boolean[] more = new boolean[n];
        long[] ends = new long[n];
        long[] from = new long[n];
        long frames = 0;
        long torn = 0;
        risk.quotas().resetUsage();
        StateOps.Shared shared = new StateOps.Shared(risk.velocity(), risk.quotas());
        StateOps.Replayer replayer = new StateOps.Replayer();
        try {
            for (int k = 0; k < n; k++) {
                states.get(k).ops().recording(false);
                segments[k] = LogSegments.open(logDir(dataDir, k));
                // the newest snapshot whose checksum holds (an older one when the newest is damaged)
                List<SnapshotBuilder.Valid> snapshots = SnapshotBuilder.validSnapshots(
                        SnapshotBuilder.directory(dataDir, k), k);
                if (!snapshots.isEmpty()) {
                    SnapshotBuilder.Valid newest = snapshots.get(0);
                    ShardSnapshot.read(newest.file(), states.get(k), risk.velocity()).addTo(risk.quotas());
                    from[k] = newest.header().position();
                }
                cursors[k] = segments[k].cursor(from[k]);
                more[k] = cursors[k].next();
            }
            while (true) {
                int next = -1;
                for (int k = 0; k < n; k++) {
                    if (more[k] && (next < 0 || cursors[k].frameTime() < cursors[next].frameTime())) {
                        next = k;
                    }
                }
                if (next < 0) {
                    break;
                }
                LogSegments.Cursor c = cursors[next];
                replayer.apply(states.get(next), shared, false, c.buffer(), c.payloadOffset(), c.payloadLength(),
                        c.frameTime());
                frames++;
                more[next] = c.next();
            }
            for (int k = 0; k < n; k++) {
                LogSegments.Cursor c = cursors[k];
                ends[k] = c.position();
                if (c.tornAt() >= 0) {
                    if (!c.tornInLastSegment()) {
                        throw new IOException("shard " + k + "'s log has a corrupt frame at position " + c.tornAt()
                                + " before its last segment: acknowledged data is damaged; restore the data"
                                + " directory from a backup or a replica");
                    }
                    long end = segments[k].list().isEmpty() ? 0 : lastSegmentEnd(segments[k]);
                    torn += Math.max(0, end - c.tornAt());
                    int shard = k;
                    long at = c.tornAt();
                    long cut = end - at;
                    LOG.warn("shard " + shard + ": cut a torn log tail of " + cut + " bytes at position " + at
                            + " (a write interrupted by a crash; never acknowledged)");
                    segments[k].truncateTo(at);
                }
            }
        } finally {
            for (LogSegments.Cursor c : cursors) {
                if (c != null) {
                    c.close();
                }
            }
        }
        return new Result(ends, from, frames, torn, (System.nanoTime() - start) / 1_000_000);
    }

    private static long lastSegmentEnd(LogSegments segments) throws IOException {
        List<Long> starts = segments.list();
        long last = starts.get(starts.size() - 1);
        return last + java.nio.file.Files.size(segments.directory().resolve(String.format("%020d.log", last)));
    }

    static LogSegments segments(Path dataDir, int shard) throws IOException {
        return LogSegments.open(logDir(dataDir, shard));
    }
}
