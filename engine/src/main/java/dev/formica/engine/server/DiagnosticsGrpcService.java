package dev.formica.engine.server;

import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.EchoResponse;
import io.grpc.stub.StreamObserver;

/**
 * {@code DiagnosticsService}: Echo, the throughput baseline. It runs on the same transport, executor
 * and interceptors as Decide and does no work, so Decide/Echo isolates what the engine costs.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor); stateless.
 */
final class DiagnosticsGrpcService extends DiagnosticsServiceGrpc.DiagnosticsServiceImplBase {
    private static final EchoResponse EMPTY = EchoResponse.getDefaultInstance();

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responseObserver) {
        if (GrpcReplies.rejected(RequestValidator.check(request), responseObserver)) {
            return;
        }
        responseObserver.onNext(request.getPayload().isEmpty()
                ? EMPTY : EchoResponse.newBuilder().setPayload(request.getPayload()).build());
        responseObserver.onCompleted();
    }
}
