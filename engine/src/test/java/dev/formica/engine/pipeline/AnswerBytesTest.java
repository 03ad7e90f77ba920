package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.errors.Refused;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh Decide's answer travels in a buffer of the shard's pool that comes back once delivered: a buffer still held
 * by its reader is never handed to another answer, a returned one is, and a replay carries the record's own bytes
 * whatever the pool has done with the buffer of the original answer since.
 */
class AnswerBytesTest {
    @TempDir
    Path dir;

    /** A call that keeps the bytes it is answered with, as the transport does until it has copied them. */
    static final class HoldingCall implements WireCall<DecisionResponse> {
        AnswerBytes bytes;

        @Override
        public void onAnswerBytes(AnswerBytes response) {
            bytes = response;
        }

        @Override
        public void onResult(DecisionResponse result) {
            throw new AssertionError("a wire call is answered with bytes");
        }

        @Override
        public void onError(Refused error) {
            throw new AssertionError(error);
        }

        DecisionResponse parsed() throws Exception {
            return DecisionResponse.parser().parseFrom(bytes.array(), 0, bytes.length());
        }
    }

    @Test
    void shouldNeverHandABufferStillBeingReadToAnotherAnswer() throws Exception {
        long now = PipelineFixture.START_MS;
        try (ShardState state = ShardState.open(dir, StateConfig.defaults().withSizes(1000, 1000, 1000), now);
                RiskContext risk = RiskContext.openDefaults(dir.resolve("risk"))) {
            ShardProcessor p = new ShardProcessor(0, state, 900_000, 86_400_000, "CNY", risk);
            p.recover(now);
            state.ledger().putLine("alice", Product.CONSUMER_CREDIT_VALUE, 5_000_000, now);

            HoldingCall first = decide(p, "r1", 100_000, now);
            assertTrue(first.bytes.pooled());
            DecisionResponse firstAnswer = first.parsed();
            assertEquals(Outcome.APPROVE, firstAnswer.getOutcome());
            byte[] firstBytes = Arrays.copyOf(first.bytes.array(), first.bytes.length());

            HoldingCall second = decide(p, "r2", 200_000, now);
            assertNotSame(first.bytes.array(), second.bytes.array(), "the first answer's buffer is still read");
            assertEquals("r1", first.parsed().getRequestId());
            assertArrayEquals(firstBytes, Arrays.copyOf(first.bytes.array(), first.bytes.length()));
            assertEquals("r2", second.parsed().getRequestId());
            assertEquals(2, p.answers().made());

            byte[] reused = first.bytes.array();
            first.bytes.release();
            assertThrows(IllegalStateException.class, first.bytes::release, "a second owner would share it");
            HoldingCall third = decide(p, "r3", 300_000, now);
            assertSame(reused, third.bytes.array(), "a returned buffer carries the next answer");
            assertEquals(2, p.answers().made(), "no new buffer while one is free");
            assertEquals("r3", third.parsed().getRequestId());
            assertEquals(300_000, third.parsed().getApprovedAmountMinor());
            assertEquals("r2", second.parsed().getRequestId(), "the held answer is untouched");

            // the retry of r1 after its buffer carries r3: the record's bytes, marked replayed
            HoldingCall retry = decide(p, "r1", 100_000, now);
            assertFalse(retry.bytes.pooled());
            assertEquals(firstAnswer.toBuilder().setReplayed(true).build(), retry.parsed());

            second.bytes.release();
            third.bytes.release();
            retry.bytes.release();
            assertEquals(2, p.answers().free(), "every pooled buffer came back once");
        }
    }

    @Test
    void shouldGiveBackTheBufferOfAnAnswerParsedForAPlainSink() throws Exception {
        long now = PipelineFixture.START_MS;
        try (ShardState state = ShardState.open(dir, StateConfig.defaults().withSizes(1000, 1000, 1000), now);
                RiskContext risk = RiskContext.openDefaults(dir.resolve("risk"))) {
            ShardProcessor p = new ShardProcessor(0, state, 900_000, 86_400_000, "CNY", risk);
            p.recover(now);
            state.ledger().putLine("bob", Product.CONSUMER_CREDIT_VALUE, 5_000_000, now);
            for (int i = 0; i < 5; i++) {
                DecisionResponse answer = p.decide(PipelineFixture.decision("r" + i, "bob", 10_000 + i), now, 0);
                assertEquals("r" + i, answer.getRequestId());
                assertEquals(10_000 + i, answer.getApprovedAmountMinor());
            }
            assertEquals(1, p.answers().made(), "one buffer, given back after each parse");
            assertEquals(1, p.answers().free());
        }
    }

    @Test
    void shouldGrowAPooledBufferForALongAnswerAndRefuseASecondRelease() {
        AnswerBytes.Pool pool = new AnswerBytes.Pool();
        byte[] longAnswer = new byte[AnswerBytes.INITIAL_CAPACITY * 3];
        Arrays.fill(longAnswer, (byte) 7);
        AnswerBytes a = pool.copyOf(longAnswer, longAnswer.length);
        assertArrayEquals(longAnswer, a.toArray());
        a.release();
        AnswerBytes b = pool.copyOf(new byte[] {1, 2, 3}, 3);
        assertSame(a, b);
        assertArrayEquals(new byte[] {1, 2, 3}, b.toArray());
        b.release();
        assertThrows(IllegalStateException.class, b::release);
        AnswerBytes plain = AnswerBytes.of(new byte[] {4});
        plain.release();
        assertEquals(1, pool.free(), "plain bytes never enter a pool");
    }

    /** Runs a Decide on {@code p} and delivers its answer as the server's pipeline does, to a holding wire call. */
    private static HoldingCall decide(ShardProcessor p, String requestId, long amount, long now) {
        DecisionResponse built = p.run(Operation.DECIDE, PipelineFixture.decision(requestId, "alice", amount), 0,
                now, 0);
        assertEquals(null, built, "a Decide leaves its answer as bytes");
        HoldingCall call = new HoldingCall();
        ShardCommand.deliver(call, Operation.DECIDE, p.takeAnswerBytes(), p.answerReplayed());
        return call;
    }
}
