package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.formica.engine.pipeline.AnswerBytes;
import dev.formica.engine.pipeline.AnswerBytesFixture;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import io.grpc.Drainable;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * A reply over a pooled buffer gives the buffer back only when gRPC closes the stream it read the bytes from (after
 * copying them into the transport's buffer), exactly once; a reply is not read after that, so it can never show the
 * answer the buffer carries next.
 */
class DecisionReplyTest {
    private static final DecisionResponse FIRST = DecisionResponse.newBuilder().setRequestId("first")
            .setOutcome(Outcome.APPROVE).setApprovedAmountMinor(12_345).build();
    private static final DecisionResponse SECOND = DecisionResponse.newBuilder().setRequestId("second")
            .setOutcome(Outcome.DECLINE).build();

    @Test
    void shouldGiveTheBufferBackWhenTheTransportClosesTheStreamAndNotBefore() throws Exception {
        AnswerBytesFixture pool = new AnswerBytesFixture();
        AnswerBytes bytes = pool.copyOf(FIRST.toByteArray());
        DecisionReply reply = DecisionReply.wire(bytes);
        assertEquals(FIRST, reply.message(), "readable before it is sent (a sampled call's span)");

        InputStream stream = DecisionReply.MARSHALLER.stream(reply);
        ByteArrayOutputStream transport = new ByteArrayOutputStream();
        ((Drainable) stream).drainTo(transport);
        assertEquals(0, pool.free(), "drained but not closed: gRPC still holds the stream");
        stream.close();
        assertEquals(1, pool.free());
        stream.close();
        assertEquals(1, pool.free(), "a second close gives nothing back twice");
        assertArrayEquals(FIRST.toByteArray(), transport.toByteArray());

        AnswerBytes next = pool.copyOf(SECOND.toByteArray());
        assertSame(bytes, next, "the buffer carries the next answer");
        assertEquals(-1, stream.read(), "the closed stream does not read the next answer");
        assertThrows(IllegalStateException.class, reply::message, "a sent reply is not read again");
        assertThrows(IllegalStateException.class, () -> DecisionReply.MARSHALLER.stream(reply));
        assertEquals(SECOND, DecisionReply.wire(next).message());
    }

    @Test
    void shouldGiveTheBufferBackWhenAReaderParsesTheStreamAsTheInProcessTransportDoes() throws Exception {
        AnswerBytesFixture pool = new AnswerBytesFixture();
        InputStream stream = DecisionReply.MARSHALLER.stream(DecisionReply.wire(pool.copyOf(FIRST.toByteArray())));
        DecisionReply parsed = DecisionReply.MARSHALLER.parse(stream);
        assertEquals(0, pool.free(), "the receiving call closes the stream after parsing it");
        stream.close();
        assertEquals(1, pool.free());
        assertEquals(FIRST, parsed.message(), "the parsed reply is a message of its own");
    }

    @Test
    void shouldStreamAMessageReplyThroughProtobuf() throws Exception {
        InputStream stream = DecisionReply.MARSHALLER.stream(DecisionReply.of(SECOND));
        assertArrayEquals(SECOND.toByteArray(), stream.readAllBytes());
    }
}
