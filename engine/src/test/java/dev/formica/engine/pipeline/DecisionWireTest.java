package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.formica.v1.DecisionError;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.ScoreContribution;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Setting {@code replayed} in a response's bytes gives protobuf's own bytes of the message with it set. */
class DecisionWireTest {
    @Test
    void shouldInsertTheFlagWhereProtobufWouldWriteIt() {
        List<DecisionResponse> answers = List.of(
                DecisionResponse.getDefaultInstance(),
                DecisionResponse.newBuilder().setRequestId("r").setOutcome(Outcome.DECLINE).build(),
                DecisionResponse.newBuilder().setRequestId("r").setRuleSetVersion("v1").build(),
                DecisionResponse.newBuilder().setRequestId("r").setServerNanos(1L << 40).build(),
                DecisionResponse.newBuilder().setRequestId("r").setPd(0.25).setError(DecisionError.newBuilder()
                        .setCode(3).setMessage("x".repeat(300))).setRegulatoryVersion("reg").build(),
                DecisionResponse.newBuilder().setRequestId("é".repeat(200)).setScore(-5).setHoldExpiresMs(9)
                        .addContributions(ScoreContribution.newBuilder().setAttribute("f").setPoints(-3)).build());
        for (DecisionResponse answer : answers) {
            byte[] expected = answer.toBuilder().setReplayed(true).build().toByteArray();
            assertArrayEquals(expected, DecisionWire.markReplayed(answer.toByteArray()), answer.toString());
        }
    }

    @Test
    void shouldLeaveAnAnswerThatIsAlreadyMarked() {
        byte[] marked = DecisionResponse.newBuilder().setRequestId("r").setReplayed(true).setServerNanos(5).build()
                .toByteArray();
        assertSame(marked, DecisionWire.markReplayed(marked));
    }

    @Test
    void shouldRefuseBytesThatAreNotAMessage() {
        byte[] full = DecisionResponse.newBuilder().setRequestId("request").setOutcome(Outcome.APPROVE).build()
                .toByteArray();
        byte[] truncated = java.util.Arrays.copyOf(full, 4);
        assertThrows(IllegalArgumentException.class, () -> DecisionWire.markReplayed(truncated));
        assertThrows(IllegalArgumentException.class, () -> DecisionWire.markReplayed(new byte[] {(byte) 0x80}));
        assertThrows(IllegalArgumentException.class, () -> DecisionWire.markReplayed(new byte[] {0x0f}));
    }

    @Test
    void shouldTellWhetherARequestCarriesAFieldWhateverTheOrderOfItsFields() throws Exception {
        dev.formica.v1.DecisionRequest plain = dev.formica.v1.DecisionRequest.newBuilder().setRequestId("r-1")
                .setBorrowerId("b-1").setAmountMinor(5_000).setMerchantId("m").build();
        int attributes = dev.formica.v1.DecisionRequest.ATTRIBUTES_FIELD_NUMBER;
        org.junit.jupiter.api.Assertions.assertFalse(DecisionWire.hasField(plain.toByteArray(), attributes));
        dev.formica.v1.DecisionRequest with = plain.toBuilder().putAttributes("bureau_score",
                dev.formica.v1.AttributeValue.newBuilder().setIntValue(700).build()).build();
        org.junit.jupiter.api.Assertions.assertTrue(DecisionWire.hasField(with.toByteArray(), attributes));
        // the attributes first, then the other fields: a client may write them in any order
        java.io.ByteArrayOutputStream reordered = new java.io.ByteArrayOutputStream();
        reordered.writeBytes(dev.formica.v1.DecisionRequest.newBuilder().putAllAttributes(with.getAttributesMap())
                .build().toByteArray());
        reordered.writeBytes(plain.toByteArray());
        org.junit.jupiter.api.Assertions.assertTrue(DecisionWire.hasField(reordered.toByteArray(), attributes));
        org.junit.jupiter.api.Assertions.assertTrue(DecisionWire.hasField(new byte[] {0x0a, 0x05, 'r'}, attributes),
                "malformed bytes: ask the parsed message");
    }
}
