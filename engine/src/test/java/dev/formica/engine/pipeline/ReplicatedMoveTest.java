package dev.formica.engine.pipeline;

import static dev.formica.engine.pipeline.ReplicatedNodes.firstPartitionOf;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.MovePartitionsRequest;
import dev.formica.v1.MovePartitionsResponse;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving a group's partitions on the operator's word ({@code AdminService.MovePartitions}, docs/cluster.md,
 * "Membership and moving partitions"): three replicated engines in this process (gRPC 127.0.0.1:20760-20762, Raft
 * 20770-20772; or from {@code -Dformica.ports.base=B}, B+30..B+32 and B+40..B+42). Group 0 moved from node 0 to
 * node 1 and back under a Decide load through the SDK: no answer released before a move lost, each request id
 * reserving once, balances equal to the model, the map's version growing, the placement on every replica, and the
 * leader hand-over not taking the group back.
 */
class ReplicatedMoveTest {
    private static final int BASE = Integer.getInteger("formica.ports.base", 20730) + 30;
    private static final List<String> NODES = ReplicatedNodes.loopback(BASE);
    private static final List<String> RAFT = ReplicatedNodes.loopback(BASE + 10);
    private static final String TOKEN = "replicated-move-test-admin-token-0123";

    @TempDir
    Path dir;
    private ReplicatedNodes nodes;

    @BeforeEach
    void setUp() throws Exception {
        Path tokens = Files.createFile(dir.resolve("admin.tokens"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tokens, TOKEN + "\n");
        nodes = new ReplicatedNodes(dir, NODES, RAFT, c -> c.expectedBorrowers(1000).expectedDecisionsPerDay(1000)
                .adminTokenFile(tokens));
    }

    @AfterEach
    void stop() throws InterruptedException {
        nodes.close();
    }

    private AdminServiceGrpc.AdminServiceBlockingStub admin(int node) {
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
        return AdminServiceGrpc.newBlockingStub(nodes.channel(node))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static MovePartitionsRequest move(int group, int to) {
        return MovePartitionsRequest.newBuilder().setGroup(group).setToNode(to).build();
    }

    private static PartitionGroup group(PartitionMap map, int id) {
        return map.getGroupsList().stream().filter(g -> g.getId() == id).findFirst().orElseThrow();
    }

    @Test
    void groupZeroMovesToNodeOneAndBackUnderLoadWithoutLosingAnAnswer() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        PartitionMap before = nodes.map(2);
        assertEquals(3, before.getGroupsCount(), "every node hosts the three groups");
        assertEquals(0, group(before, 0).getPlacedOn());
        try (FormicaClient client = nodes.client(ModelledDecideLoad.BORROWERS)) {
            ModelledDecideLoad load = new ModelledDecideLoad(client, g -> nodes.leader(g) >= 0).start();
            await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= 30);

            MovePartitionsResponse there = admin(0).movePartitions(move(0, 1));
            assertEquals(0, there.getGroup());
            assertEquals(0, there.getFromNode());
            assertTrue(there.getMap().getVersion() > before.getVersion(), "the map's version grew");
            assertTrue(group(there.getMap(), 0).getTerm() > group(before, 0).getTerm(), "group 0 has a new term");
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(0) == 1);
            for (int node = 0; node < 3; node++) {
                int n = node;
                await().atMost(Duration.ofSeconds(10)).until(() -> group(nodes.map(n), 0).getPlacedOn() == 1);
            }
            int afterMove = load.decided();
            await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= afterMove + 30);
            // the hand-over gives a group to its placed node after 3 close checks a second apart: 5 s would see it
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> nodes.leader(0) == 1);

            StatusRuntimeException notLeader = assertThrows(StatusRuntimeException.class,
                    () -> admin(0).movePartitions(move(0, 0)));
            assertEquals(Status.Code.FAILED_PRECONDITION, notLeader.getStatus().getCode());
            assertTrue(notLeader.getStatus().getDescription().startsWith("group: partition 0 is owned by node 1"),
                    notLeader.getStatus().getDescription());

            MovePartitionsResponse back = admin(1).movePartitions(move(0, 0));
            assertEquals(1, back.getFromNode());
            assertTrue(back.getMap().getVersion() > there.getMap().getVersion());
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(0) == 0);
            int afterBack = load.decided();
            await().atMost(Duration.ofSeconds(60)).until(() -> load.decided() >= afterBack + 30);
            load.stop();
            load.assertEveryApprovalOnce();
        }
        assertEquals(0, nodes.failStops.get(), "a move never leaves its old leader with uncommitted effects");
        assertEquals(0, nodes.claimant(firstPartitionOf(0)));
    }

    @Test
    void movesThatCannotBeDoneAreRefusedWithTheReasonAndChangeNothing() throws Exception {
        nodes.startAll();
        nodes.awaitEveryGroupLedByItsOwnNode();
        assertInvalid("to_node", () -> admin(0).movePartitions(move(0, 3)));
        assertInvalid("group", () -> admin(0).movePartitions(move(-1, 1)));
        assertInvalid("group", () -> admin(0).movePartitions(MovePartitionsRequest.newBuilder().setToNode(1).build()));
        assertInvalid("partition", () -> admin(0).movePartitions(MovePartitionsRequest.newBuilder().setGroup(0)
                .setPartition(3).setToNode(1).build()));
        assertInvalid("partition", () -> admin(0).movePartitions(MovePartitionsRequest.newBuilder()
                .setPartition(256).setToNode(1).build()));
        StatusRuntimeException noToken = assertThrows(StatusRuntimeException.class, () -> AdminServiceGrpc
                .newBlockingStub(nodes.channel(0)).withDeadlineAfter(10, TimeUnit.SECONDS).movePartitions(move(0, 1)));
        assertEquals(Status.Code.UNAUTHENTICATED, noToken.getStatus().getCode());

        nodes.stop(2);
        // until the leader has missed node 2 for an election timeout, a move may try it and fail (UNAVAILABLE,
        // the placement put back); then it is refused before anything is done
        AtomicInteger unavailable = new AtomicInteger();
        StatusRuntimeException[] down = new StatusRuntimeException[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> admin(0).movePartitions(move(0, 2)));
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                unavailable.incrementAndGet();
                return false;
            }
            down[0] = e;
            return true;
        });
        assertEquals(Status.Code.FAILED_PRECONDITION, down[0].getStatus().getCode());
        assertTrue(down[0].getStatus().getDescription().startsWith("to_node: node 2 does not answer group 0's"
                + " leader"), down[0].getStatus().getDescription());
        assertEquals(0, nodes.leader(0), "nothing moved");
        assertEquals(0, group(nodes.map(1), 0).getPlacedOn(), "nothing placed");

        // by partition: partition 100 is group 1's, led by node 1
        MovePartitionsResponse moved = admin(1).movePartitions(MovePartitionsRequest.newBuilder().setPartition(100)
                .setToNode(0).build());
        assertEquals(1, moved.getGroup());
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.leader(1) == 0);
        assertEquals(0, nodes.failStops.get());
    }

    private static void assertInvalid(String field, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith(field + ":"), e.getStatus().getDescription());
    }
}
