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
}
