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
    /** The base file name and position each build asked the codec's scratch copy for. */
    private final List<String> bases = new ArrayList<>();

    /**
     * A file {@code position=N} is a valid snapshot at log position N, and a second line {@code placed=node@index}
     * its placement; anything else fails the check. A build writes the same.
     */
    private final SnapshotCodec codec = new SnapshotCodec() {
        @Override
        public long verify(Path file) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("");
                return text.startsWith("position=") ? Long.parseLong(text.substring(9).trim()) : -1;
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public Placed placement(Path file) throws IOException {
            String placed = Files.readString(file, StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("placed=")).findFirst().orElse(null);
            if (placed == null) {
                return null;
            }
            String[] nodeAt = placed.substring(7).split("@");
            return new Placed(Integer.parseInt(nodeAt[0]), Long.parseLong(nodeAt[1]));
        }

        @Override
        public long load(Path file) {
            loaded.add(file);
            return verify(file);
        }

        @Override
        public Scratch scratch(Path base, long basePosition) {
            bases.add((base == null ? "none" : base.getFileName()) + "@" + basePosition);
            return new Scratch() {
                @Override
                public void apply(long position, long timeMs, org.agrona.DirectBuffer payload, int offset,
                        int length) {
                    throw new UnsupportedOperationException("these logs hold no frames");
                }

                @Override
                public void write(Path file, long position, Placed placed) throws IOException {
                    Files.writeString(file, "position=" + position + (placed == null ? "" : "\nplaced="
                            + placed.node() + "@" + placed.index()), StandardCharsets.UTF_8);
                }

                @Override
                public void close() {
                }
            };
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

    /**
     * A Raft log whose entries from {@code from} on are configuration-like entries (no frames) but for the
     * placement entries in {@code placements} (Raft index to node).
     */
    private static RaftLog logOf(java.util.Map<Long, Integer> placements) {
        return (RaftLog) java.lang.reflect.Proxy.newProxyInstance(RaftLog.class.getClassLoader(),
                new Class<?>[] {RaftLog.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("get") || args.length != 1) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    long index = (Long) args[0];
                    org.apache.ratis.proto.RaftProtos.LogEntryProto.Builder entry =
                            org.apache.ratis.proto.RaftProtos.LogEntryProto.newBuilder().setTerm(1).setIndex(index);
                    Integer node = placements.get(index);
                    if (node != null) {
                        entry.setStateMachineLogEntry(org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto
                                .newBuilder().setLogData(org.apache.ratis.thirdparty.com.google.protobuf.ByteString
                                        .copyFrom(Placement.entry(node))));
                    }
                    return entry.build();
                });
    }

    @Test
    void aSnapshotRecordsThePlacementAsOfItsIndexAndALoadAnswersIt() throws IOException {
        write("snapshot.1_10", "position=100\nplaced=2@7");
        GroupSnapshots s = snapshots(10);
        assertEquals(new SnapshotCodec.Placed(2, 7), s.loadNewest().placed(), "the placement the snapshot records");

        // a move to node 1 (index 15) and one back to node 0 (index 18) after the snapshot: the last one counts
        s.build(TermIndex.valueOf(1, 20), logOf(java.util.Map.of(15L, 1, 18L, 0)));
        assertEquals(List.of(20L, 10L), s.indexes());
        assertEquals("position=100\nplaced=0@18", Files.readString(dir.resolve("snapshot.1_20")));
        // no placement entry after it: the next snapshot carries the placement forward
        s.build(TermIndex.valueOf(1, 30), logOf(java.util.Map.of()));
        assertEquals("position=100\nplaced=0@18", Files.readString(dir.resolve("snapshot.1_30")));
        assertTrue(Files.notExists(dir.resolve("snapshot.1_10")), "two kept");

        assertEquals(List.of("snapshot.1_10@100", "snapshot.1_20@100"), bases,
                "each build starts from the newest snapshot at the position it stands at");

        GroupSnapshots restarted = snapshots(10);
        assertEquals(new SnapshotCodec.Placed(0, 18), restarted.loadNewest().placed());
    }

    @Test
    void aGroupNeverMovedRecordsNoPlacement() throws IOException {
        GroupSnapshots s = snapshots(10);
        assertNull(s.loadNewest());
        s.build(TermIndex.valueOf(1, 12), logOf(java.util.Map.of()));
        assertEquals("position=0", Files.readString(dir.resolve("snapshot.1_12")));
        assertEquals(List.of("none@0"), bases, "no snapshot yet: the empty log");
        assertNull(snapshots(10).loadNewest().placed(), "a snapshot without a placement (or from before them)");
    }
}
