package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.formica.v1.DecisionError;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Installment;
import dev.formica.v1.InstallmentPlan;
import dev.formica.v1.Outcome;
import dev.formica.v1.Reason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class DecisionSummaryTest {
    /** An approval with everything a real answer carries around the three fields the load tool reads. */
    private static DecisionResponse approval() {
        InstallmentPlan.Builder plan = InstallmentPlan.newBuilder().setInstallments(12);
        for (int i = 1; i <= 12; i++) {
            plan.addPeriods(Installment.newBuilder().setPrincipalMinor(1_000_00L).setInterestMinor(12_34L));
        }
        return DecisionResponse.newBuilder().setRequestId("run-7").setOutcome(Outcome.APPROVE)
                .setHoldId("h-\u00e9-42").setApprovedAmountMinor(12_000_00L).setAvailableAfterMinor(3_000_00L)
                .addReasons(Reason.newBuilder().setCode("SCORE_OK").setText("score above cut-off"))
                .setScore(612).setPd(0.031).setAprBps(1_800).setPlan(plan).setRuleSetVersion("rs-9")
                .setServerNanos(123_456).setRegulatoryVersion("reg-3").setHoldExpiresMs(1_700_000_000_000L)
                .build();
    }

    /** A stream that is not KnownLength: the marshaller reads it through protobuf's own stream reader. */
    private static InputStream plain(byte[] bytes) {
        return new InputStream() {
            private final ByteArrayInputStream in = new ByteArrayInputStream(bytes);

            @Override
            public int read() {
                return in.read();
            }
        };
    }

    /** As gRPC hands a received message over: a stream that knows its length. */
    private static InputStream known(byte[] bytes) {
        return new KnownLengthStream(bytes);
    }

    private static final class KnownLengthStream extends ByteArrayInputStream implements io.grpc.KnownLength {
        KnownLengthStream(byte[] bytes) {
            super(bytes);
        }
    }

    @Test
    void readsOutcomeAndHoldIdAndSkipsTheRest() {
        byte[] wire = approval().toByteArray();
        for (InputStream in : new InputStream[] {known(wire), plain(wire)}) {
            DecisionSummary s = DecisionSummary.UNARY_MARSHALLER.parse(in);
            assertEquals(Outcome.APPROVE, s.outcome());
            assertEquals(ByteString.copyFromUtf8("h-\u00e9-42"), s.holdId());
            assertTrue(s.approvedWithHold());
            assertFalse(s.hasError());
            assertNull(s.requestId(), "unary answers are matched by their call, not their id");
        }
    }

    @Test
    void streamAnswersCarryTheirRequestIdAndErrors() {
        DecisionSummary ok = DecisionSummary.STREAM_MARSHALLER.parse(known(approval().toByteArray()));
        assertEquals("run-7", ok.requestId());
        assertFalse(ok.hasError());

        byte[] shed = DecisionResponse.newBuilder().setRequestId("run-8").setError(DecisionError.newBuilder()
                .setCode(Status.Code.RESOURCE_EXHAUSTED.value()).setMessage("shed")).build().toByteArray();
        DecisionSummary e = DecisionSummary.STREAM_MARSHALLER.parse(known(shed));
        assertEquals("run-8", e.requestId());
        assertTrue(e.hasError());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.status());
        assertEquals(Outcome.OUTCOME_UNSPECIFIED, e.outcome());

        // an error message with no code set is still an error (code 0), as hasError() said before
        byte[] bare = DecisionResponse.newBuilder().setRequestId("run-9").setError(DecisionError.getDefaultInstance())
                .build().toByteArray();
        assertTrue(DecisionSummary.STREAM_MARSHALLER.parse(known(bare)).hasError());
    }

    @Test
    void declinesAndEmptyAnswersGetNoFollowUp() {
        DecisionSummary decline = DecisionSummary.UNARY_MARSHALLER.parse(known(DecisionResponse.newBuilder()
                .setOutcome(Outcome.DECLINE).addReasons(Reason.newBuilder().setCode("INSUFFICIENT_LINE")).build()
                .toByteArray()));
        assertEquals(Outcome.DECLINE, decline.outcome());
        assertFalse(decline.approvedWithHold());

        DecisionSummary empty = DecisionSummary.UNARY_MARSHALLER.parse(known(new byte[0]));
        assertEquals(Outcome.OUTCOME_UNSPECIFIED, empty.outcome());
        assertEquals(ByteString.EMPTY, empty.holdId());
        assertFalse(empty.approvedWithHold());
    }

    @Test
    void anOutcomeNumberThisBuildDoesNotKnowIsUnrecognized() {
        byte[] wire = DecisionResponse.newBuilder().setOutcomeValue(99).build().toByteArray();
        assertEquals(Outcome.UNRECOGNIZED, DecisionSummary.UNARY_MARSHALLER.parse(known(wire)).outcome());
    }

    @Test
    void aTruncatedAnswerFailsTheCallWithInternal() {
        byte[] cut = {0x1A, 10, 'h', '-'}; // hold_id (field 3, length-delimited) of 10 bytes, only 2 of them here
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> DecisionSummary.UNARY_MARSHALLER.parse(known(cut)));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    }
}
