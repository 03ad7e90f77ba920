package dev.formica.engine.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.formica.engine.pipeline.AnswerBytes;
import dev.formica.v1.DecisionResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One {@code DecisionResponse} as the server sends it: either the wire bytes the shard wrote (a Decide's answer,
 * fresh or replayed, or a stored decision), handed to gRPC as they are by {@link #MARSHALLER}, or a message built in
 * the server (a refusal inside a DecideStream). Clients in any language receive the same bytes either way: the
 * shard's bytes are exactly protobuf's serialisation of the message ({@code DecisionResultTest},
 * {@code PassThroughResponseTest}).
 *
 * <p>The bytes are owned by this reply once made, and usually are a buffer of the shard's pool
 * ({@link AnswerBytes}): the stream {@link #MARSHALLER} makes of them gives the buffer back when it is closed.
 * gRPC closes it once the transport has copied the bytes into its own buffer, inside {@code sendMessage} (the
 * in-process transport: once the receiving call has parsed them). So a reply is sent once, and read
 * ({@link #message}) only before it is sent; after that both fail rather than read bytes that may carry another
 * answer by then.
 *
 * <p>Thread contract: one thread at a time (the one sending the call's messages).
 */
public final class DecisionReply {
    private static final MethodDescriptor.Marshaller<DecisionResponse> PROTO =
            ProtoUtils.marshaller(DecisionResponse.getDefaultInstance());

    /** Streams a reply's bytes (without parsing or serialising them), or its message through protobuf's own. */
    public static final MethodDescriptor.Marshaller<DecisionReply> MARSHALLER = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(DecisionReply reply) {
            return reply.message != null ? PROTO.stream(reply.message) : new WireStream(reply.take());
        }

        @Override
        public DecisionReply parse(InputStream stream) {
            return of(PROTO.parse(stream));
        }
    };

    private final DecisionResponse message;
    /** The bytes to send; null once a stream has taken them. */
    private AnswerBytes bytes;

    private DecisionReply(DecisionResponse message, AnswerBytes bytes) {
        this.message = message;
        this.bytes = bytes;
    }

    /** A reply built as a message. */
    static DecisionReply of(DecisionResponse message) {
        return new DecisionReply(message, null);
    }

    /** A reply of a {@code DecisionResponse}'s wire bytes, sent as they are. */
    public static DecisionReply wire(byte[] bytes) {
        return new DecisionReply(null, AnswerBytes.of(bytes));
    }

    /** A reply of a {@code DecisionResponse}'s wire bytes, sent as they are; the reply owns them from now on. */
    public static DecisionReply wire(AnswerBytes bytes) {
        return new DecisionReply(null, bytes);
    }

    /** The bytes, now the caller's; fails when a stream has already taken them (the reply was sent). */
    private AnswerBytes take() {
        AnswerBytes taken = bytes;
        if (taken == null) {
            throw new IllegalStateException("decision reply already sent");
        }
        bytes = null;
        return taken;
    }

    /**
     * The reply as a message: parsed from the bytes (for the few readers that need fields: a sampled call's span,
     * tests). Not on the path of an unsampled call.
     */
    public DecisionResponse message() {
        if (message != null) {
            return message;
        }
        AnswerBytes wire = bytes;
        if (wire == null) {
            throw new IllegalStateException("decision reply already sent: its bytes went back to the shard's pool");
        }
        try {
            return DecisionResponse.parser().parseFrom(wire.array(), 0, wire.length());
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("decision reply unreadable").withCause(e).asRuntimeException();
        }
    }

    /**
     * The bytes as gRPC reads a message: its length known ({@link KnownLength}), and copied straight into the
     * transport's buffer ({@link Drainable}) instead of through {@code read}. Owns its {@link AnswerBytes} and gives
     * them back at {@link #close} (once); reads after that find the stream empty, never the buffer's next answer.
     */
    static final class WireStream extends ByteArrayInputStream implements KnownLength, Drainable {
        private static final byte[] EMPTY = new byte[0];
        private AnswerBytes owned;

        WireStream(byte[] bytes) {
            super(bytes);
        }

        WireStream(AnswerBytes bytes) {
            super(bytes.array(), 0, bytes.length());
            owned = bytes;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void reset() {
            throw new UnsupportedOperationException("a decision reply is read once");
        }

        @Override
        public void close() {
            AnswerBytes released = owned;
            if (released != null) {
                owned = null;
                buf = EMPTY;
                pos = 0;
                count = 0;
                released.release();
            }
        }
    }
}
