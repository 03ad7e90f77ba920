package dev.formica.engine.server;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.replication.GroupMoves;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.MovePartitionsRequest;
import dev.formica.v1.MovePartitionsResponse;
import dev.formica.v1.PartitionMap;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdminService.MovePartitions} (docs/cluster.md, "Membership and moving partitions"): checks the request,
 * sends a caller that did not reach the group's leader there (the PARTITION_NOT_OWNED refusal naming the leader), and
 * has the leader's {@link GroupMoves} move the group; answers once the move is done or refused, never blocking the
 * event loop.
 *
 * <p>Thread contract: called on Netty event-loop threads; the answer comes from the hand-over thread.
 */
final class GroupMoveService {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMoveService.class);

    private final DecisionPipeline pipeline;
    private final Supplier<PartitionMap> map;

    GroupMoveService(DecisionPipeline pipeline, Supplier<PartitionMap> map) {
        this.pipeline = pipeline;
        this.map = map;
    }

    void move(MovePartitionsRequest request, StreamObserver<MovePartitionsResponse> out) {
        PartitionTable table = pipeline.partitions();
        int nodes = table.nodes().size();
        String bad = check(request, table.ranges(), nodes);
        if (bad != null) {
            out.onError(RequestValidator.invalid(bad));
            return;
        }
        GroupMoves moves = pipeline.moves();
        if (moves == null) {
            out.onError(Refusals.failedPrecondition(ErrorReason.MOVE_REFUSED, "this server has no replication"
                    + " (clusterReplication: ratis): its partitions do not move (docs/cluster.md)"));
            return;
        }
        int group = request.hasGroup() ? request.getGroup() : PartitionTable.rangeOwner(request.getPartition(),
                table.ranges());
        int to = request.getToNode();
        int firstPartition = table.range(group)[0];
        moves.move(group, to).whenComplete((outcome, error) -> {
            if (error != null) {
                out.onError(Status.INTERNAL.withDescription(error.toString()).asRuntimeException());
                return;
            }
            switch (outcome.kind()) {
                case MOVED -> {
                    LOG.info("group " + group + " moved from node " + outcome.from() + " to node " + to);
                    out.onNext(MovePartitionsResponse.newBuilder().setGroup(group).setFromNode(outcome.from())
                            .setMap(map.get()).build());
                    out.onCompleted();
                }
                case NOT_LEADER -> out.onError(table.ownerOf(firstPartition) == table.self()
                        ? unavailable(outcome.message() + " (no leader known yet)", 500)
                        : GrpcErrors.toStatus(table.refusal(firstPartition, "group")));
                case REFUSED -> out.onError(Refusals.failedPrecondition(ErrorReason.MOVE_REFUSED, outcome.message()));
                case IN_PROGRESS -> out.onError(Refusals.failedPrecondition(
                        ErrorReason.MEMBERSHIP_CHANGE_IN_PROGRESS, outcome.message()));
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
    static String check(MovePartitionsRequest request, int groups, int nodes) {
        if (request.hasGroup() == request.hasPartition()) {
            return request.hasGroup() ? "partition: give a group or a partition, not both"
                    : "group: required (or a partition of the group)";
        }
        if (request.hasGroup() && (request.getGroup() < 0 || request.getGroup() >= groups)) {
            return "group: " + request.getGroup() + " is not a group of this cluster (0.." + (groups - 1) + ")";
        }
        if (request.hasPartition() && (request.getPartition() < 0 || request.getPartition() >= Partitions.COUNT)) {
            return "partition: " + request.getPartition() + " is not 0.." + (Partitions.COUNT - 1);
        }
        if (request.getToNode() < 0 || request.getToNode() >= nodes) {
            return "to_node: " + request.getToNode() + " is not a node of this cluster (0.." + (nodes - 1) + ")";
        }
        return null;
    }
}
