package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.log.LogSegments;
import dev.formica.engine.replication.SnapshotCodec;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replicated group's snapshot scratch copy kept live between builds ({@code snapshotScratch: LIVE}): it writes the
 * very bytes that loading the previous snapshot into a fresh copy and applying the entries after it writes (what
 * every build did before, and {@code RELOAD} still does); a base it did not write (a snapshot installed from the
 * leader, under another name or its own, or a build that failed half-way) is loaded again. The frames are a real
 * shard log's (a single-node pipeline's shard 0 under decisions, confirms and cancels), handed to the group's codec
 * as {@code GroupSnapshots} hands it the frames of the Raft entries after the base.
 */
class GroupLiveScratchTest {
    private static final SnapshotCodec.Placed PLACED = new SnapshotCodec.Placed(2, 7);

    @TempDir
    Path dir;
    private final List<Frame> frames = new ArrayList<>();
    private StateConfig stateConfig;
    private long endMs;

    /** A frame of the shard log: where it starts and ends, its time and its payload. */
    private record Frame(long position, long end, long timeMs, byte[] payload) {
    }

    @BeforeEach
    void shardLog() throws IOException {
        Path node = dir.resolve("node");
        SplittableRandom random = new SplittableRandom(23);
        try (PipelineFixture f = new PipelineFixture(node, EngineConfiguration.ShardMode.DEDICATED, false)) {
            for (int b = 0; b < 30; b++) {
                FutureSink<Boolean> s = new FutureSink<>();
                f.pipeline.upsert(ReplayDigestTest.borrower("gb" + b, 2_000_000), s, null);
                s.get();
            }
            for (int i = 0; i < 240; i++) {
                f.clock.update(f.clock.time() + random.nextInt(5_000));
                FutureSink<DecisionResponse> d = new FutureSink<>();
                f.pipeline.decide(PipelineFixture.decision("g" + i, "gb" + random.nextInt(30), 1_000
                        + random.nextInt(80_000)).toBuilder().setDeviceId("gd" + random.nextInt(25))
                        .setIp("10.1.0." + random.nextInt(12)).setMerchantId("gm" + random.nextInt(6)).build(),
                        d, System.nanoTime(), null);
                DecisionResponse answer = d.get();
                if (answer.getOutcome() == Outcome.APPROVE) {
                    (i % 2 == 0 ? f.confirm("gc" + i, answer.getHoldId()) : f.cancel("gx" + i, answer.getHoldId()))
                            .get();
                }
            }
            stateConfig = DecisionPipeline.stateConfig(f.config(), f.pipeline.shards());
            endMs = f.clock.time();
        }
        try (LogSegments.Cursor c = LogSegments.existing(LogRecovery.logDir(node, 0)).cursor(0)) {
            while (c.next()) {
                byte[] payload = new byte[c.payloadLength()];
                c.buffer().getBytes(c.payloadOffset(), payload);
                frames.add(new Frame(c.framePosition(), c.position(), c.frameTime(), payload));
            }
        }
        assertTrue(frames.size() > 150, "a shard log of " + frames.size() + " frames");
    }

    /** Group 0's codec with its scratch copy in {@code scratch}; only the builds are used, so no shard memory. */
    private GroupSnapshotCodec codec(boolean keep, String scratch, long nowMs) {
        return new GroupSnapshotCodec(0, null, null, null, null, stateConfig, 4096, dir.resolve(scratch),
                () -> nowMs, keep);
    }

    /** One build: the copy of {@code base} (at {@code basePosition}), frames [from, to) applied, written as file. */
    private long build(GroupSnapshotCodec codec, Path base, long basePosition, int from, int to, Path file)
            throws IOException {
        try (SnapshotCodec.Scratch s = codec.scratch(base, basePosition)) {
            long end = basePosition;
            for (Frame fr : frames.subList(from, to)) {
                assertEquals(end, fr.position());
                s.apply(fr.position(), fr.timeMs(), new UnsafeBuffer(fr.payload()), 0, fr.payload().length);
                end = fr.end();
            }
            s.write(file, end, PLACED);
            return end;
        }
    }

    private Path sm(String name) throws IOException {
        Path sm = Files.createDirectories(dir.resolve("sm"));
        return sm.resolve(name);
    }

