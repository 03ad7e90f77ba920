package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.formica.client.FormicaException;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.Outcome;
import dev.formica.v1.Reason;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The target against an in-process Decide service: what each answer completes with, and the follow-ups it starts. */
class GrpcLoadTargetTest {
    private static final int CALLS = 300;

    /** Approves every third request with hold "h-" + its request id, declines the others; refuses every 10th. */
    private static final class Service extends DecisionServiceGrpc.DecisionServiceImplBase {
        final Map<String, String> confirmed = new ConcurrentHashMap<>();
        final Map<String, String> cancelled = new ConcurrentHashMap<>();
        final Map<String, DecisionRequest> decided = new ConcurrentHashMap<>();
        final CountDownLatch followUps;

        Service(int expectedFollowUps) {
            followUps = new CountDownLatch(expectedFollowUps);
        }

        static long index(String requestId) {
            return Long.parseLong(requestId.substring(requestId.lastIndexOf('-') + 1));
        }

        @Override
        public void decide(DecisionRequest request, StreamObserver<DecisionResponse> answer) {
            long i = index(request.getRequestId());
            if (i % 10 == 9) {
                answer.onError(Status.INVALID_ARGUMENT.withDescription("amount_minor").asRuntimeException());
                return;
            }
            decided.put(request.getRequestId(), request);
            DecisionResponse.Builder r = DecisionResponse.newBuilder().setRequestId(request.getRequestId())
                    .addReasons(Reason.newBuilder().setCode("TEST").setText("a reason the tool skips"));
            if (i % 3 == 0) {
                r.setOutcome(Outcome.APPROVE).setHoldId("h-" + request.getRequestId())
                        .setApprovedAmountMinor(request.getAmountMinor());
            } else {
                r.setOutcome(Outcome.DECLINE);
            }
            answer.onNext(r.build());
            answer.onCompleted();
        }

        @Override
        public void confirm(ConfirmRequest request, StreamObserver<ConfirmResponse> answer) {
            confirmed.put(request.getRequestId(), request.getHoldId());
            answer.onNext(ConfirmResponse.newBuilder().setRequestId(request.getRequestId()).build());
            answer.onCompleted();
            followUps.countDown();
        }

        @Override
        public void cancel(CancelRequest request, StreamObserver<CancelResponse> answer) {
            cancelled.put(request.getRequestId(), request.getHoldId());
            answer.onError(Status.NOT_FOUND.withDescription("hold_id").asRuntimeException());
            followUps.countDown();
        }
    }

    private Server server;
    private ManagedChannel channel;

    private GrpcLoadTarget start(BindableService service, double confirmShare, double cancelShare) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        RequestFactory requests = new RequestFactory("t", 3, new ZipfSampler(1_000, 1.0), 0.0, null);
        return new GrpcLoadTarget(GrpcLoadTarget.Rpc.DECIDE, false, List.of(channel), requests,
                TimeUnit.SECONDS.toNanos(10), 0, confirmShare, cancelShare);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void eachAnswerCompletesWithItsStatusAndOutcomeAndApprovalsGetTheirFollowUps() throws Exception {
        long approvals = 0;
        for (long i = 0; i < CALLS; i++) {
            approvals += i % 3 == 0 && i % 10 != 9 ? 1 : 0;
        }
        Service service = new Service((int) approvals);
        GrpcLoadTarget target = start(service, 0.5, 0.5); // every approval: a Confirm or a Cancel
        Status.Code[] codes = new Status.Code[CALLS];
        Outcome[] outcomes = new Outcome[CALLS];
        CountDownLatch answered = new CountDownLatch(CALLS);
        for (int i = 0; i < CALLS; i++) {
            int index = i;
            target.send(i, (code, outcome) -> {
                codes[index] = code;
                outcomes[index] = outcome;
                answered.countDown();
            });
        }
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertTrue(service.followUps.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < CALLS; i++) {
            if (i % 10 == 9) {
                assertEquals(Status.Code.INVALID_ARGUMENT, codes[i], "request " + i);
                assertNull(outcomes[i]);
            } else {
                assertEquals(Status.Code.OK, codes[i], "request " + i);
                assertEquals(i % 3 == 0 ? Outcome.APPROVE : Outcome.DECLINE, outcomes[i], "request " + i);
            }
        }
        // each follow-up names its Decide's hold and has an id of its own; none for declines or refusals
        service.confirmed.forEach((id, hold) -> assertEquals("h-" + id.substring(0, id.length() - 2), hold));
        service.cancelled.forEach((id, hold) -> assertEquals("h-" + id.substring(0, id.length() - 2), hold));
        assertEquals(approvals, service.confirmed.size() + service.cancelled.size());
        assertTrue(!service.confirmed.isEmpty() && !service.cancelled.isEmpty(), "both shares drawn");
        assertEquals(Map.of("confirm OK", (long) service.confirmed.size(), "cancel NOT_FOUND",
                (long) service.cancelled.size()), target.followUpCounts());
    }

