package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Product;
import dev.formica.v1.Profile;
import dev.formica.v1.RowError;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing by borrower over two in-process targets, for unary calls and both kinds of stream. */
class FormicaClientRoutingTest {
    private static final List<String> TARGETS = List.of("engine-0:7000", "engine-1:7000");

    private final FakeDecisionService[] decisions = {new FakeDecisionService("t0"), new FakeDecisionService("t1")};
    private final FakeProfileService[] profiles = {new FakeProfileService(), new FakeProfileService()};
    private final InProcessTargets targets = new InProcessTargets();
    private FormicaClient client;

    @BeforeEach
    void setUp() {
        for (int i = 0; i < TARGETS.size(); i++) {
            targets.add(TARGETS.get(i), decisions[i], profiles[i]);
        }
        client = FormicaClient.builder().targets(TARGETS).channelFactory(targets::channelFor).build();
    }

    @AfterEach
    void tearDown() {
        client.close();
        targets.close();
    }

    private static DecisionRequest request(String borrowerId) {
        return DecisionRequest.newBuilder().setBorrowerId(borrowerId).setProduct(Product.CONSUMER_CREDIT)
                .setAmountMinor(100).build();
    }

    /** Asserts every borrower reached only the target the client routes it to, and both targets were used. */
    private void assertEachBorrowerOnItsOwnTarget(List<String> borrowers, List<String> seen0, List<String> seen1) {
        for (String borrower : borrowers) {
            int expected = client.targetIndex(borrower);
            List<String> right = expected == 0 ? seen0 : seen1;
            List<String> wrong = expected == 0 ? seen1 : seen0;
            assertTrue(right.contains(borrower), borrower + " should reach target " + expected);
            assertFalse(wrong.contains(borrower), borrower + " reached the other target");
        }
        assertFalse(seen0.isEmpty(), "target 0 unused: the hash does not spread");
        assertFalse(seen1.isEmpty(), "target 1 unused: the hash does not spread");
    }

    private static List<String> borrowers(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("b-" + i);
        }
        return ids;
    }

    @Test
    void shouldSendTheSameBorrowerToTheSameTargetEveryTime() {
        List<String> ids = borrowers(40);
        for (int round = 0; round < 3; round++) {
            for (String id : ids) {
                DecisionResponse response = client.decide(request(id));
                assertEquals(client.targetIndex(id) == 0 ? "t0" : "t1", response.getRuleSetVersion());
            }
        }
        assertEachBorrowerOnItsOwnTarget(ids, decisions[0].borrowers, decisions[1].borrowers);
        assertEquals(2, client.targetCount());
    }

    @Test
    void shouldSendHoldCallsToTheOwnerOfTheHoldsPartition() {
        // partition 0x01 is in the first half (target 0), 0xff and 0x80 in the second (target 1)
        client.confirm(ConfirmRequest.newBuilder().setHoldId("h01000000000000a1").build());
        client.cancel(CancelRequest.newBuilder().setHoldId("hff000000000000a2").build());
        client.confirm(ConfirmRequest.newBuilder().setHoldId("h80000000000000a3").build());
        // fewer than 16 digits: leading zeros dropped, partition 0
        client.cancel(CancelRequest.newBuilder().setHoldId("ha4").build());

        assertEquals(2, decisions[0].requestIds.size());
        assertEquals(2, decisions[1].requestIds.size());
    }

    @Test
    void shouldSendAHoldIdThatIsNotOneToTheFirstTarget() {
        client.confirm(ConfirmRequest.newBuilder().setHoldId("h-1").build());
        client.cancel(CancelRequest.newBuilder().setHoldId("HFF000000000000A2").build());

        assertEquals(2, decisions[0].requestIds.size());
        assertTrue(decisions[1].requestIds.isEmpty());
    }

    @Test
    void shouldDeliverStreamResponsesWithFilledRequestIdsFromEveryTarget() throws InterruptedException {
        List<DecisionResponse> responses = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        CountDownLatch completed = new CountDownLatch(1);
        StreamObserver<DecisionRequest> requests = client.decideStream(new StreamObserver<>() {
            @Override
            public void onNext(DecisionResponse response) {
                responses.add(response);
            }

            @Override
            public void onError(Throwable t) {
                error.set(t);
                completed.countDown();
            }

            @Override
            public void onCompleted() {
                completed.countDown();
            }
        });
        List<String> ids = borrowers(20);
        for (String id : ids) {
            requests.onNext(request(id));
        }
        requests.onNext(request("b-given").toBuilder().setRequestId("given-1").build());
        requests.onCompleted();

        assertTrue(completed.await(5, TimeUnit.SECONDS), "stream did not complete");
        assertEquals(null, error.get());
        assertEquals(21, responses.size());
        Set<String> requestIds = new HashSet<>();
        for (DecisionResponse response : responses) {
            assertFalse(response.getRequestId().isEmpty());
            requestIds.add(response.getRequestId());
        }
        assertEquals(21, requestIds.size(), "request ids must be distinct");
        assertTrue(requestIds.contains("given-1"), "a given request id must be kept");
        assertEachBorrowerOnItsOwnTarget(ids, decisions[0].borrowers, decisions[1].borrowers);
    }

    @Test
    void shouldCompleteAnEmptyStreamWithoutContactingAnyTarget() throws InterruptedException {
        CountDownLatch completed = new CountDownLatch(1);
        StreamObserver<DecisionRequest> requests = client.decideStream(new StreamObserver<>() {
            @Override
            public void onNext(DecisionResponse response) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                completed.countDown();
            }
        });
        requests.onCompleted();

        assertTrue(completed.await(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldLoadProfilesPerTargetAndReportRejectedRowsByInputPosition() {
        List<Profile> input = new ArrayList<>();
        for (String id : borrowers(30)) {
            // Rows 8 and 21 (1-based) lack a region: the fake server rejects them.
            boolean bad = input.size() == 7 || input.size() == 20;
            input.add(Profile.newBuilder().setBorrowerId(id).setRegion(bad ? "" : "CN-31").build());
        }

        LoadSummary summary = client.loadProfiles(input.iterator());

        assertEquals(30, summary.getReceived());
        assertEquals(28, summary.getLoaded());
        assertEquals(2, summary.getRejected());
        assertEquals(List.of(8L, 21L), summary.getErrorsList().stream().map(RowError::getRow).toList());
        assertEachBorrowerOnItsOwnTarget(borrowers(30), profiles[0].borrowers, profiles[1].borrowers);
    }

    @Test
    void shouldRouteWithAStableDocumentedFunction() {
        // Pinned values: the engine's Partitions test pins the same partitions; other clients reproduce them.
        assertEquals(178, BorrowerRouter.partition("b-1"));
        assertEquals(20, BorrowerRouter.partition("b-2"));
        assertEquals(227, BorrowerRouter.partition("borrower-42"));
        assertEquals(1, BorrowerRouter.index("b-1", 2));
        assertEquals(0, BorrowerRouter.index("b-2", 2));
        assertEquals(2, BorrowerRouter.index("borrower-42", 3));
        assertEquals(4, BorrowerRouter.index("borrower-42", 5));
        assertEquals(0, BorrowerRouter.index("anything", 1));
        assertEquals(0xab, BorrowerRouter.holdPartition("hab00000000000001"));
        assertEquals(-1, BorrowerRouter.holdPartition("hab000000000000011"));
    }
}
