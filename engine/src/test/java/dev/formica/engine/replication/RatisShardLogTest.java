package dev.formica.engine.replication;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.log.LogFrames;
import dev.formica.engine.log.ShardLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.ratis.server.RaftServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real Ratis replicas of one shard's group in this process, on 127.0.0.1:20650-20652 (gRPC; or from
 * {@code -Dformica.ports.base=B}, B+20..B+22): frames appended to
 * the {@link RatisShardLog} reach every replica's applier in order, and the durable position moves only once a
 * majority has committed a frame.
 */
class RatisShardLogTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 20630) + 20;
    private static final List<String> ADDRESSES = List.of("127.0.0.1:" + BASE, "127.0.0.1:" + (BASE + 1),
            "127.0.0.1:" + (BASE + 2));

    @TempDir
    Path dir;

    private final ShardGroup group = new ShardGroup(UUID.fromString("0f0f0f0f-0000-4000-8000-000000000022"),
            ADDRESSES);
    private final RaftServer[] replicas = new RaftServer[3];
    private final List<Recorder> recorders = new ArrayList<>();
    private RatisShardLog log;

    /** One committed frame as an applier saw it. */
    private record Frame(long position, long timeMs, byte[] payload) {
    }

    /** Records what a replica applies, behind the in-order check. */
    private static final class Recorder implements FrameApplier {
        final List<Frame> frames = new ArrayList<>();
        final InOrderApplier inOrder = new InOrderApplier(0, (position, timeMs, payload, offset, length) -> {
            byte[] copy = new byte[length];
            payload.getBytes(offset, copy);
            synchronized (frames) {
                frames.add(new Frame(position, timeMs, copy));
            }
        });

        @Override
        public void apply(long position, long timeMs, DirectBuffer payload, int offset, int length) {
            inOrder.apply(position, timeMs, payload, offset, length);
        }

        List<Frame> snapshot() {
            synchronized (frames) {
                return List.copyOf(frames);
            }
        }
    }

    private void start(int i, boolean recover) throws IOException {
        Recorder r = new Recorder();
        if (recorders.size() <= i) {
            recorders.add(r);
        } else {
            recorders.set(i, r);
        }
        replicas[i] = group.startReplica(i, dir.resolve("r" + i), r, recover);
    }

    @AfterEach
    void stop() throws IOException {
        if (log != null) {
            log.close();
        }
        for (RaftServer s : replicas) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static byte[] payload(int i) {
        return ("frame " + i + " " + "x".repeat(i % 17)).getBytes(StandardCharsets.UTF_8);
    }

    private static long append(ShardLog log, long timeMs, byte[] payload) {
        return log.append(timeMs, new UnsafeBuffer(payload), 0, payload.length);
    }

    /** Waits (bounded) for the release of {@code position} and returns what it was released with. */
    private static boolean awaitRelease(ShardLog log, long position) throws InterruptedException {
        CountDownLatch released = new CountDownLatch(1);
        AtomicReference<Boolean> outcome = new AtomicReference<>();
        log.whenDurable(position, durable -> {
            outcome.set(durable);
            released.countDown();
        });
        assertTrue(released.await(30, TimeUnit.SECONDS), "no release within 30 s");
        return outcome.get();
    }

    @Test
    void framesAppendedOnTheLeaderReachEveryReplicaInOrder() throws Exception {
        for (int i = 0; i < 3; i++) {
            start(i, false);
        }
        log = group.log(0);
        List<Frame> expected = new ArrayList<>();
        long position = 0;
        for (int i = 0; i < 100; i++) {
            byte[] p = payload(i);
            long end = append(log, 1_000 + i, p);
            assertEquals(position + LogFrames.frameLength(p.length), end);
            expected.add(new Frame(position, 1_000 + i, p));
            position = end;
        }
        assertTrue(awaitRelease(log, position));
        assertEquals(position, log.durablePosition());
        for (Recorder r : recorders) {
            await().atMost(Duration.ofSeconds(30)).until(() -> r.snapshot().size() == expected.size());
            List<Frame> got = r.snapshot();
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).position(), got.get(i).position());
                assertEquals(expected.get(i).timeMs(), got.get(i).timeMs());
                assertArrayEquals(expected.get(i).payload(), got.get(i).payload());
            }
            assertEquals(position, r.inOrder.appliedPosition());
        }
    }

    @Test
    void aFrameIsDurableOnlyOnceAMajorityHasCommittedIt() throws Exception {
        for (int i = 0; i < 3; i++) {
            start(i, false);
        }
        log = group.log(0);
        long first = append(log, 1, payload(1));
        assertTrue(awaitRelease(log, first));
        int leader = -1;
        for (int i = 0; i < 3; i++) {
            if (replicas[i].getDivision(group.group().getGroupId()).getInfo().isLeader()) {
                leader = i;
            }
        }
        assertTrue(leader >= 0, "a leader after the first commit");
        List<Integer> followers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            if (i != leader) {
                followers.add(i);
                replicas[i].close();
                replicas[i] = null;
            }
        }

        long second = append(log, 2, payload(2));
        CountDownLatch released = new CountDownLatch(1);
        log.whenDurable(second, durable -> released.countDown());
        // the leader alone is no majority: nothing may count as durable
        await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
            .until(() -> log.durablePosition() == first && released.getCount() == 1);

        start(followers.get(0), true);
        assertTrue(released.await(30, TimeUnit.SECONDS), "durable once a follower is back");
        assertEquals(second, log.durablePosition());
        Recorder back = recorders.get(followers.get(0));
        await().atMost(Duration.ofSeconds(30)).until(() -> back.snapshot().size() == 2);
        assertEquals(second, back.inOrder.appliedPosition());
    }
}
