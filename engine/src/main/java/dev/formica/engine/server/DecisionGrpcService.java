package dev.formica.engine.server;

import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.AnswerBytes;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Operation;
import dev.formica.engine.pipeline.WireCall;
import dev.formica.engine.server.tracing.TracingInterceptor;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ClusterNode;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionError;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.GetDecisionRequest;
import dev.formica.v1.GetPartitionMapRequest;
import dev.formica.v1.PartitionMap;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code DecisionService}: validates every request on the event loop, then hands it to the decision
 * pipeline, which answers from the borrower's shard.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor); replies are completed
 * from shard threads.
 */
final class DecisionGrpcService implements DecisionServiceGrpc.AsyncService, BindableService {
    private final DecisionPipeline pipeline;
    private volatile PartitionMap partitionMap;
    /** {@code shardMode: LOOP}: the shard port of each owned partition; null without shard ports. */
    private volatile int[] partitionPorts;
    /** Tracing is on: a sampled Decide's span gets its stage timings ({@link TracingInterceptor}). */
    private final boolean traced;

    public DecisionGrpcService(DecisionPipeline pipeline) {
        this(pipeline, false);
    }

    public DecisionGrpcService(DecisionPipeline pipeline, boolean traced) {
        this.pipeline = pipeline;
        this.partitionMap = toProto(pipeline.partitions());
        this.traced = traced;
    }

    /** {@code shardMode: LOOP}: the maps answered from now on name {@code ports} (index = partition). */
    void partitionPorts(int[] ports) {
        partitionPorts = ports.clone();
        partitionMap = toProto(pipeline.partitions());
    }

