package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

/**
 * The reason read without an exception ({@link FormicaException#reasonName(Status, Metadata)}) is the one the
 * exception reads, for each shape of refusal.
 */
class FormicaExceptionReasonNameTest {
    private static final Status.Code SHED = Status.Code.RESOURCE_EXHAUSTED;

    private static StatusRuntimeException refusal(Any... details) {
        com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder().setCode(SHED.value()).setMessage("shed");
        for (Any d : details) {
            s.addDetails(d);
        }
        return StatusProto.toStatusRuntimeException(s.build());
    }

    private static Any info(String domain, String reason) {
        return Any.pack(ErrorInfo.newBuilder().setDomain(domain).setReason(reason).build());
    }

    /** Asserts {@code expected}, read both ways: without the exception and from it. */
    private static void assertReason(String expected, Status status, Metadata trailers) {
        assertEquals(expected, FormicaException.reasonName(status, trailers));
        assertEquals(expected, FormicaException.of(status, trailers).reasonName());
    }

    @Test
    void theServersReasonIsReadFromTheStatusDetails() {
        StatusRuntimeException e = refusal(info(FormicaException.DOMAIN, "OVERLOADED"));
        assertReason("OVERLOADED", e.getStatus(), e.getTrailers());
    }

    @Test
    void theFirstErrorInfoCountsAndOnlyInFormicasDomain() {
        StatusRuntimeException other = refusal(info("example.com", "QUOTA"), info(FormicaException.DOMAIN, "X"));
        assertReason("", other.getStatus(), other.getTrailers());
        StatusRuntimeException after = refusal(Any.pack(RetryInfo.getDefaultInstance()),
                info(FormicaException.DOMAIN, "SHARD_QUEUE_FULL"));
        assertReason("SHARD_QUEUE_FULL", after.getStatus(), after.getTrailers());
    }

    @Test
    void anErrorInfoThatCannotBeReadIsSkipped() {
        Any broken = Any.newBuilder().setTypeUrl("type.googleapis.com/google.rpc.ErrorInfo")
                .setValue(ByteString.copyFrom(new byte[] {(byte) 0x0a, (byte) 0x7f})).build();
        StatusRuntimeException e = refusal(broken, info(FormicaException.DOMAIN, "OVERLOADED"));
        assertReason("OVERLOADED", e.getStatus(), e.getTrailers());
    }

    @Test
    void aBareStatusOrNoTrailersHaveNoReason() {
        assertReason("", Status.DEADLINE_EXCEEDED, new Metadata());
        assertReason("", Status.UNAVAILABLE, null);
    }

    @Test
    void detailsWhoseCodeDisagreesWithTheStatusAreUnreadable() {
        StatusRuntimeException e = refusal(info(FormicaException.DOMAIN, "OVERLOADED"));
        assertReason("", Status.UNAVAILABLE, e.getTrailers());
    }
}
