package dev.formica.client;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.formica.v1.ClusterNode;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.PartitionMap;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node of a fake cluster that answers only for the partitions it owns and refuses the others as the engine does
 * (FAILED_PRECONDITION + ErrorInfo naming the owner). Thread-safe.
 */
final class PartitionedNode extends DecisionServiceGrpc.DecisionServiceImplBase {
    final int self;
    final List<String> nodes;
    final int[] owners;
    final AtomicInteger refusals = new AtomicInteger();
    final AtomicInteger served = new AtomicInteger();
    final AtomicInteger mapReads = new AtomicInteger();
    /** Answer GetPartitionMap with UNIMPLEMENTED, as a server before the RPC existed. */
    volatile boolean noMapRpc;
    /** Name this node itself as the owner in refusals (a broken map): the client must not loop. */
    volatile boolean ownerIsSelf;
    /** Answer Decide with UNAVAILABLE, as a node that is down (its partitions failed over elsewhere). */
    volatile boolean down;
    final AtomicInteger unavailable = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong(1);

    PartitionedNode(int self, List<String> nodes, int[] owners) {
        this.self = self;
        this.nodes = nodes;
        this.owners = owners;
    }

    /** Node {@code self} of a cluster whose owners are the ranges over {@code nodes}. */
    static PartitionedNode ranges(int self, List<String> nodes) {
        int[] owners = new int[256];
        for (int p = 0; p < 256; p++) {
            owners[p] = p * nodes.size() / 256;
        }
        return new PartitionedNode(self, nodes, owners);
    }

    private boolean refused(int partition, String field, StreamObserver<?> out) {
        if (owners[partition] == self) {
            served.incrementAndGet();
            return false;
        }
        refusals.incrementAndGet();
        String owner = nodes.get(ownerIsSelf ? self : owners[partition]);
        ErrorInfo info = ErrorInfo.newBuilder().setDomain("formica.dev").setReason("PARTITION_NOT_OWNED")
                .putMetadata("partition", Integer.toString(partition)).putMetadata("owner_node", "0")
                .putMetadata("owner_address", owner).build();
        Metadata trailers = new Metadata();
        trailers.put(ClusterRouter.OWNER_ADDRESS, owner);
        out.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage(field + ": partition " + partition
                        + " is owned by " + owner).addDetails(Any.pack(info)).build(), trailers));
        return true;
    }

    @Override
    public void decide(DecisionRequest request, StreamObserver<DecisionResponse> out) {
        if (down) {
            unavailable.incrementAndGet();
            out.onError(Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException());
            return;
        }
        int partition = BorrowerRouter.partition(request.getBorrowerId());
        if (refused(partition, "borrower_id", out)) {
            return;
        }
        long id = ((long) partition << 56) | sequence.getAndIncrement();
        out.onNext(DecisionResponse.newBuilder().setRequestId(request.getRequestId()).setOutcome(Outcome.APPROVE)
                .setHoldId("h" + Long.toHexString(id)).setRuleSetVersion("node-" + self).build());
        out.onCompleted();
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<ConfirmResponse> out) {
        int partition = BorrowerRouter.holdPartition(request.getHoldId());
        if (partition < 0) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("hold_id: not a hold id").asRuntimeException());
            return;
        }
        if (refused(partition, "hold_id", out)) {
            return;
        }
        out.onNext(ConfirmResponse.newBuilder().setRequestId(request.getRequestId()).setHoldId(request.getHoldId())
                .build());
        out.onCompleted();
    }

    @Override
    public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMap> out) {
        mapReads.incrementAndGet();
        if (noMapRpc) {
            out.onError(Status.UNIMPLEMENTED.asRuntimeException());
            return;
        }
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(256).setAnsweredBy(self);
        for (int i = 0; i < nodes.size(); i++) {
            map.addNodes(ClusterNode.newBuilder().setId(i).setAddress(nodes.get(i)));
        }
        for (int owner : owners) {
            map.addOwners(owner);
        }
        out.onNext(map.build());
        out.onCompleted();
    }
}
