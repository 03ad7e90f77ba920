package dev.formica.engine.replay;

import dev.formica.engine.journal.Journals;
import dev.formica.engine.log.FrameLog;
import dev.formica.engine.replication.RaftLogFrames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shard logs a tool reads on a data directory, single node or replicated: each shard's local log
 * ({@code shard-k/log}) and, on a replicated node, which writes none, each hosted group's Raft log
 * ({@code raft/<group id>}, read from its segment files: {@link RaftLogFrames}). So {@code formica journal},
 * backtests and stress runs read the same audit trail on either, and a replicated node's trail costs the Decide path
 * nothing (docs/cluster.md, "The audit trail with replication").
 *
 * <p>Thread contract: stateless; the logs and journals it opens belong to the calling thread.
 */
public final class AuditTrail {
    private AuditTrail() {
    }

    /**
     * The logs under {@code dir}: a data directory, one shard's log directory, a replicated node's {@code raft/}
     * or one group's directory in it. Local shards first, then groups by number.
     */
    public static List<FrameLog> logs(Path dir) {
        List<FrameLog> logs = new ArrayList<>();
        Journals.shardDirs(dir).forEach(d -> logs.add(FrameLog.local(d)));
        try {
            logs.addAll(RaftLogFrames.under(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the Raft logs under " + dir, e);
        }
        return logs;
    }

    /** Every decision journaled under {@code dir}, merged in time order ({@link #logs}). */
    public static Journals.Merged open(Path dir) {
        return Journals.open(logs(dir));
    }
}
