package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.errors.Refused;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The one mapping of the engine's refusals to gRPC statuses (issue 19, item 6): every {@link DomainError} has the
 * code written here, its reason is the {@code ErrorReason} of the same name, and the status carries the message,
 * metadata, bad fields, retry advice and redirect trailer clients read.
 */
class GrpcErrorsTest {
    /** The code clients see for each refusal, written out: a new value or a changed code fails here. */
    private static final Map<DomainError, Status.Code> CODES = new EnumMap<>(DomainError.class);

    static {
        CODES.put(DomainError.INVALID_FIELD, Status.Code.INVALID_ARGUMENT);
        CODES.put(DomainError.REQUEST_ID_REUSED, Status.Code.INVALID_ARGUMENT);
        CODES.put(DomainError.CURRENCY_NOT_SUPPORTED, Status.Code.INVALID_ARGUMENT);
        CODES.put(DomainError.PARTITION_NOT_OWNED, Status.Code.FAILED_PRECONDITION);
        CODES.put(DomainError.HOLD_ALREADY_CONFIRMED, Status.Code.FAILED_PRECONDITION);
        CODES.put(DomainError.HOLD_CANCELLED, Status.Code.FAILED_PRECONDITION);
        CODES.put(DomainError.HOLD_EXPIRED, Status.Code.FAILED_PRECONDITION);
        CODES.put(DomainError.REPAYMENT_EXCEEDS_DRAWN, Status.Code.FAILED_PRECONDITION);
        CODES.put(DomainError.HOLD_NOT_FOUND, Status.Code.NOT_FOUND);
        CODES.put(DomainError.PROFILE_NOT_FOUND, Status.Code.NOT_FOUND);
        CODES.put(DomainError.LINE_NOT_FOUND, Status.Code.NOT_FOUND);
        CODES.put(DomainError.DECISION_NOT_FOUND, Status.Code.NOT_FOUND);
        CODES.put(DomainError.SHARD_QUEUE_FULL, Status.Code.RESOURCE_EXHAUSTED);
        CODES.put(DomainError.QUEUE_DELAY_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED);
        CODES.put(DomainError.DEADLINE_EXPIRED_IN_QUEUE, Status.Code.DEADLINE_EXCEEDED);
        CODES.put(DomainError.SHUTTING_DOWN, Status.Code.UNAVAILABLE);
        CODES.put(DomainError.LOG_UNAVAILABLE, Status.Code.UNAVAILABLE);
        CODES.put(DomainError.INTERNAL_ERROR, Status.Code.INTERNAL);
        CODES.put(DomainError.STATE_UNREADABLE, Status.Code.DATA_LOSS);
    }

    @Test
    void shouldMapEveryDomainErrorToItsCodeAndTheReasonOfItsName() throws Exception {
        for (DomainError e : DomainError.values()) {
            assertEquals(CODES.get(e), GrpcErrors.code(e), e.name());
            assertEquals(e.name(), GrpcErrors.reason(e).name(), "the reason clients read for " + e);
            StatusRuntimeException status = GrpcErrors.toStatus(Refused.of(e, "why: " + e));
            assertEquals(CODES.get(e), status.getStatus().getCode());
            assertEquals("why: " + e, status.getStatus().getDescription());
            ErrorInfo info = StatusProto.fromThrowable(status).getDetails(0).unpack(ErrorInfo.class);
            assertEquals(Refusals.DOMAIN, info.getDomain());
            assertEquals(e.name(), info.getReason());
        }
        assertEquals(DomainError.values().length, CODES.size());
    }

    @Test
    void shouldCarryTheBadFieldsMetadataAndRetryAdvice() throws Exception {
        StatusRuntimeException invalid = GrpcErrors.toStatus(Refused.invalid(DomainError.CURRENCY_NOT_SUPPORTED,
                "currency: this server lends in CNY, not USD").metadata("currency", "CNY"));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
        assertEquals("currency: this server lends in CNY, not USD", invalid.getStatus().getDescription());
        List<Any> details = StatusProto.fromThrowable(invalid).getDetailsList();
        assertEquals(Map.of("currency", "CNY"), details.get(0).unpack(ErrorInfo.class).getMetadataMap());
        BadRequest.FieldViolation field = details.get(1).unpack(BadRequest.class).getFieldViolations(0);
        assertEquals("currency", field.getField());
        assertEquals("this server lends in CNY, not USD", field.getDescription());

        StatusRuntimeException shed = GrpcErrors.toStatus(Refused.shed(DomainError.SHARD_QUEUE_FULL, "full", 1_250));
        RetryInfo retry = StatusProto.fromThrowable(shed).getDetails(1).unpack(RetryInfo.class);
        assertEquals(1, retry.getRetryDelay().getSeconds());
        assertEquals(250_000_000, retry.getRetryDelay().getNanos());
        assertEquals("1250", shed.getTrailers().get(Refusals.RETRY_PUSHBACK));
        assertNull(GrpcErrors.toStatus(Refused.of(DomainError.HOLD_EXPIRED, "x")).getTrailers()
                .get(Refusals.RETRY_PUSHBACK));
    }

    /** A redirect keeps the owner trailer for callers that do not read the details (docs/cluster.md). */
    @Test
    void shouldPutTheOwnerOfAPartitionInTheTrailers() throws Exception {
        PartitionTable table = PartitionTable.of(List.of("127.0.0.1:50731", "127.0.0.1:50732"), 0);
        StatusRuntimeException redirect = GrpcErrors.toStatus(table.refusal(200, "borrower_id"));
        assertEquals(Status.Code.FAILED_PRECONDITION, redirect.getStatus().getCode());
        assertEquals("borrower_id: partition 200 is owned by node 1 (127.0.0.1:50732), not by node 0; send the call"
                + " there (docs/cluster.md)", redirect.getStatus().getDescription());
        assertEquals("127.0.0.1:50732", redirect.getTrailers().get(PartitionTable.OWNER_ADDRESS));
        ErrorInfo info = StatusProto.fromThrowable(redirect).getDetails(0).unpack(ErrorInfo.class);
        assertEquals(PartitionTable.NOT_OWNER_REASON, info.getReason());
        assertEquals(Map.of("partition", "200", "owner_node", "1", "owner_address", "127.0.0.1:50732"),
                info.getMetadataMap());
    }

    /** The form of a hold id is checked with the other fields, and named beside them. */
    @Test
    void shouldRefuseAHoldIdThisEngineNeverIssuesInTheServer() {
        assertEquals("hold_id: not a hold id issued by this engine", RequestValidator.check(ConfirmRequest
                .newBuilder().setRequestId("c1").setHoldId("not-a-hold").build()).message());
        assertEquals("hold_id: not a hold id issued by this engine", RequestValidator.check(CancelRequest
                .newBuilder().setRequestId("x1").setHoldId("h-1").build()).message());
        FieldViolations both = RequestValidator.check(ConfirmRequest.newBuilder().setHoldId("not-a-hold").build());
        assertEquals(List.of("request_id: required", "hold_id: not a hold id issued by this engine"), both.all());
        assertEquals(List.of("request_id: required", "hold_id: required"),
                RequestValidator.check(CancelRequest.newBuilder().build()).all(), "an empty hold id is only missing");
        assertNull(RequestValidator.check(ConfirmRequest.newBuilder().setRequestId("c1").setHoldId("h1f").build()));
    }
}
