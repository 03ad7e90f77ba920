package dev.formica.engine.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.metrics.ShedCounter;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Decide calls over the in-flight limit are refused at call start, a call holds a slot from its request's arrival,
 * and every admitted call frees its slot.
 */
class AdmissionInterceptorTest {
    /** A Decide that answers only when the test says so; Cancel answers at once. */
    static final class HeldDecisions extends DecisionServiceGrpc.DecisionServiceImplBase {
        final BlockingQueue<StreamObserver<DecisionResponse>> held = new LinkedBlockingQueue<>();
        int decided;

        @Override
        public void decide(DecisionRequest request, StreamObserver<DecisionResponse> answer) {
            synchronized (this) {
                decided++;
            }
            held.add(answer);
        }

        @Override
        public void cancel(CancelRequest request, StreamObserver<CancelResponse> answer) {
            answer.onNext(CancelResponse.getDefaultInstance());
            answer.onCompleted();
        }

        void answerOne() throws InterruptedException {
            StreamObserver<DecisionResponse> answer = held.poll(10, TimeUnit.SECONDS);
            answer.onNext(DecisionResponse.getDefaultInstance());
            answer.onCompleted();
        }
    }

    private final HeldDecisions service = new HeldDecisions();
    private final ShedCounter shed = new ShedCounter(new PrometheusRegistry());
    private final AdmissionInterceptor admission = new AdmissionInterceptor(2, 75, shed);
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(service, admission)).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void shouldRefuseDecideOverTheLimitBeforeItReachesTheService() throws Exception {
        DecisionServiceGrpc.DecisionServiceFutureStub async = DecisionServiceGrpc.newFutureStub(channel);
        var first = async.decide(request("r1"));
        var second = async.decide(request("r2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.held.size() == 2);
        assertEquals(2, admission.inFlight());
        assertEquals(0, shed.count(ErrorReason.OVERLOADED.name()), "an admitted call is not counted");

        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> DecisionServiceGrpc.newBlockingStub(channel).decide(request("r3")));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("maxInFlightDecisions"),
                refused.getStatus().getDescription());
        // a program reads why and when to come back: ErrorInfo OVERLOADED, RetryInfo and gRPC's pushback trailer
        com.google.rpc.Status details = io.grpc.protobuf.StatusProto.fromThrowable(refused);
        assertEquals("OVERLOADED", Refusals.reasonOf(refused));
        com.google.rpc.RetryInfo retry = details.getDetailsList().stream()
                .filter(a -> a.is(com.google.rpc.RetryInfo.class)).findFirst().orElseThrow()
                .unpack(com.google.rpc.RetryInfo.class);
        assertEquals(com.google.protobuf.util.Durations.fromMillis(75), retry.getRetryDelay());
        assertEquals("75", refused.getTrailers().get(Refusals.RETRY_PUSHBACK));
        assertEquals(2, service.decided, "the refused call never reached the service");
        assertEquals(1, shed.count(ErrorReason.OVERLOADED.name()), "formica_shed_total{reason=\"OVERLOADED\"}");

        // other calls are not limited
        DecisionServiceGrpc.newBlockingStub(channel).cancel(CancelRequest.newBuilder().setRequestId("c1").build());

        service.answerOne();
        first.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 1);
        var third = async.decide(request("r4"));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.held.size() == 2);
        service.answerOne();
        service.answerOne();
        second.get(10, TimeUnit.SECONDS);
        third.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0);
        assertEquals(1, shed.count(ErrorReason.OVERLOADED.name()), "the calls admitted later added nothing");
    }

    @Test
    void shouldGiveTheSlotBackWhenTheCallerCancels() throws Exception {
        var pending = DecisionServiceGrpc.newFutureStub(channel).decide(request("r1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 1);
        pending.cancel(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0);
        // the held observer of the cancelled call is answered late; that must not free a second slot
        service.answerOne();
        assertEquals(0, admission.inFlight());
    }

    /**
     * The overload collapse: behind an HTTP/2 backlog a call's headers run ahead of its body (only the body is flow
     * controlled), and slots taken at the headers were held by calls the server could not work on while every call
     * with a request was refused.
     */
    @Test
    void shouldNotHoldASlotForACallWhoseRequestHasNotArrived() throws Exception {
        ClientCall<DecisionRequest, DecisionResponse> first = started();
        ClientCall<DecisionRequest, DecisionResponse> second = started();
        assertEquals(0, admission.inFlight(), "headers alone take no slot");

        var decided = DecisionServiceGrpc.newFutureStub(channel).decide(request("r1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.held.size() == 1);
        assertEquals(1, admission.inFlight());
        service.answerOne();
        decided.get(10, TimeUnit.SECONDS);
        assertEquals(0, shed.count(ErrorReason.OVERLOADED.name()), "the call with a request was not refused");

        // the first one's body arrives: it takes a slot then; the second gives up before sending one
        first.sendMessage(request("r2"));
        first.halfClose();
        await().atMost(Duration.ofSeconds(10)).until(() -> service.held.size() == 1);
        assertEquals(1, admission.inFlight());
        second.cancel("gave up", null);
        service.answerOne();
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0);
        var after = DecisionServiceGrpc.newFutureStub(channel).decide(request("r3"));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.held.size() == 1);
        assertEquals(1, admission.inFlight(), "the cancelled call gave back no slot it had not taken");
        service.answerOne();
        after.get(10, TimeUnit.SECONDS);
        assertEquals(3, service.decided);
    }

    @Test
    void shouldRefuseARequestThatArrivesWhileTheSlotsAreFull() throws Exception {
        CompletableFuture<StatusRuntimeException> closed = new CompletableFuture<>();
        ClientCall<DecisionRequest, DecisionResponse> late = channel.newCall(DecisionServiceGrpc.getDecideMethod(),
                CallOptions.DEFAULT);
        late.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status.asRuntimeException(trailers));
            }
        }, new Metadata());
        late.request(1);
        var a = DecisionServiceGrpc.newFutureStub(channel).decide(request("r1"));
        var b = DecisionServiceGrpc.newFutureStub(channel).decide(request("r2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.held.size() == 2);

        late.sendMessage(request("r3"));
        late.halfClose();
        StatusRuntimeException refused = closed.get(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
        assertEquals("OVERLOADED", Refusals.reasonOf(refused));
        assertEquals(2, service.decided, "the refused request never reached the service");
        assertEquals(1, shed.count(ErrorReason.OVERLOADED.name()));
        assertEquals(2, admission.inFlight());

        service.answerOne();
        service.answerOne();
        a.get(10, TimeUnit.SECONDS);
        b.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0);
    }

    /** A Decide whose headers the server has and whose request it has not. */
    private ClientCall<DecisionRequest, DecisionResponse> started() {
        ClientCall<DecisionRequest, DecisionResponse> call = channel.newCall(DecisionServiceGrpc.getDecideMethod(),
                CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {
        }, new Metadata());
        call.request(1);
        return call;
    }

    private static DecisionRequest request(String id) {
        return DecisionRequest.newBuilder().setRequestId(id).build();
    }
}
