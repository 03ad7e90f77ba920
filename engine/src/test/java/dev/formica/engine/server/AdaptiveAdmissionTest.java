package dev.formica.engine.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.formica.engine.metrics.ShedCounter;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code admissionLimit: ADAPTIVE} through real calls on an injected clock: the limit moves with the calls' round
 * trips from admission to answer, and a refusal is the fixed limit's, naming the limit it met.
 */
class AdaptiveAdmissionTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AdmissionInterceptorTest.HeldDecisions service = new AdmissionInterceptorTest.HeldDecisions();
    private final ShedCounter shed = new ShedCounter(new PrometheusRegistry());
    private final AtomicLong clock = new AtomicLong(1_000 * MS);
    private final AdmissionInterceptor admission = new AdmissionInterceptor(SlotLimit.adaptive(4, 12, clock::get),
            75, shed);
    private Server server;
    private ManagedChannel channel;
    private int ids;

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
    void shouldRefuseOverTheAdaptiveLimitAsTheFixedLimitDoes() throws Exception {
        assertEquals(4, admission.limit(), "starts at its floor");
        List<ListenableFuture<DecisionResponse>> held = hold(4);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> DecisionServiceGrpc.newBlockingStub(channel).decide(request()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
        assertEquals("OVERLOADED", Refusals.reasonOf(refused));
        assertEquals("overloaded: 4 decisions already in progress (maxInFlightDecisions); retry with backoff",
                refused.getStatus().getDescription());
        assertEquals("75", refused.getTrailers().get(Refusals.RETRY_PUSHBACK));
        assertEquals(1, shed.count(ErrorReason.OVERLOADED.name()), "formica_shed_total{reason=\"OVERLOADED\"}");
        assertEquals(4, service.decided, "the refused call never reached the service");
        answer(held);
        assertEquals(0, admission.inFlight());
    }

    @Test
    void shouldAdmitMoreWhileAnswersStayFastAndFewerWhenTheySlowDown() throws Exception {
        for (int w = 0; w < 30 && admission.limit() < 12; w++) {
            window(MS);
        }
        int raised = admission.limit();
        assertEquals(12, raised, "1 ms answers with every slot used raised the limit to its ceiling");
        List<ListenableFuture<DecisionResponse>> twelve = hold(12);
        assertEquals(12, admission.inFlight(), "twelve admitted at once");
        assertEquals(0, shed.count(ErrorReason.OVERLOADED.name()));
        clock.addAndGet(MS);
        answer(twelve);

        for (int w = 0; w < 10; w++) {
            window(30 * MS);
        }
        assertTrue(admission.limit() < raised, "30 ms answers cut it: " + admission.limit());
        List<ListenableFuture<DecisionResponse>> fewer = hold(admission.limit());
        assertThrows(StatusRuntimeException.class,
                () -> DecisionServiceGrpc.newBlockingStub(channel).decide(request()));
        assertEquals(1, shed.count(ErrorReason.OVERLOADED.name()), "the call over the cut limit was refused");
        answer(fewer);
    }

    /** Three rounds of as many calls as the limit admits, each answered {@code rtt} after it came in. */
    private void window(long rtt) throws Exception {
        for (int round = 0; round < 3; round++) {
            List<ListenableFuture<DecisionResponse>> calls = hold(admission.limit());
            clock.addAndGet(rtt);
            answer(calls);
        }
        clock.addAndGet(101 * MS); // past the library's window of at least 100 ms
    }

    private List<ListenableFuture<DecisionResponse>> hold(int n) {
        int before = service.held.size();
        List<ListenableFuture<DecisionResponse>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(DecisionServiceGrpc.newFutureStub(channel).decide(request()));
        }
        settled().until(() -> service.held.size() == before + n);
        return calls;
    }

    private void answer(List<ListenableFuture<DecisionResponse>> calls) throws Exception {
        for (int i = 0; i < calls.size(); i++) {
            service.answerOne();
        }
        for (ListenableFuture<DecisionResponse> call : calls) {
            call.get(10, TimeUnit.SECONDS);
        }
        settled().until(() -> admission.inFlight() == 0);
    }

    /** The calls run on the test's thread (direct executors): a short poll, not awaitility's default 100 ms. */
    private static org.awaitility.core.ConditionFactory settled() {
        return await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(Duration.ofSeconds(10));
    }

    private DecisionRequest request() {
        return DecisionRequest.newBuilder().setRequestId("r" + ++ids).build();
    }
}
