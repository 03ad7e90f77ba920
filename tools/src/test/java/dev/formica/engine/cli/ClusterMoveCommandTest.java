package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ClusterNode;
import dev.formica.v1.MovePartitionsRequest;
import dev.formica.v1.MovePartitionsResponse;
import dev.formica.v1.PartitionMap;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code formica cluster move}: sent to {@code --target}, it follows a refusal naming the group's leader
 * ({@code PARTITION_NOT_OWNED} with {@code owner_address}) to that node, and prints the move and the leader's map;
 * two fake AdminServices on 127.0.0.1 (port 0) stand for a follower and the leader. The move itself is checked on
 * real replicated engines by the engine's {@code ReplicatedMoveTest}.
 */
class ClusterMoveCommandTest {
    private final List<Server> servers = new ArrayList<>();
    private final List<MovePartitionsRequest> received = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() throws InterruptedException {
        for (Server s : servers) {
            s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private Server start(AdminServiceGrpc.AdminServiceImplBase service) throws Exception {
        Server s = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(service).build()
                .start();
        servers.add(s);
        return s;
    }

    /** FAILED_PRECONDITION with {@code info} (domain formica.dev) in the details, as the engine refuses. */
    private static io.grpc.StatusRuntimeException refusal(String message, ErrorInfo.Builder info) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage(message)
                .addDetails(Any.pack(info.setDomain("formica.dev").build())).build());
    }

    /** The group's leader: takes the move and answers with its map (group 1 moved to node 0). */
    private AdminServiceGrpc.AdminServiceImplBase leader() {
        return new AdminServiceGrpc.AdminServiceImplBase() {
            @Override
            public void movePartitions(MovePartitionsRequest request, StreamObserver<MovePartitionsResponse> out) {
                received.add(request);
                PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(256).setAnsweredBy(1)
                        .setVersion(7);
                for (int i = 0; i < 2; i++) {
                    map.addNodes(ClusterNode.newBuilder().setId(i).setAddress("127.0.0.1:" + (5000 + i)));
                }
                for (int p = 0; p < 256; p++) {
                    map.addOwners(0); // group 1 moved to node 0
                }
                out.onNext(MovePartitionsResponse.newBuilder().setGroup(1).setFromNode(1).setMap(map).build());
                out.onCompleted();
            }
        };
    }

    /** A follower: refuses the move, naming the leader at {@code leaderAddress}. */
    private AdminServiceGrpc.AdminServiceImplBase follower(String leaderAddress) {
        return new AdminServiceGrpc.AdminServiceImplBase() {
            @Override
            public void movePartitions(MovePartitionsRequest request, StreamObserver<MovePartitionsResponse> out) {
                received.add(request);
                out.onError(refusal("group: partition 128 is owned by node 1 (" + leaderAddress + "), not by node 0",
                        ErrorInfo.newBuilder().setReason("PARTITION_NOT_OWNED").putMetadata("partition", "128")
                                .putMetadata("owner_node", "1").putMetadata("owner_address", leaderAddress)));
            }
        };
    }

    @Test
    void shouldFollowTheRefusalToTheGroupsLeaderAndPrintTheMove() throws Exception {
        String leaderAddress = "127.0.0.1:" + start(leader()).getPort();
        Server follower = start(follower(leaderAddress));

        CliRun run = CliRun.of("cluster", "move", "--group", "1", "--to", "0", "--target",
                "127.0.0.1:" + follower.getPort(), "--token", "cluster-move-test-token");

        assertEquals(0, run.exit(), run.all());
        assertEquals(2, received.size(), "the follower, then the leader");
        assertEquals(MovePartitionsRequest.newBuilder().setGroup(1).setToNode(0).build(), received.get(1));
        assertTrue(run.out().contains("asking its leader at " + leaderAddress), run.all());
        assertTrue(run.out().contains("group 1 moved from node 1 to node 0"), run.all());
        assertTrue(run.out().contains("  0    127.0.0.1:5000                                  256  0-255"), run.all());
    }

    /**
     * {@code --redirect-port}: the refusal names the leader's client address (here a port nobody listens on, as a
     * plaintext client port is to an operator outside the cluster); the command dials the leader's host at the
     * given port instead (the nodes' adminPort).
     */
    @Test
    void shouldDialTheLeadersHostAtTheRedirectPort() throws Exception {
        int leaderPort = start(leader()).getPort();
        int closed;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            closed = probe.getLocalPort();
        }
        Server follower = start(follower("127.0.0.1:" + closed));

        CliRun run = CliRun.of("cluster", "move", "--group", "1", "--to", "0", "--target",
                "127.0.0.1:" + follower.getPort(), "--token", "cluster-move-test-token", "--redirect-port",
                Integer.toString(leaderPort));

        assertEquals(0, run.exit(), run.all());
        assertEquals(2, received.size(), "the follower, then the leader at the redirect port");
        assertTrue(run.out().contains("asking its leader at 127.0.0.1:" + leaderPort), run.all());
        assertTrue(run.out().contains("group 1 moved from node 1 to node 0"), run.all());
    }

    @Test
    void shouldPrintARefusalWithItsReasonAndNotRetryIt() throws Exception {
        Server leader = start(new AdminServiceGrpc.AdminServiceImplBase() {
            @Override
            public void movePartitions(MovePartitionsRequest request, StreamObserver<MovePartitionsResponse> out) {
                received.add(request);
                out.onError(refusal("to_node: node 2 does not answer group 0's leader; is it down?",
                        ErrorInfo.newBuilder().setReason("MOVE_REFUSED")));
            }
        });

        CliRun run = CliRun.of("cluster", "move", "--partition", "3", "--to", "2", "--target",
                "127.0.0.1:" + leader.getPort(), "--token", "cluster-move-test-token");

        assertEquals(1, run.exit(), run.all());
        assertEquals(1, received.size());
        assertEquals(3, received.get(0).getPartition());
        assertTrue(run.err().startsWith("formica cluster move: FAILED_PRECONDITION MOVE_REFUSED: to_node: node 2 does"
                + " not answer"), run.all());
    }
}
