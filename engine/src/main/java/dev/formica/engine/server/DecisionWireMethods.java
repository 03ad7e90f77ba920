package dev.formica.engine.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Re-registers the DecisionService methods whose answer is a shard's {@code DecisionResponse} (Decide, DecideStream,
 * GetDecision) so that the answer's wire bytes go to gRPC as they are ({@link DecisionReply#MARSHALLER}: no parse
 * into a message and no second serialisation), and a Decide's request reaches the shard with the bytes it was
 * parsed from ({@link #bytesOf}), which the journal keeps instead of serialising the request again. The other
 * methods keep the generated descriptors. The names, the request and response schema and the service's schema
 * descriptor (server reflection) are unchanged, so clients see the same service.
 *
 * <p>Done in {@link DecisionGrpcService#bindService}, inside the interceptors: they are generic in the message
 * types and see the typed {@code DecisionRequest} and a {@link DecisionReply} (the tracing span reads the outcome
 * through {@link DecisionReply#message}); the method descriptor they see is this one, not the generated object
 * (compare methods by name). {@link ParseErrorsAsInvalidArgument} still wraps the result and parses each request
 * inside the call with these marshallers.
 *
 * <p>Thread contract: stateless; the marshallers run on the transport's threads.
 */
final class DecisionWireMethods {
    /**
     * The last request this thread's {@link #DECIDE_REQUEST} parsed, with its bytes. The transport parses a message
     * and hands it to the call's listener on the same thread, right away (a unary call's handler runs at the
     * half-close that arrives with it), so the handler finds its request here; {@link #bytesOf} checks it is the
     * same object, so a request parsed for another call in between (or replaced by an interceptor) only loses the
     * shortcut: it is serialised again for the journal, as before.
     */
    private static final ThreadLocal<Parsed> LAST = ThreadLocal.withInitial(Parsed::new);

    /** Mutable, one per thread: no allocation per call. */
    private static final class Parsed {
        DecisionRequest request;
        byte[] bytes;
    }

    /**
     * Parses a {@code DecisionRequest} as protobuf's marshaller does and keeps the bytes it was parsed from for
     * {@link #bytesOf}; a malformed one fails as an {@link IllegalArgumentException}, which
     * {@link ParseErrorsAsInvalidArgument} answers with INVALID_ARGUMENT. The interceptors see the typed request.
     */
    static final MethodDescriptor.Marshaller<DecisionRequest> DECIDE_REQUEST = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(DecisionRequest request) {
            return new DecisionReply.WireStream(request.toByteArray());
        }

        @Override
        public DecisionRequest parse(InputStream stream) {
            byte[] bytes = readAll(stream);
            DecisionRequest request;
            try {
                request = DecisionRequest.parseFrom(bytes);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            Parsed last = LAST.get();
            last.request = request;
            last.bytes = bytes;
            return request;
        }
    };

    /** The bytes {@code request} was parsed from on this thread, or null when they were not kept. */
    static byte[] bytesOf(DecisionRequest request) {
        Parsed last = LAST.get();
        if (last.request != request) {
            return null;
        }
        byte[] bytes = last.bytes;
        last.request = null;
        last.bytes = null;
        return bytes;
    }

    private DecisionWireMethods() {
    }

    /** The generated definition of {@code service} with Decide, DecideStream and GetDecision re-registered. */
    static ServerServiceDefinition rebind(ServerServiceDefinition generated, DecisionGrpcService service) {
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
            String name = method.getMethodDescriptor().getFullMethodName();
            if (name.equals(DecisionServiceGrpc.getDecideMethod().getFullMethodName())) {
                methods.add(define(DecisionServiceGrpc.getDecideMethod().toBuilder(DECIDE_REQUEST,
                        DecisionReply.MARSHALLER).build(), ServerCalls.asyncUnaryCall(service::decideWire)));
            } else if (name.equals(DecisionServiceGrpc.getDecideStreamMethod().getFullMethodName())) {
                methods.add(define(DecisionServiceGrpc.getDecideStreamMethod().toBuilder(DECIDE_REQUEST,
                        DecisionReply.MARSHALLER).build(),
                        ServerCalls.asyncBidiStreamingCall(service::decideStreamWire)));
            } else if (name.equals(DecisionServiceGrpc.getGetDecisionMethod().getFullMethodName())) {
                MethodDescriptor<dev.formica.v1.GetDecisionRequest, ?> md = DecisionServiceGrpc.getGetDecisionMethod();
                methods.add(define(md.toBuilder(md.getRequestMarshaller(), DecisionReply.MARSHALLER).build(),
                        ServerCalls.asyncUnaryCall(service::getDecisionWire)));
            } else {
                methods.add(method);
            }
        }
        return ParseErrorsAsInvalidArgument.service(generated.getServiceDescriptor(), methods);
    }

    private static <Q, R> ServerMethodDefinition<Q, R> define(MethodDescriptor<Q, R> method,
            ServerCallHandler<Q, R> handler) {
        return ServerMethodDefinition.create(method, handler);
    }

    /** The whole message: sized at once when the transport knows its length (it does for a received message). */
    private static byte[] readAll(InputStream stream) {
        try {
            if (stream instanceof KnownLength) {
                byte[] bytes = new byte[stream.available()];
                int n = stream.readNBytes(bytes, 0, bytes.length);
                int next = n == bytes.length ? stream.read() : -1;
                if (next == -1) {
                    return n == bytes.length ? bytes : Arrays.copyOf(bytes, n);
                }
                // more than it said: the rest the general way
                ByteArrayOutputStream all = new ByteArrayOutputStream(bytes.length * 2);
                all.write(bytes, 0, n);
                all.write(next);
                stream.transferTo(all);
                return all.toByteArray();
            }
            return stream.readAllBytes();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read the request").withCause(e).asRuntimeException();
        }
    }
}
