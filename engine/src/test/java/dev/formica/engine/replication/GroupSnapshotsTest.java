package dev.formica.engine.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which snapshot of a group a replica loads, without Raft: the newest whose check holds; a damaged one is set aside
 * (renamed {@code .corrupt}) and the older one used; none valid means none (the whole log is applied); and what
 * Ratis is told it may purge up to. The build itself runs against real Raft logs in {@code ReplicatedSnapshotsTest}.
 */
class GroupSnapshotsTest {
    @TempDir
    Path dir;
    private final List<Path> loaded = new ArrayList<>();
    private final List<Runnable> builds = new ArrayList<>();

    /** A file {@code position=N} is a valid snapshot at log position N; anything else fails the check. */
    private final SnapshotCodec codec = new SnapshotCodec() {
        @Override
        public long verify(Path file) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                return text.startsWith("position=") ? Long.parseLong(text.substring(9).trim()) : -1;
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public long load(Path file) {
            loaded.add(file);
            return verify(file);
        }

        @Override
        public Scratch scratch(Path base) {
            throw new UnsupportedOperationException("no build here");
        }
    };

    private GroupSnapshots snapshots(long entries) throws IOException {
        GroupSnapshots s = new GroupSnapshots(0, codec, builds::add, entries);
        s.use(dir);
        return s;
    }

    /** A Raft log the collected builds would read; these tests never run them. */
    private static RaftLog anyLog() {
        return (RaftLog) java.lang.reflect.Proxy.newProxyInstance(RaftLog.class.getClassLoader(),
                new Class<?>[] {RaftLog.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void loadsTheNewestValidSnapshot() throws IOException {
        write("snapshot.1_10", "position=100");
        write("snapshot.2_20", "position=200");
        write("snapshot.2_20.md5", "not a snapshot");
        GroupSnapshots s = snapshots(10);
        GroupSnapshots.Loaded l = s.loadNewest();
        assertEquals(TermIndex.valueOf(2, 20), l.termIndex());
        assertEquals(200, l.position());
        assertEquals(List.of(dir.resolve("snapshot.2_20")), loaded);
        assertEquals(20, s.getLatestSnapshot().getIndex());
        assertEquals(List.of(20L, 10L), s.indexes());
    }

    @Test
    void aDamagedNewestSnapshotIsSetAsideAndTheOlderOneLoaded() throws IOException {
        write("snapshot.1_10", "position=100");
        write("snapshot.2_20", "posi"); // cut short
        GroupSnapshots s = snapshots(10);
        GroupSnapshots.Loaded l = s.loadNewest();
        assertEquals(TermIndex.valueOf(1, 10), l.termIndex());
        assertEquals(100, l.position());
        assertTrue(Files.exists(dir.resolve("snapshot.2_20" + GroupSnapshots.CORRUPT)));
        assertTrue(Files.notExists(dir.resolve("snapshot.2_20")));
        assertEquals(10, s.getLatestSnapshot().getIndex());
    }

    @Test
    void noValidSnapshotMeansTheWholeLog() throws IOException {
        write("snapshot.1_10", "garbage");
        GroupSnapshots s = snapshots(10);
        assertNull(s.loadNewest());
        assertNull(s.getLatestSnapshot());
        assertTrue(loaded.isEmpty());
    }

    @Test
    void theThresholdStartsOneBuildAndThePurgeStopsAtTheOlderSnapshot() throws IOException {
        write("snapshot.1_10", "position=100");
        write("snapshot.1_20", "position=200");
        GroupSnapshots s = snapshots(10);
        s.loadNewest();
        // Ratis starts with the loaded snapshot as its own; the older one was reported before the restart
        assertEquals(-1, s.take(TermIndex.valueOf(1, 25), null),
                "the older snapshot (10) is behind the one Ratis knows (20): nothing new to purge");
        assertTrue(builds.isEmpty(), "25 - 20 < 10: no build yet");
        assertEquals(-1, s.take(TermIndex.valueOf(1, 30), null));
        assertEquals(1, builds.size(), "30 - 20 >= 10: one build, off this thread");
        s.take(TermIndex.valueOf(1, 40), null);
        assertEquals(1, builds.size(), "no second build while one is under way");
    }

    @Test
    void theIntervalStartsABuildOnlyWhenItPassedAndTheGroupMoved() throws IOException {
        write("snapshot.1_20", "position=200");
        long[] now = {1_000};
        GroupSnapshots s = new GroupSnapshots(0, codec, builds::add, 1_000_000, 60_000, () -> now[0]);
        s.use(dir);
        s.loadNewest();
        RaftLog log = anyLog();
        s.due(TermIndex.valueOf(1, 21), log);
        assertTrue(builds.isEmpty(), "the interval has not passed");
        now[0] += 60_000;
        s.due(TermIndex.valueOf(1, 20), log);
        assertTrue(builds.isEmpty(), "nothing applied since the newest snapshot (20): no build");
        s.due(TermIndex.valueOf(1, 22), log);
        assertEquals(1, builds.size(), "the interval passed and entries were applied: one build, off this thread");
        s.due(TermIndex.valueOf(1, 23), log);
        assertEquals(1, builds.size(), "no second build while one is under way");
    }

    @Test
    void noIntervalMeansTheThresholdOnly() throws IOException {
        long[] now = {1_000};
        GroupSnapshots s = new GroupSnapshots(0, codec, builds::add, 1_000_000, 0, () -> now[0]);
        s.use(dir);
        now[0] += 3_600_000;
        s.due(TermIndex.valueOf(1, 5), anyLog());
        assertTrue(builds.isEmpty());
    }
}
