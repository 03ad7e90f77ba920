package dev.formica.engine.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One round of the log writer's syncs ({@code fsync} mode) over every log with written, unsynced frames: the
 * segments on one device share one cache flush instead of queueing an {@code fdatasync} each.
 *
 * <p><b>Why.</b> An {@code fdatasync} of a preallocated segment is two waits on the device: the data write, then a
 * cache flush ({@code ext4} always ends it with one). Done one log after the other, a round of two shards is four
 * waits in a row, and every answer of the round holds its admission slot through all of them. Here the round
 * starts every log's write at once ({@link LogChannel#startWrite}), waits for all but the last log of each device
 * to be on the device ({@link LogChannel#writeOut}: in its volatile cache, no flush), then {@code fdatasync}s that
 * last one: two waits in all, whatever the number of shards.
 *
 * <p><b>Why it keeps the promise.</b> A device's cache flush makes durable every write the device completed before
 * the flush was issued, whichever file the write belonged to. {@link LogChannel#writeOut} returns only once the
 * log's pages were written and completed; the last log's {@code fdatasync} runs after that, and on a file system
 * that ends every {@code fdatasync} with a cache flush ({@link LogChannel#device} names only such devices) its flush
 * comes after its own data write, so after the others'. A written-out log counts as synced only once an
 * {@code fdatasync} on its device has returned without error after its write-out; until then nothing of it is
 * released ({@link LogWriter.Log#publish} reads {@code synced}). {@code sync_file_range} writes data and never
 * metadata, so a log takes part only while nothing but data changed since its last sync: its segment preallocated
 * (blocks allocated and the size synced by the preparer) and the write inside it. Everything else falls back to its
 * own {@code fdatasync}, as before: a growing segment (a new log's first, or one reopened at start), a log whose
 * channel cannot write out (not Linux, no native binding, a file system not known to flush: {@link
 * LogChannel#device} null), the last log of its device, and a written-out log whose device's {@code fdatasync}
 * failed (it then tries its own, which fails it if the device does).
 *
 * <p><b>Threading:</b> the thread that syncs the logs (the writer), like the logs' own sync.
 */
final class SyncRound {

    /** This round's logs with written, unsynced frames, in the writer's order. */
    private final List<LogWriter.Log> members = new ArrayList<>();
    /** Written out this round: durable once an {@code fdatasync} on their device has returned. */
    private final List<LogWriter.Log> writtenOut = new ArrayList<>();
    /** The devices an {@code fdatasync} of this round flushed, after every write-out. */
    private final List<Object> flushed = new ArrayList<>();

    /**
     * Makes the written bytes of every log the writer owns durable ({@code stopping}: every log); returns whether
     * any log had bytes to sync.
     */
    boolean sync(List<LogWriter.Log> logs, boolean stopping) {
        members.clear();
        for (LogWriter.Log log : logs) {
            if (log.writerOwns(stopping) && log.unsynced() && !log.failed()) {
                members.add(log);
            }
        }
        if (members.size() < 2) {
            for (LogWriter.Log m : members) {
                m.sync();
            }
            return !members.isEmpty();
        }
        writtenOut.clear();
        flushed.clear();
        for (LogWriter.Log m : members) {
            if (m.channel().device() != null) {
                try {
                    m.channel().startWrite();
                } catch (IOException | RuntimeException e) {
                    m.fail(e);
                }
            }
        }
        for (int i = 0; i < members.size(); i++) {
            LogWriter.Log m = members.get(i);
            Object device = m.channel().device();
            if (device != null && !m.failed() && m.dataOnly() && onDeviceAfter(members, i, device)) {
                try {
                    if (m.channel().writeOut()) {
                        writtenOut.add(m);
                    }
                } catch (IOException | RuntimeException e) {
                    m.fail(e);
                }
            }
        }
        for (LogWriter.Log m : members) {
            if (!writtenOut.contains(m) && m.sync() && m.channel().device() != null) {
                flushed.add(m.channel().device());
            }
        }
        for (LogWriter.Log m : writtenOut) {
            if (flushed.contains(m.channel().device())) {
                m.covered();
            } else {
                m.sync();
            }
        }
        return true;
    }

    /** Whether a member after index {@code i} has its segment on {@code device} (it will sync after i's write-out). */
    private static boolean onDeviceAfter(List<LogWriter.Log> members, int i, Object device) {
        for (int j = i + 1; j < members.size(); j++) {
            if (Objects.equals(members.get(j).channel().device(), device)) {
                return true;
            }
        }
        return false;
    }
}
