package dev.formica.engine.server;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.replication.GroupMembers;
import dev.formica.v1.AddNodeRequest;
import dev.formica.v1.ChangeMembersResponse;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.RemoveNodeRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdminService.AddNode} and {@code RemoveNode} (docs/cluster.md, "Adding and removing a node"): checks the
 * request, sends a caller that did not reach the group's leader there (the PARTITION_NOT_OWNED refusal naming the
 * leader, as {@link GroupMoveService} does), and has the leader's {@link GroupMembers} change the group's Raft
 * configuration; answers once the change is done or refused, never blocking the event loop.
 *
 * <p>Thread contract: called on Netty event-loop threads; the answer comes from the hand-over thread.
 */
final class GroupMembersService {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMembersService.class);
    private static final String HOST_PORT = "[A-Za-z0-9._\\-\\[\\]:]+:[0-9]{1,5}";

    private final DecisionPipeline pipeline;
    private final Supplier<PartitionMap> map;

    GroupMembersService(DecisionPipeline pipeline, Supplier<PartitionMap> map) {
        this.pipeline = pipeline;
        this.map = map;
    }

    void add(AddNodeRequest request, StreamObserver<ChangeMembersResponse> out) {
        PartitionTable table = pipeline.partitions();
        String bad = check(request, table.ranges(), table.nodes());
        if (bad != null) {
            out.onError(RequestValidator.invalid(bad));
            return;
        }
        GroupMembers members = members(out);
        if (members != null) {
            answer(members.add(request.getGroup(), request.getNode(), request.getRaftAddress(), request.getAddress()),
                    request.getGroup(), "node " + request.getNode() + " added to", table, out);
        }
    }

    void remove(RemoveNodeRequest request, StreamObserver<ChangeMembersResponse> out) {
        PartitionTable table = pipeline.partitions();
        String bad = check(request, table.ranges(), table.nodes().size());
        if (bad != null) {
            out.onError(RequestValidator.invalid(bad));
            return;
        }
        GroupMembers members = members(out);
        if (members != null) {
            answer(members.remove(request.getGroup(), request.getNode()), request.getGroup(),
                    "node " + request.getNode() + " removed from", table, out);
        }
    }

    private GroupMembers members(StreamObserver<ChangeMembersResponse> out) {
        GroupMembers members = pipeline.members();
        if (members == null) {
            out.onError(Refusals.failedPrecondition(ErrorReason.MEMBERSHIP_REFUSED, "this server has no replication"
                    + " (clusterReplication: ratis): it has no groups to add a node to (docs/cluster.md)"));
        }
        return members;
    }

    private void answer(CompletableFuture<GroupMembers.Outcome> change, int group, String what, PartitionTable table,
            StreamObserver<ChangeMembersResponse> out) {
        int firstPartition = table.range(group)[0];
        change.whenComplete((outcome, error) -> {
            if (error != null) {
                out.onError(Status.INTERNAL.withDescription(error.toString()).asRuntimeException());
                return;
            }
            switch (outcome.kind()) {
                case DONE -> {
                    if (outcome.changed()) {
                        LOG.info(what + " group " + group + "; its members are " + outcome.members());
                    }
                    out.onNext(ChangeMembersResponse.newBuilder().setGroup(group).setChanged(outcome.changed())
                            .addAllReplicas(outcome.members()).setMap(map.get()).build());
                    out.onCompleted();
                }
                case NOT_LEADER -> out.onError(table.ownerOf(firstPartition) == table.self()
                        ? unavailable(outcome.message() + " (no leader known yet)", 500)
                        : GrpcErrors.toStatus(table.refusal(firstPartition, "group")));
                case REFUSED -> out.onError(Refusals.failedPrecondition(ErrorReason.MEMBERSHIP_REFUSED,
                        outcome.message()));
                case IN_PROGRESS -> out.onError(Refusals.failedPrecondition(
                        ErrorReason.MEMBERSHIP_CHANGE_IN_PROGRESS, outcome.message()));
                case UNREACHABLE -> out.onError(Refusals.failedPrecondition(ErrorReason.NODE_UNREACHABLE,
                        outcome.message()));
                case UNAVAILABLE -> out.onError(unavailable(outcome.message(), 1000));
                default -> throw new IllegalStateException("unknown outcome " + outcome.kind());
            }
        });
    }

    private static io.grpc.StatusRuntimeException unavailable(String message, long retryDelayMs) {
        return Refusals.builder(Status.Code.UNAVAILABLE, ErrorReason.LOG_UNAVAILABLE, message)
                .retryAfterMillis(retryDelayMs).build();
    }

    /** The one bad field of {@code request} ("field: why"), or null. */
    static String check(AddNodeRequest request, int groups, java.util.List<String> nodes) {
        String group = checkGroup(request.getGroup(), groups);
        if (group != null) {
            return group;
        }
        int node = request.getNode();
        if (node < 0 || node > nodes.size() || node >= Partitions.COUNT) {
            return "node: " + node + " is neither a node of this cluster (0.." + (nodes.size() - 1) + ") nor the next"
                    + " id (" + nodes.size() + ")";
        }
        if (node == nodes.size() && !request.getAddress().matches(HOST_PORT)) {
            return "address: a new node's gRPC address (host:port as clients dial it) is required, was '"
                    + request.getAddress() + "'";
        }
        if (node < nodes.size() && !request.getAddress().isEmpty() && !request.getAddress().equals(nodes.get(node))) {
            return "address: node " + node + " is at " + nodes.get(node) + ", not " + request.getAddress();
        }
        if (!request.getRaftAddress().matches(HOST_PORT)) {
            return "raft_address: the node's Raft address (host:port, its clusterRaftNodes entry) is required, was '"
                    + request.getRaftAddress() + "'";
        }
        return null;
    }

    /** The one bad field of {@code request} ("field: why"), or null. */
    static String check(RemoveNodeRequest request, int groups, int nodes) {
        String group = checkGroup(request.getGroup(), groups);
        if (group != null) {
            return group;
        }
        if (request.getNode() < 0 || request.getNode() >= nodes) {
            return "node: " + request.getNode() + " is not a node of this cluster (0.." + (nodes - 1) + ")";
        }
        return null;
    }

    private static String checkGroup(int group, int groups) {
        return group < 0 || group >= groups ? "group: " + group + " is not a group of this cluster (0.."
                + (groups - 1) + ")" : null;
    }
}
