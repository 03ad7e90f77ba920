package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.FourNodes.assertRefused;
import static dev.formica.engine.pipeline.FourNodes.group;
import static dev.formica.engine.pipeline.FourNodes.move;
import static dev.formica.engine.pipeline.FourNodes.remove;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.replication.ReplicationTestHooks;
import dev.formica.v1.ChangeMembersResponse;
import dev.formica.v1.MovePartitionsResponse;
import dev.formica.v1.PartitionMap;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A move and a change of members of one group never run at once (docs/cluster.md, "Membership and moving
 * partitions"): three replicated engines in this process (gRPC 127.0.0.1:21100-21102, Raft 21110-21112; or from
 * {@code -Dformica.ports.base=B}, B..B+2 and B+10..B+12).
 *
 * <ul>
 *   <li>A removal from group 0 held in flight by the {@code GroupMembers} test hook: a move of group 0 is refused
 *   with {@code FAILED_PRECONDITION} {@code MEMBERSHIP_CHANGE_IN_PROGRESS} naming the group, and nothing changes (no
 *   placement, no new term); a move of group 1 is not held up. Released, the removal completes and the same move of
 *   group 0 is done.</li>
 *   <li>A move of group 0 held in flight by the {@code GroupMoves} test hook (checks passed, before its placement
 *   entry): a {@code RemoveNode}, an {@code AddNode} and a second move of group 0 are refused the same way with the
 *   members unchanged; released, the move completes and the removal is taken at the new leader.</li>
 * </ul>
 */
class ReplicatedMoveDuringMembershipChangeTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 21100);

    @TempDir
    Path dir;
    private FourNodes cluster;
    private ReplicatedNodes nodes;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new FourNodes(dir, BASE, "replicated-move-during-change-test-admin-token-0123");
        nodes = cluster.nodes;
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    /** Every node's map has {@code group} with these replicas, placed as given, in {@code term}; led by leader. */
    private void assertGroup(int id, List<Integer> replicas, int leader, int placedOn, long term) {
        cluster.assertGroup(id, replicas, leader, placedOn);
        assertEquals(term, group(nodes.map(leader), id).getTerm(), "group " + id + ": no new term, no hand-over");
    }

    @Test
    void aMoveWhileAChangeOfItsGroupsMembersIsInFlightIsRefusedAndChangesNothing() throws Exception {
        long termBefore = group(nodes.map(0), 0).getTerm();
        CountDownLatch held = new CountDownLatch(1);
        CompletableFuture<Void> release = new CompletableFuture<>();
        ReplicationTestHooks.holdChanges(nodes.server(0).pipeline().members(), group -> {
            held.countDown();
            return release;
        });
        CompletableFuture<ChangeMembersResponse> removal = CompletableFuture.supplyAsync(
                () -> cluster.admin(0).removeNode(remove(0, 2)));
        try {
            assertTrue(held.await(30, TimeUnit.SECONDS), "the removal of node 2 passed its checks and is held");
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", "group 0: a change of its"
                    + " members asked of node 0 is not done yet; the group moves only once it is",
                    () -> cluster.admin(0).movePartitions(move(0, 1)));
            // the one to the node being removed too: it would have been checked against the members as they stand
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", "group 0: a change",
                    () -> cluster.admin(0).movePartitions(move(0, 2)));
            assertFalse(removal.isDone(), "the removal is still held");
            assertGroup(0, List.of(0, 1, 2), 0, 0, termBefore);
            // only the group that is changing: group 1 moves meanwhile
            MovePartitionsResponse other = cluster.admin(1).movePartitions(move(1, 0));
            assertEquals(1, other.getFromNode());
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(1) == 0);
        } finally {
            ReplicationTestHooks.holdChanges(nodes.server(0).pipeline().members(), null);
            release.complete(null);
        }
        ChangeMembersResponse removed = removal.get(60, TimeUnit.SECONDS);
        assertTrue(removed.getChanged());
        assertEquals(List.of(0, 1), removed.getReplicasList());

        // the change answered: the move that was refused is taken now
        MovePartitionsResponse moved = cluster.admin(0).movePartitions(move(0, 1));
        assertEquals(0, moved.getFromNode());
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(0) == 1);
        assertEquals(1, group(nodes.map(1), 0).getPlacedOn());
        assertEquals(0, nodes.failStops.get());
    }

    @Test
    void aChangeOfMembersWhileAMoveOfItsGroupIsInFlightIsRefusedAndChangesNothing() throws Exception {
        long termBefore = group(nodes.map(0), 0).getTerm();
        CountDownLatch held = new CountDownLatch(1);
        CompletableFuture<Void> release = new CompletableFuture<>();
        ReplicationTestHooks.holdMoves(nodes.server(0).pipeline().moves(), group -> {
            held.countDown();
            return release;
        });
        CompletableFuture<MovePartitionsResponse> move = CompletableFuture.supplyAsync(
                () -> cluster.admin(0).movePartitions(move(0, 1)));
        try {
            assertTrue(held.await(30, TimeUnit.SECONDS), "the move to node 1 passed its checks and is held");
            String start = "group 0: a move to node 1 asked of node 0 is not done yet";
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", start,
                    () -> cluster.admin(0).removeNode(remove(0, 2)));
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", start,
                    () -> cluster.admin(0).addNode(cluster.addThree(0)));
            assertRefused(Status.Code.FAILED_PRECONDITION, "MEMBERSHIP_CHANGE_IN_PROGRESS", start,
                    () -> cluster.admin(0).movePartitions(move(0, 2)));
            assertFalse(move.isDone(), "the move is still held");
            assertGroup(0, List.of(0, 1, 2), 0, 0, termBefore);
        } finally {
            ReplicationTestHooks.holdMoves(nodes.server(0).pipeline().moves(), null);
            release.complete(null);
        }
        assertEquals(0, move.get(60, TimeUnit.SECONDS).getFromNode());
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(0) == 1);

        // the move answered: a change of the group's members is taken, at its new leader
        ChangeMembersResponse removed = cluster.admin(1).removeNode(remove(0, 2));
        assertTrue(removed.getChanged());
        assertEquals(List.of(0, 1), removed.getReplicasList());
        PartitionMap map = nodes.map(1);
        assertEquals(List.of(0, 1), group(map, 0).getReplicasList());
        assertEquals(1, group(map, 0).getPlacedOn());
        assertEquals(0, nodes.failStops.get());
    }
}
