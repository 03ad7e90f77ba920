package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Operation} table (issue 23, deliverable 2): one row per mutating RPC, kind bytes as they are on disk,
 * and a retry of every replayable row answered from its record.
 */
class OperationTableTest {
    @TempDir
    Path dir;
    PipelineFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    /** The kind bytes are in idempotency records and shard-log frames on disk: they never change. */
    @Test
    void shouldKeepTheKindBytesOfTheRecordsOnDisk() {
        assertEquals(1, Operation.DECIDE.kind());
        assertEquals(2, Operation.CONFIRM.kind());
        assertEquals(3, Operation.CANCEL.kind());
        assertEquals(4, Operation.REPAY.kind());
        assertEquals(5, Operation.APPLY.kind());
        assertEquals(6, Operation.RISK_EVENT.kind());
        assertEquals(0, Operation.UPSERT_PROFILE.kind(), "a profile write keeps no record");
        assertFalse(Operation.UPSERT_PROFILE.replayable());
    }

    @Test
    void shouldGiveEveryReplayableRowItsOwnKindAndEveryRowItsOwnName() {
        Set<Byte> kinds = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (Operation<?, ?> row : Operation.all()) {
            assertTrue(names.add(row.name()), "name used twice: " + row.name());
            if (row.replayable()) {
                assertTrue(row.kind() > 0, row + " needs a kind byte > 0");
                assertTrue(kinds.add(row.kind()), "kind used twice: " + row);
                assertSame(row, Operation.ofKind(row.kind()));
            }
        }
        assertNull(Operation.ofKind((byte) 0));
        assertNull(Operation.ofKind((byte) 99));
        assertNull(Operation.ofKind((byte) -1));
    }

    /**
     * Every unary RPC of the public API that carries a request id and is not a read mutates a borrower's state: each
     * has a replayable row of its name, and profile writes (Upsert, Load) have theirs.
     */
    @Test
    void shouldHaveARowForEveryMutatingRpc() {
        Set<String> mutating = new TreeSet<>();
        for (Descriptors.FileDescriptor file : Set.of(DecisionRequest.getDescriptor().getFile(),
                RiskEvent.getDescriptor().getFile())) {
            for (Descriptors.ServiceDescriptor service : file.getServices()) {
                for (Descriptors.MethodDescriptor m : service.getMethods()) {
                    boolean unary = !m.isClientStreaming() && !m.isServerStreaming();
                    if (unary && !m.getName().startsWith("Get")
                            && m.getInputType().findFieldByName("request_id") != null) {
                        mutating.add(m.getName());
                    }
                }
            }
        }
        assertEquals(Set.of("Apply", "Cancel", "Confirm", "Decide", "Repay", "ReportRiskEvent"), mutating,
                "the RPCs this test finds; a new one needs a row");
        Set<String> replayable = new TreeSet<>();
        for (Operation<?, ?> row : Operation.all()) {
            if (row.replayable()) {
                replayable.add(row.name());
            }
        }
        assertEquals(mutating, replayable);
        assertTrue(Operation.all().contains(Operation.UPSERT_PROFILE));
    }

    /** Each replayable row, sent twice with the same request id: the second answer is the first, marked replayed. */
    @Test
    void shouldReplayARetryOfEveryReplayableRow() {
        f = new PipelineFixture(dir);
        f.upsert("alice", Product.CONSUMER_CREDIT, 500_000);
        DecisionResponse drawn = f.decide("r0", "alice", 100_000);
        DecisionResponse held = f.decide("r1", "alice", 50_000);
        assertEquals(Outcome.APPROVE, drawn.getOutcome());
        assertEquals(Outcome.APPROVE, held.getOutcome());
        Map<Operation<?, ?>, Supplier<Object>> requests = new LinkedHashMap<>();
        requests.put(Operation.DECIDE, () -> PipelineFixture.decision("d1", "alice", 10_000));
        requests.put(Operation.CONFIRM, () -> ConfirmRequest.newBuilder().setRequestId("c1")
                .setHoldId(drawn.getHoldId()).build());
        requests.put(Operation.CANCEL, () -> dev.formica.v1.CancelRequest.newBuilder().setRequestId("x1")
                .setHoldId(held.getHoldId()).build());
        requests.put(Operation.REPAY, () -> RepayRequest.newBuilder().setRequestId("p1").setBorrowerId("alice")
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1_000).build());
        requests.put(Operation.APPLY, () -> CreditApplication.newBuilder().setRequestId("a1").setBorrowerId("bob")
                .setProduct(Product.CONSUMER_CREDIT).setRequestedLineMinor(100_000).build());
        requests.put(Operation.RISK_EVENT, () -> RiskEvent.newBuilder().setRequestId("e1").setBorrowerId("alice")
                .setType(RiskEventType.RISK_EVENT_TYPE_OVERDUE).setDaysPastDue(3).build());
        for (Operation<?, ?> row : Operation.all()) {
            if (row.replayable()) {
                assertTrue(requests.containsKey(row), "no replay case for " + row);
            }
        }
        for (Map.Entry<Operation<?, ?>, Supplier<Object>> e : requests.entrySet()) {
            Message first = (Message) submit(e.getKey(), e.getValue().get());
            Message again = (Message) submit(e.getKey(), e.getValue().get());
            Descriptors.FieldDescriptor replayed = first.getDescriptorForType().findFieldByName("replayed");
            assertEquals(Boolean.FALSE, first.getField(replayed), e.getKey() + " first answer");
            assertEquals(Boolean.TRUE, again.getField(replayed), e.getKey() + " retry");
            assertEquals(first, again.toBuilder().clearField(replayed).build(), e.getKey() + ": the same answer");
        }
    }

    /** A request id reused for another operation is refused with the table's name of the first one. */
    @Test
    void shouldNameTheOperationARequestIdWasUsedFor() {
        f = new PipelineFixture(dir);
        f.upsert("alice", Product.CONSUMER_CREDIT, 500_000);
        f.decide("r1", "alice", 10_000);
        String before = f.digest();
        StatusRuntimeException reused = assertThrows(StatusRuntimeException.class, () -> submit(Operation.REPAY,
                RepayRequest.newBuilder().setRequestId("r1").setBorrowerId("alice")
                        .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(1).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, reused.getStatus().getCode());
        assertEquals("request_id: already used for a Decide call; use a new request_id",
                reused.getStatus().getDescription());
        assertEquals(before, f.digest(), "a refused reuse changes nothing");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Object submit(Operation<?, ?> op, Object request) {
        FutureSink<Object> sink = new FutureSink<>();
        f.pipeline.submit((Operation) op, request, sink, null);
        return sink.get();
    }
}
