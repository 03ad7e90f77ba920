package dev.formica.client;

import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The request side of {@link FormicaClient#decideStream}: fills request_ids and sends each request
 * to the owner of its borrower's partition (by the routes known when the stream opened), opening one DecideStream
 * per node on first use.
 *
 * <p>Request methods are called by one thread at a time (the gRPC observer contract). Response
 * callbacks come from the legs' threads and are serialised under {@code lock}, so the caller's
 * response observer sees one call at a time: responses as they come, then exactly one
 * {@code onCompleted} (after the caller's {@code onCompleted} and every leg's end) or one
 * {@code onError} (the first failure of any leg, as a {@link FormicaException}, which cancels the others).
 */
final class DecisionStreamRouter implements StreamObserver<DecisionRequest> {
    private final ManagedChannel[] channels;
    private final ClusterRouter.Snapshot routes;
    private final CallOptions options;
    private final StreamObserver<DecisionResponse> responses;
    private final StreamObserver<DecisionRequest>[] legs;
    /** Read by legs' threads to cancel their siblings. */
    private final AtomicReferenceArray<ClientCall<?, ?>> calls;
    private final Object lock = new Object();
    /** Legs opened and not yet closed; guarded by lock. */
    private int open;
    /** The caller called onCompleted; guarded by lock. */
    private boolean halfClosed;
    /** The caller's observer got its terminal callback; written under lock, read without on send. */
    private volatile boolean finished;

    @SuppressWarnings("unchecked")
    DecisionStreamRouter(ClusterRouter.Snapshot routes, CallOptions options,
            StreamObserver<DecisionResponse> responses) {
        this.routes = routes;
        this.channels = routes.channels();
        this.options = options;
        this.responses = responses;
        this.legs = (StreamObserver<DecisionRequest>[]) new StreamObserver<?>[channels.length];
        this.calls = new AtomicReferenceArray<>(channels.length);
    }

    @Override
    public void onNext(DecisionRequest request) {
        if (finished) {
            // The stream already failed; like a cancelled gRPC call, further messages are dropped.
            return;
        }
        DecisionRequest withId = RequestIds.ensure(request);
        int index = routes.index(withId.getBorrowerId());
        StreamObserver<DecisionRequest> leg = legs[index];
        if (leg == null) {
            leg = openLeg(index);
        }
        leg.onNext(withId);
    }

    @Override
    public void onError(Throwable t) {
        boolean anyOpened = false;
        for (int i = 0; i < calls.length(); i++) {
            ClientCall<?, ?> call = calls.get(i);
            if (call != null) {
                anyOpened = true;
                call.cancel("cancelled by the client", t);
            }
        }
        if (!anyOpened) {
            finish(Status.CANCELLED.withDescription("cancelled by the client").withCause(t).asRuntimeException());
        }
    }

    @Override
    public void onCompleted() {
        synchronized (lock) {
            halfClosed = true;
            if (open == 0 && !finished) {
                finished = true;
                responses.onCompleted();
            }
        }
        for (StreamObserver<DecisionRequest> leg : legs) {
            if (leg != null) {
                leg.onCompleted();
            }
        }
    }

    private StreamObserver<DecisionRequest> openLeg(int index) {
        synchronized (lock) {
            open++;
        }
        ClientCall<DecisionRequest, DecisionResponse> call =
                channels[index].newCall(DecisionServiceGrpc.getDecideStreamMethod(), options);
        calls.set(index, call);
        StreamObserver<DecisionRequest> leg = ClientCalls.asyncBidiStreamingCall(call, new Leg());
        legs[index] = leg;
        return leg;
    }

    private void finish(Throwable error) {
        synchronized (lock) {
            if (finished) {
                return;
            }
            finished = true;
            responses.onError(error);
        }
    }

    /** Forwards one target's responses. */
    private final class Leg implements StreamObserver<DecisionResponse> {
        @Override
        public void onNext(DecisionResponse response) {
            synchronized (lock) {
                if (!finished) {
                    responses.onNext(response);
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (lock) {
                open--;
            }
            boolean first = !finished;
            finish(FormicaException.of(t));
            if (first) {
                for (int i = 0; i < calls.length(); i++) {
                    ClientCall<?, ?> call = calls.get(i);
                    if (call != null) {
                        call.cancel("another leg of the decision stream failed", null);
                    }
                }
            }
        }

        @Override
        public void onCompleted() {
            synchronized (lock) {
                open--;
                if (halfClosed && open == 0 && !finished) {
                    finished = true;
                    responses.onCompleted();
                }
            }
        }
    }
}