    /** Refuses every call as the server sheds (ErrorInfo reason in the status details) or with a bare status. */
    private static final class RefusingService extends DecisionServiceGrpc.DecisionServiceImplBase {
        @Override
        public void decide(DecisionRequest request, StreamObserver<DecisionResponse> answer) {
            if (Service.index(request.getRequestId()) % 2 == 0) {
                answer.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                        .setCode(Status.Code.RESOURCE_EXHAUSTED.value()).setMessage("overloaded")
                        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("OVERLOADED")
                                .setDomain(FormicaException.DOMAIN).build()))
                        .build()));
            } else {
                answer.onError(Status.DEADLINE_EXCEEDED.asRuntimeException());
            }
        }
    }

    @Test
    void aRefusalCompletesWithTheReasonTheServerGaveAndABareStatusWithNone() throws Exception {
        GrpcLoadTarget target = start(new RefusingService(), 0, 0);
        Map<Long, String> failures = new ConcurrentHashMap<>();
        CountDownLatch answered = new CountDownLatch(4);
        for (long i = 0; i < 4; i++) {
            long index = i;
            target.send(i, new LoadTarget.Completion() {
                @Override
                public void complete(Status.Code code, Outcome outcome) {
                    failures.put(index, code + " without a reason");
                    answered.countDown();
                }

                @Override
                public void fail(Status.Code code, String reason) {
                    failures.put(index, code + "/" + reason);
                    answered.countDown();
                }
            });
        }
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertEquals(Map.of(0L, "RESOURCE_EXHAUSTED/OVERLOADED", 1L, "DEADLINE_EXCEEDED/",
                2L, "RESOURCE_EXHAUSTED/OVERLOADED", 3L, "DEADLINE_EXCEEDED/"), failures);
    }

    @Test
    void theLoadToolDoesNotTraceNettysBuffersUnlessAskedTo() throws Exception {
        start(new Service(0), 0, 0);
        boolean asked = System.getProperty(GrpcLoadTarget.LEAK_DETECTION_PROPERTY) != null;
        assertEquals(!asked, ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED);
    }

    @Test
    void theRequestsOnTheWireAreTheFactorysWithAUniqueIdEach() throws Exception {
        Service service = new Service(0);
        GrpcLoadTarget target = start(service, 0, 0);
        RequestFactory same = new RequestFactory("t", 3, new ZipfSampler(1_000, 1.0), 0.0, null);
        CountDownLatch answered = new CountDownLatch(CALLS);
        for (int i = 0; i < CALLS; i++) {
            target.send(i, (code, outcome) -> answered.countDown());
        }
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertEquals(CALLS - CALLS / 10, service.decided.size());
        service.decided.forEach((id, request) -> assertEquals(same.decision(Service.index(id)), request));
        assertEquals(Map.of(), target.followUpCounts());
    }
}
