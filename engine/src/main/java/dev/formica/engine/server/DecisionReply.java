package dev.formica.engine.server;

import com.google.protobuf.InvalidProtocolBufferException;
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
 * <p>Thread contract: immutable; the bytes are owned by this reply once made.
 */
public final class DecisionReply {
    private static final MethodDescriptor.Marshaller<DecisionResponse> PROTO =
            ProtoUtils.marshaller(DecisionResponse.getDefaultInstance());

    /** Streams a reply's bytes (without parsing or serialising them), or its message through protobuf's own. */
    public static final MethodDescriptor.Marshaller<DecisionReply> MARSHALLER = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(DecisionReply reply) {
            return reply.bytes != null ? new WireStream(reply.bytes) : PROTO.stream(reply.message);
        }

        @Override
        public DecisionReply parse(InputStream stream) {
            return of(PROTO.parse(stream));
        }
    };

    private final DecisionResponse message;
    private final byte[] bytes;

    private DecisionReply(DecisionResponse message, byte[] bytes) {
        this.message = message;
        this.bytes = bytes;
    }

    /** A reply built as a message. */
    static DecisionReply of(DecisionResponse message) {
        return new DecisionReply(message, null);
    }

    /** A reply of a {@code DecisionResponse}'s wire bytes, sent as they are. */
    public static DecisionReply wire(byte[] bytes) {
        return new DecisionReply(null, bytes);
    }

    /**
     * The reply as a message: parsed from the bytes (for the few readers that need fields: a sampled call's span,
     * tests). Not on the path of an unsampled call.
     */
    public DecisionResponse message() {
        if (message != null) {
            return message;
        }
        try {
            return DecisionResponse.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("decision reply unreadable").withCause(e).asRuntimeException();
        }
    }

    /**
     * The bytes as gRPC reads a message: its length known ({@link KnownLength}), and copied straight into the
     * transport's buffer ({@link Drainable}) instead of through {@code read}.
     */
    static final class WireStream extends ByteArrayInputStream implements KnownLength, Drainable {
        WireStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
