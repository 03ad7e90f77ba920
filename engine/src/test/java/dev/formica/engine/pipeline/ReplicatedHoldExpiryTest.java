package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.AMOUNT;
import static dev.formica.engine.pipeline.ReplicatedNodes.LAYOUT;
import static dev.formica.engine.pipeline.ReplicatedNodes.decide;
import static dev.formica.engine.pipeline.ReplicatedNodes.profile;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hold expiry moves with the leadership: a hold made on a group's leader that is stopped before the hold's time is
 * up expires on the replica elected next, whose shard followed (and so ran no timers, parked until the leader
 * change woke it: {@link LeaderGate}) until then; the expiry's frames reach the other replica. Three replicated
 * engines in this process, gRPC 127.0.0.1:22200-22202 and Raft 22210-22212, or from {@code -Dformica.ports.base=B}
 * (B..B+2 and B+10..B+12).
 */
class ReplicatedHoldExpiryTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 22200);
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    /** Long enough for the stop and an election on a busy box, short enough for a test. */
    private static final Duration HOLD_TTL = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private ReplicatedNodes nodes;

    @AfterEach
    void stop() throws InterruptedException {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void aHoldMadeOnAStoppedLeaderExpiresOnTheNextLeader() {
        nodes = new ReplicatedNodes(dir, NODES, RAFT, c -> c.expectedBorrowers(1000).expectedDecisionsPerDay(1000)
                .holdTtl(HOLD_TTL));
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        String borrower = "x-1";
        int group = LAYOUT.groupOf(Partitions.of(borrower));
        long madeNanos;
        try (FormicaClient client = FormicaClient.builder().targets(nodes.targets())
                .defaultDeadline(Duration.ofSeconds(30)).build()) {
            nodes.whenServed(group, () -> client.upsertProfile(profile(borrower)));
            madeNanos = System.nanoTime();
            DecisionResponse d = nodes.whenServed(group, () -> client.decide(decide(borrower, "d-" + borrower)));
            assertEquals(Outcome.APPROVE, d.getOutcome());
        }
        // the node that made the hold, or the one it failed over to should its leader have stepped down meanwhile
        int leader = nodes.awaitLeader(group);
        nodes.stop(leader);
        nodes.awaitEveryGroupServed();
        int next = nodes.awaitLeader(group);
        assertNotEquals(leader, next);
        int other = -1;
        for (int node : LAYOUT.replicasOf(group)) {
            if (node != leader && node != next) {
                other = node;
            }
        }
        long elapsedMs = Duration.ofNanos(System.nanoTime() - madeNanos).toMillis();
        // a box so slow that the failover outlasted the hold cannot tell who expired it: nothing to check then
        assumeTrue(elapsedMs < HOLD_TTL.toMillis() - 2_000, "the failover took " + elapsedMs + " ms");
        assertEquals(AMOUNT, nodes.lineOn(next, borrower).heldMinor(), "the hold is still held after the failover");
        int follower = other;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            LedgerSnapshot onNext = nodes.lineOn(next, borrower);
            assertEquals(0, onNext.heldMinor(), "expired on the next leader");
            LedgerSnapshot onFollower = nodes.lineOn(follower, borrower);
            assertTrue(onFollower != null && onFollower.heldMinor() == 0, "the expiry replicated to node " + follower);
        });
        assertEquals(0, nodes.failStops.get(), "no replica had to stop");
    }
}
