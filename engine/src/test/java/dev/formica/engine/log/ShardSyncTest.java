package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code logSync: LOOP}: a log synced on its shard's thread ({@link LogWriter.Log#syncOnShard}). Its answers wait
 * for the sync the shard's thread runs when asked, and are released on that thread; the writer thread never syncs
 * it while it runs, and takes it back at close (what is left is synced and released then); a full window is
 * written by the appending thread instead of waiting for a writer that never comes.
 */
class ShardSyncTest {
    private static final long SEGMENT = 1 << 20;
    private static final int WINDOW = 2 * LogFrames.MAX_FRAME;

    @TempDir
    Path dir;

    private static UnsafeBuffer payload(int i, int size) {
        return new UnsafeBuffer(("f" + i + "-").repeat(size).substring(0, size).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void answersWaitForTheSyncTheShardThreadRunsWhenAskedAndAreReleasedOnIt() throws Exception {
        RecordingLogChannels channels = new RecordingLogChannels();
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        log.syncOnShard();
        AtomicInteger asked = new AtomicInteger();
        log.onSyncWanted(asked::incrementAndGet);
        writer.start();
        try {
            Thread shard = Thread.currentThread();
            List<String> released = new ArrayList<>();
            long end = 0;
            for (int i = 0; i < 10; i++) {
                end = log.append(i, payload(i, 100), 0, 100);
                long position = end;
                log.whenDurable(position, ok -> released.add(ok + (channels.synced.get() >= position ? " synced" : "")
                        + (Thread.currentThread() == shard ? " here" : " elsewhere")));
            }
            assertEquals(10, asked.get(), "each answer waiting asked the shard's thread for a sync");
            assertEquals(List.of(), released, "nothing released before the shard's thread synced");
            assertEquals(0, channels.appended.get(), "nothing written before it either");

            assertEquals(10, log.syncHere());
            assertEquals(List.of(channels.syncThreads.get(0)), channels.syncThreads, "one sync");
            assertEquals(shard, channels.syncThreads.get(0), "on the shard's thread");
            assertEquals(java.util.Collections.nCopies(10, "true synced here"), released);
            assertEquals(end, log.durablePosition());
            assertEquals(1, writer.syncs());
        } finally {
            writer.close();
        }
    }

    @Test
    void aFullWindowIsWrittenByTheAppendingThread() throws Exception {
        RecordingLogChannels channels = new RecordingLogChannels();
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1);
        LogSegments segments = LogSegments.open(dir.resolve("log"));
        LogWriter.Log log = writer.open(0, segments, 0, dir.resolve("w0"));
        log.syncOnShard();
        log.onSyncWanted(() -> { });
        writer.start();
        int size = 4000;
        int frames = 5 * WINDOW / size;
        long end = 0;
        try {
            for (int i = 0; i < frames; i++) {
                end = log.append(i, payload(i, size), 0, size); // five windows, nobody syncing
            }
            assertTrue(channels.appended.get() >= end - WINDOW, "the appender wrote what did not fit");
            log.syncHere();
            assertEquals(end, log.durablePosition());
        } finally {
            writer.close();
        }
        int read = 0;
        try (LogSegments.Cursor c = segments.cursor(0)) {
            while (c.next()) {
                byte[] b = new byte[c.payloadLength()];
                c.buffer().getBytes(c.payloadOffset(), b);
                assertEquals(payload(read, size).byteArray().length, b.length);
                assertEquals(new String(payload(read, size).byteArray(), StandardCharsets.UTF_8),
                        new String(b, StandardCharsets.UTF_8));
                read++;
            }
            assertEquals(end, c.position());
        }
        assertEquals(frames, read, "every frame in order");
    }

    @Test
    void theWriterSyncsAndReleasesWhatTheShardLeftWhenItCloses() throws Exception {
        RecordingLogChannels channels = new RecordingLogChannels();
        LogWriter writer = new LogWriter(Durability.FSYNC, channels, SEGMENT, WINDOW, -1);
        LogWriter.Log log = writer.open(0, LogSegments.open(dir.resolve("log")), 0, dir.resolve("w0"));
        log.syncOnShard();
        log.onSyncWanted(() -> { }); // the shard's loop has stopped: nobody runs the sync
        writer.start();
        long end = log.append(1, payload(1, 100), 0, 100);
        List<Boolean> released = new CopyOnWriteArrayList<>();
        log.whenDurable(end, ok -> released.add(ok && channels.synced.get() >= end));
        writer.close();
        assertEquals(List.of(true), released, "released once synced, by the closing writer");
        assertEquals(end, log.durablePosition());
    }
}