    private PartitionMap toProto(PartitionTable table) {
        PartitionMap.Builder map = PartitionMap.newBuilder().setPartitionCount(Partitions.COUNT)
                .setAnsweredBy(table.self());
        PartitionMaps.addGroups(map, table); // first: a group's members may name a node added since (its address)
        List<String> nodes = table.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            map.addNodes(ClusterNode.newBuilder().setId(i).setAddress(nodes.get(i)));
        }
        for (int p = 0; p < Partitions.COUNT; p++) {
            map.addOwners(table.ownerOf(p));
        }
        int[] ports = partitionPorts;
        if (ports != null) {
            for (int port : ports) {
                map.addPartitionPorts(port);
            }
        }
        return map.build();
    }

    /** The definition with Decide, DecideStream and GetDecision sent as wire bytes ({@link DecisionWireMethods}). */
    @Override
    public ServerServiceDefinition bindService() {
        return DecisionWireMethods.rebind(DecisionServiceGrpc.bindService(this), this);
    }

    void decideWire(DecisionRequest request, StreamObserver<DecisionReply> out) {
        long start = System.nanoTime();
        if (!GrpcReplies.rejected(RequestValidator.check(request), out) && !GrpcReplies.rejected(
                RequestValidator.market(pipeline.markets(), request.getMarket(), request.getCurrency()), out)) {
            // tracing off: this boolean is all it costs (no context lookup, no span)
            pipeline.submit(Operation.DECIDE, request, new DecideSink(new UnarySink<>(out),
                    DecisionWireMethods.bytesOf(request)), start,
                    GrpcReplies.deadline(), traced ? TracingInterceptor.stages() : null);
        }
    }

    /** A Decide's answer as wire bytes, or as a message (a refusal), to a unary call; its request's bytes. */
    private static final class DecideSink implements WireCall<DecisionResponse> {
        private final UnarySink<DecisionReply> call;
        private final byte[] request;

        DecideSink(UnarySink<DecisionReply> call, byte[] request) {
            this.call = call;
            this.request = request;
        }

        @Override
        public byte[] requestBytes() {
            return request;
        }

        @Override
        public void onAnswerBytes(AnswerBytes response) {
            call.onResult(DecisionReply.wire(response));
        }

        @Override
        public void onResult(DecisionResponse result) {
            call.onResult(DecisionReply.of(result));
        }

        @Override
        public void onError(Refused error) {
            call.onError(error);
        }
    }

    StreamObserver<DecisionRequest> decideStreamWire(StreamObserver<DecisionReply> out) {
        return new DecisionStream(out);
    }

    /**
     * One DecideStream call. Responses come from several shard threads, so writes to the response
     * stream are serialised on this object; the stream completes once the client has half-closed
     * and every request has been answered.
     */
    private final class DecisionStream implements StreamObserver<DecisionRequest> {
        private final StreamObserver<DecisionReply> out;
        private final AtomicInteger pending = new AtomicInteger(1);
        private boolean done;

        DecisionStream(StreamObserver<DecisionReply> out) {
            this.out = out;
        }

        @Override
        public void onNext(DecisionRequest request) {
            long start = System.nanoTime();
            byte[] bytes = DecisionWireMethods.bytesOf(request);
            pending.incrementAndGet();
            FieldViolations violations = RequestValidator.check(request);
            Refused market = violations != null ? null
                    : RequestValidator.market(pipeline.markets(), request.getMarket(), request.getCurrency());
            WireCall<DecisionResponse> sink = new WireCall<>() {
                @Override
                public byte[] requestBytes() {
                    return bytes;
                }

                @Override
                public void onAnswerBytes(AnswerBytes response) {
                    send(DecisionReply.wire(response));
                }

                @Override
                public void onResult(DecisionResponse result) {
                    send(DecisionReply.of(result));
                }

                @Override
                public void onError(Refused error) {
                    refuse(request, GrpcErrors.toStatus(error));
                }
            };
            if (violations != null) {
                refuse(request, Refusals.invalid(violations));
            } else if (market != null) {
                sink.onError(market);
            } else {
                pipeline.submit(Operation.DECIDE, request, sink, start, GrpcReplies.deadline(), null);
            }
        }

        /** Answers one request of the stream with its refusal, as a {@code DecisionError} in the stream. */
        private void refuse(DecisionRequest request, StatusRuntimeException error) {
            send(DecisionReply.of(DecisionResponse.newBuilder().setRequestId(request.getRequestId())
                    .setError(DecisionError.newBuilder().setCode(error.getStatus().getCode().value())
                            .setMessage(String.valueOf(error.getStatus().getDescription()))
                            .addAllDetails(Refusals.details(error)))
                    .build()));
        }

        private void send(DecisionReply response) {
            synchronized (this) {
                if (!done) {
                    try {
                        out.onNext(response);
                    } catch (StatusRuntimeException | IllegalStateException cancelled) {
                        done = true;
                    }
                }
            }
            finishIfIdle();
        }

        private void finishIfIdle() {
            if (pending.decrementAndGet() == 0) {
                synchronized (this) {
                    if (!done) {
                        done = true;
                        try {
                            out.onCompleted();
                        } catch (StatusRuntimeException | IllegalStateException cancelled) {
                            // client went away
                        }
                    }
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                done = true;
            }
        }

        @Override
        public void onCompleted() {
            finishIfIdle();
        }
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<ConfirmResponse> out) {
        GrpcReplies.submit(pipeline, Operation.CONFIRM, request, RequestValidator.check(request), "", "", out);
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<CancelResponse> out) {
        GrpcReplies.submit(pipeline, Operation.CANCEL, request, RequestValidator.check(request), "", "", out);
    }

    @Override
    public void repay(RepayRequest request, StreamObserver<RepayResponse> out) {
        GrpcReplies.submit(pipeline, Operation.REPAY, request, RequestValidator.check(request), request.getMarket(),
                request.getCurrency(), out);
    }

    @Override
    public void getCreditLine(GetCreditLineRequest request, StreamObserver<CreditLine> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            pipeline.creditLine(request, new UnarySink<>(out), GrpcReplies.deadline());
        }
    }

    @Override
    public void apply(CreditApplication request, StreamObserver<CreditOffer> out) {
        GrpcReplies.submit(pipeline, Operation.APPLY, request, RequestValidator.check(request), request.getMarket(),
                request.getCurrency(), out);
    }

    void getDecisionWire(GetDecisionRequest request, StreamObserver<DecisionReply> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        pipeline.storedDecision(request.getRequestId(), request.getBorrowerId(),
                new DecideSink(new UnarySink<>(out), null), GrpcReplies.deadline());
    }

    @Override
    public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMap> out) {
        out.onNext(currentMap());
        out.onCompleted();
    }

    /** The map of this moment (with replication the owners follow the groups' leaders); MovePartitions answers it. */
    PartitionMap currentMap() {
        PartitionTable table = pipeline.partitions();
        return table.version() == 0 ? partitionMap : toProto(table);
    }
}
