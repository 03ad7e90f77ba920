package dev.formica.client;

import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.EchoResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Echo that fails the next calls with scripted statuses and counts attempts. Thread-safe. */
final class FakeDiagnosticsService extends DiagnosticsServiceGrpc.DiagnosticsServiceImplBase {
    final Queue<Status> failures = new ConcurrentLinkedQueue<>();
    final AtomicInteger attempts = new AtomicInteger();

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
        attempts.incrementAndGet();
        Status failure = failures.poll();
        if (failure != null) {
            responses.onError(failure.asRuntimeException());
            return;
        }
        responses.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
        responses.onCompleted();
    }
}