    @Test
    void shouldWriteTheBytesARebuildFromThePreviousSnapshotWrites() throws IOException {
        int n = frames.size();
        Path a = sm("snapshot.1_10");
        Path b = sm("snapshot.1_20");
        Path c = sm("snapshot.1_30");
        try (GroupSnapshotCodec live = codec(true, "live", PipelineFixture.START_MS);
                GroupSnapshotCodec reload = codec(false, "reload", endMs)) {
            long atA = build(live, null, 0, 0, n / 3, a);
            long atB = build(live, a, atA, n / 3, 2 * n / 3, b);
            build(live, b, atB, 2 * n / 3, n, c);
            assertEquals(1, live.loads(), "the first build starts a copy from the empty log, none is loaded after");

            // the same snapshot rebuilt the old way: the previous one loaded into a fresh copy, the entries applied
            Path rebuilt = sm("rebuilt");
            build(reload, b, atB, 2 * n / 3, n, rebuilt);
            assertArrayEquals(Files.readAllBytes(c), Files.readAllBytes(rebuilt), "the same bytes");
            build(reload, b, atB, 2 * n / 3, n, rebuilt);
            assertEquals(2, reload.loads(), "RELOAD loads the base at every build");
        }
    }

    @Test
    void shouldLoadAgainASnapshotInstalledFromTheLeader() throws IOException {
        int n = frames.size();
        int q = n / 4;
        Path a = sm("snapshot.1_10");
        Path b = sm("snapshot.1_20");
        try (GroupSnapshotCodec live = codec(true, "live", PipelineFixture.START_MS);
                GroupSnapshotCodec leader = codec(false, "leader", endMs);
                GroupSnapshotCodec reload = codec(false, "reload", endMs)) {
            long atA = build(live, null, 0, 0, q, a);
            // the leader's snapshot at a later index, installed here by Ratis under its own name
            Path installed = sm("snapshot.2_30");
            long atInstalled = build(leader, a, atA, q, 2 * q, installed);
            long atB = build(live, installed, atInstalled, 2 * q, 3 * q, b);
            assertEquals(2, live.loads(), "the installed snapshot is loaded into a fresh copy");
            Path rebuilt = sm("rebuilt");
            build(reload, installed, atInstalled, 2 * q, 3 * q, rebuilt);
            assertArrayEquals(Files.readAllBytes(rebuilt), Files.readAllBytes(b));

            // the leader's copy of the newest snapshot installed under the very name this replica wrote it under
            Path copy = sm("from-the-leader.tmp");
            Files.copy(b, copy);
            Files.move(copy, b, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            build(live, b, atB, 3 * q, n, sm("snapshot.2_40"));
            assertEquals(3, live.loads(), "another file than the one the copy wrote: loaded again");
            build(reload, b, atB, 3 * q, n, rebuilt);
            assertArrayEquals(Files.readAllBytes(rebuilt), Files.readAllBytes(sm("snapshot.2_40")));
        }
    }

    @Test
    void shouldDropACopyWhoseBuildFailedAndLoadItAgain() throws IOException {
        int n = frames.size();
        Path a = sm("snapshot.1_10");
        try (GroupSnapshotCodec live = codec(true, "live", PipelineFixture.START_MS);
                GroupSnapshotCodec reload = codec(false, "reload", endMs)) {
            long atA = build(live, null, 0, 0, n / 2, a);
            // frames applied, then the build fails before it writes (an entry purged, a node stopping)
            assertThrows(IllegalStateException.class, () -> {
                try (SnapshotCodec.Scratch s = live.scratch(a, atA)) {
                    Frame fr = frames.get(n / 2);
                    s.apply(fr.position(), fr.timeMs(), new UnsafeBuffer(fr.payload()), 0, fr.payload().length);
                    throw new IllegalStateException("failed after a frame");
                }
            });
            Path b = sm("snapshot.1_20");
            build(live, a, atA, n / 2, n, b);
            assertEquals(2, live.loads(), "the half-applied copy was dropped and the base loaded again");
            Path rebuilt = sm("rebuilt");
            build(reload, a, atA, n / 2, n, rebuilt);
            assertArrayEquals(Files.readAllBytes(rebuilt), Files.readAllBytes(b));
        }
    }
}
