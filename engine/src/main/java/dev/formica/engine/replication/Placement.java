package dev.formica.engine.replication;

import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where the operator placed a group: the node its leader hands it to whenever that node follows closely
 * ({@link LeaderHandOver}). The group's own node until a move ({@code AdminService.MovePartitions}) says otherwise.
 *
 * <p><b>Replicated.</b> A move appends a placement entry to the group's Raft log, so every replica applies it in
 * order with the frames and a later leader (after a failover) hands the group to the same node. Little-endian:
 *
 * <pre>
 *    0  long  {@link #MAGIC}    negative and not {@link FrameBatch#MAGIC}: no frame entry starts so
 *    8  int   node               the node the group is placed on
 *   12  int   0                  reserved
 * </pre>
 *
 * <p><b>Kept.</b> Each replica also writes the placement it applied, with the entry's Raft index, to a file of its
 * data directory, so that a restart after the log was purged past the entry (snapshots) still knows it; a replayed
 * older entry (index at most the file's) does not take it back.
 *
 * <p>Thread contract: {@link #entry} and {@link #nodeOf} are stateless; the file is read at start and written by
 * Ratis's applier of the group.
 */
public final class Placement {
    /** "formica placement, format 1". */
    static final long MAGIC = 0xF0B4_7C40_0000_0101L;
    static final int LENGTH = 16;

    private final Path file;
    private volatile int node;
    private volatile long index = -1;

    /**
     * @param file where this replica keeps the placement it applied (null: nowhere, tests without a directory)
     * @param group the group, placed on its own node until a placement entry says otherwise
     */
    public Placement(Path file, int group) {
        this.file = file;
        this.node = group;
    }

    /** The entry that places the group on {@code node}. */
    static byte[] entry(int node) {
        byte[] entry = new byte[LENGTH];
        UnsafeBuffer out = new UnsafeBuffer(entry);
        out.putLong(0, MAGIC, FrameBatch.ORDER);
        out.putInt(Long.BYTES, node, FrameBatch.ORDER);
        return entry;
    }

    /** The node a placement entry names, or -1 when {@code entry} is not one (a frame entry). */
    static int nodeOf(DirectBuffer entry) {
        if (entry.capacity() != LENGTH || entry.getLong(0, FrameBatch.ORDER) != MAGIC) {
            return -1;
        }
        return entry.getInt(Long.BYTES, FrameBatch.ORDER);
    }

    /** The node the group is placed on now. */
    public int node() {
        return node;
    }

    /** Reads the file, if any (at start, before Ratis applies an entry). */
    void load() throws IOException {
        if (file == null || !Files.exists(file)) {
            return;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        try {
            node = Integer.parseInt(p.getProperty("node", ""));
            index = Long.parseLong(p.getProperty("index", ""));
        } catch (NumberFormatException e) {
            throw new IOException(file + " is not a placement file (node=, index=): " + e.getMessage(), e);
        }
    }

    /** Applies a placement entry at Raft index {@code at}; an entry older than the file's is ignored. */
    void apply(int placedOn, long at) throws IOException {
        if (at <= index) {
            return;
        }
        boolean changed = placedOn != node;
        node = placedOn; // in memory even if the file cannot be written (the log still holds the entry)
        index = at;
        if (file != null && changed) {
            OwnerOnly.writeAtomically(file, "# Formica: the node this group is placed on (formica cluster move);"
                    + " do not edit\nnode=" + placedOn + "\nindex=" + at + "\n");
        }
    }
}
