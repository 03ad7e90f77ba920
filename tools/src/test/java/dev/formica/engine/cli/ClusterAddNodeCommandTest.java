package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.formica.v1.AddNodeRequest;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ChangeMembersResponse;
import dev.formica.v1.ClusterNode;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionGroup;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.RemoveNodeRequest;
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
 * {@code formica cluster add-node} and {@code remove-node}: one change per group (every group of --target's map by
 * default), each sent to --target and, when refused with PARTITION_NOT_OWNED, to the leader it names; a node that
 * leads a group is not removed. Fake services on 127.0.0.1 (port 0) stand for the nodes; the changes themselves are
 * checked on real replicated engines by the engine's {@code ReplicatedAddNodeTest}.
 */
class ClusterAddNodeCommandTest {
    private static final String TOKEN = "cluster-add-node-test-token";
    private final List<Server> servers = new ArrayList<>();
    private final List<String> received = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() throws InterruptedException {
        for (Server s : servers) {
            s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Two groups: group 0 led by node 0, group {@code 1} led by {@code leaderOfOne}. */
    private static PartitionMap map(int leaderOfOne) {
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(256).setAnsweredBy(0).setVersion(4)
                .setGroupCount(2);
        for (int i = 0; i < 4; i++) {
            map.addNodes(ClusterNode.newBuilder().setId(i).setAddress("127.0.0.1:" + (5000 + i)));
        }
        for (int p = 0; p < 256; p++) {
            map.addOwners(p < 128 ? 0 : leaderOfOne);
        }
        map.addGroups(PartitionGroup.newBuilder().setId(0).setFirstPartition(0).setLastPartition(127).setLeader(0)
                .setTerm(2).addReplicas(0).addReplicas(1).addReplicas(3));
        map.addGroups(PartitionGroup.newBuilder().setId(1).setFirstPartition(128).setLastPartition(255)
                .setLeader(leaderOfOne).setTerm(2).addReplicas(0).addReplicas(1).addReplicas(3));
        return map.build();
    }

    private Server start(String name, int leaderOfOne, String otherLeader) throws Exception {
        AdminServiceGrpc.AdminServiceImplBase admin = new AdminServiceGrpc.AdminServiceImplBase() {
            @Override
            public void addNode(AddNodeRequest request, StreamObserver<ChangeMembersResponse> out) {
                received.add(name + " add " + request.getGroup() + " " + request.getNode() + " "
                        + request.getAddress() + " " + request.getRaftAddress());
                answer(request.getGroup(), out);
            }

            @Override
            public void removeNode(RemoveNodeRequest request, StreamObserver<ChangeMembersResponse> out) {
                received.add(name + " remove " + request.getGroup() + " " + request.getNode());
                if (otherLeader == null) {
                    out.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                            .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage("node: without node 1, group 0"
                                    + " would have 2 members of which 1 answer its leader: not a majority")
                            .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("formica.dev")
                                    .setReason("MEMBERSHIP_REFUSED").build())).build()));
                    return;
                }
                answer(request.getGroup(), out);
            }

            private void answer(int group, StreamObserver<ChangeMembersResponse> out) {
                if (group == 1 && otherLeader != null) {
                    out.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                            .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage("group: partition 128 is owned by"
                                    + " node 1 (" + otherLeader + "), not by node 0")
                            .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain("formica.dev")
                                    .setReason("PARTITION_NOT_OWNED").putMetadata("partition", "128")
                                    .putMetadata("owner_node", "1").putMetadata("owner_address", otherLeader)
                                    .build())).build()));
                    return;
                }
                out.onNext(ChangeMembersResponse.newBuilder().setGroup(group).setChanged(true).addReplicas(0)
                        .addReplicas(1).addReplicas(2).addReplicas(3).setMap(map(leaderOfOne)).build());
                out.onCompleted();
            }
        };
        DecisionServiceGrpc.DecisionServiceImplBase decisions = new DecisionServiceGrpc.DecisionServiceImplBase() {
            @Override
            public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMap> out) {
                out.onNext(map(leaderOfOne));
                out.onCompleted();
            }
        };
        Server s = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(admin)
                .addService(decisions).build().start();
        servers.add(s);
        return s;
    }

    @Test
    void shouldAddTheNodeToEveryGroupAtItsLeader() throws Exception {
        Server leaderOfOne = start("b", 1, null);
        Server target = start("a", 1, "127.0.0.1:" + leaderOfOne.getPort());

        CliRun run = CliRun.of("cluster", "add-node", "--node", "3", "--address", "127.0.0.1:5003",
                "--raft-address", "127.0.0.1:6003", "--target", "127.0.0.1:" + target.getPort(), "--token", TOKEN);

        assertEquals(0, run.exit(), run.all());
        assertEquals(List.of("a add 0 3 127.0.0.1:5003 127.0.0.1:6003", "a add 1 3 127.0.0.1:5003 127.0.0.1:6003",
                "b add 1 3 127.0.0.1:5003 127.0.0.1:6003"), received, "group 1 at its leader, found by the redirect");
        assertTrue(run.out().contains("group 0: node 3 added and caught up; its replicas are nodes [0, 1, 2, 3]"),
                run.all());
        assertTrue(run.out().contains("asking its leader at 127.0.0.1:" + leaderOfOne.getPort()), run.all());
        assertTrue(run.out().contains("  3    127.0.0.1:5003"), run.all());
    }

    @Test
    void shouldNotRemoveANodeThatLeadsAGroupAndPrintARefusal() throws Exception {
        Server target = start("a", 3, null);

        CliRun leads = CliRun.of("cluster", "remove-node", "--node", "3", "--target",
                "127.0.0.1:" + target.getPort(), "--token", TOKEN);
        assertEquals(1, leads.exit(), leads.all());
        assertTrue(leads.err().contains("node 3 leads group 1: move the group to another member first"), leads.all());
        assertEquals(List.of(), received, "nothing sent");

        CliRun refused = CliRun.of("cluster", "remove-node", "--node", "1", "--group", "0", "--target",
                "127.0.0.1:" + target.getPort(), "--token", TOKEN);
        assertEquals(1, refused.exit(), refused.all());
        assertEquals(List.of("a remove 0 1"), received);
        assertTrue(refused.err().startsWith("formica cluster remove-node: FAILED_PRECONDITION MEMBERSHIP_REFUSED:"
                + " node: without node 1"), refused.all());
    }
}
