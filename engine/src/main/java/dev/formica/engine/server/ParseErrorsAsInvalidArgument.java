package dev.formica.engine.server;

import com.google.protobuf.MessageLite;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.ProfileServiceGrpc;
import io.grpc.Attributes;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a request that is not a valid protobuf message (truncated bytes, a wrong wire type,
 * invalid UTF-8 in a string field) with INVALID_ARGUMENT naming the problem. Left to grpc-java, the
 * marshaller's exception ends the call as UNKNOWN "Application error processing RPC", which reads as
 * a server fault and invites retries.
 *
 * <p>How: each method is re-registered with a pass-through request marshaller, and its handler
 * parses the request itself, inside the call, where a failure can be answered with a status. Applied
 * outside the interceptors, which keep seeing typed messages (so RPC metrics do not count these
 * refusals). The service keeps its schema descriptor, so server reflection still describes it.
 *
 * <p>Thread contract: stateless; handlers run on the transport's threads like any other.
 */
final class ParseErrorsAsInvalidArgument {
    /**
     * The largest request of the services whose requests become state (DecisionService, ProfileService): a shard-log
     * frame, a stored profile. Every field rule together allows about 22 KB; fields this server does not know are
     * kept (protobuf's forward compatibility) and journaled with the request, so without a bound a client could push
     * a frame past the log's limit ({@code LogFrames.MAX_FRAME}) or fill the log with them.
     */
    static final int MAX_STATE_REQUEST_BYTES = 64 * 1024;

    static final MethodDescriptor.Marshaller<InputStream> PASS_THROUGH = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            // read during onMessage, before the transport closes it
            return stream;
        }
    };

    private ParseErrorsAsInvalidArgument() {
    }

    /** {@code service} with requests parsed inside the call. */
    public static ServerServiceDefinition wrap(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        int maxBytes = makesState(original.getName()) ? MAX_STATE_REQUEST_BYTES : Integer.MAX_VALUE;
        List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            methods.add(wrapMethod(method, maxBytes));
        }
        return service(original, methods);
    }

    /** Whether the requests of {@code service} become state; the others (admin, Echo) keep the transport's bound. */
    private static boolean makesState(String service) {
        return service.equals(DecisionServiceGrpc.SERVICE_NAME) || service.equals(ProfileServiceGrpc.SERVICE_NAME);
    }

    /**
     * A service named and described as {@code original} (its schema descriptor kept, for server reflection) with
     * {@code methods} in place of its own.
     */
    static ServerServiceDefinition service(ServiceDescriptor original,
            List<? extends ServerMethodDefinition<?, ?>> methods) {
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(service::addMethod);
        return service.build();
    }

    private static <ReqT, RespT> ServerMethodDefinition<InputStream, RespT> wrapMethod(
            ServerMethodDefinition<ReqT, RespT> method, int maxBytes) {
        MethodDescriptor<ReqT, RespT> md = method.getMethodDescriptor();
        MethodDescriptor<InputStream, RespT> raw = md.toBuilder(PASS_THROUGH, md.getResponseMarshaller()).build();
        ServerCallHandler<ReqT, RespT> handler = method.getServerCallHandler();
        return ServerMethodDefinition.create(raw, (call, headers) -> {
            ServerCall<ReqT, RespT> typed = new TypedCall<>(call, md);
            ServerCall.Listener<ReqT> listener = handler.startCall(typed, headers);
            return new ParsingListener<>(call, md, listener, maxBytes);
        });
    }

    static StatusRuntimeException invalid(RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return Refusals.of(Status.Code.INVALID_ARGUMENT, ErrorReason.MALFORMED_REQUEST,
                "request: not a valid protobuf message: " + cause.getMessage());
    }

    /** INVALID_ARGUMENT naming {@code request}: {@code bytes} are more than {@code maxBytes}. */
    static StatusRuntimeException tooLarge(long bytes, int maxBytes) {
        return Refusals.invalid("request: at most " + maxBytes + " bytes, was " + bytes + " (fields this server does"
                + " not know are kept with the request; send fewer)");
    }

    /** The bytes left in {@code message} when the transport knows them (it does for its own streams), else -1. */
    private static int knownLength(InputStream message) {
        if (!(message instanceof KnownLength)) {
            return -1;
        }
        try {
            return message.available();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Parses each message; on failure, or when it is larger than the service takes, closes the call with
     * INVALID_ARGUMENT and hides the rest from the handler.
     */
    private static final class ParsingListener<ReqT, RespT> extends ServerCall.Listener<InputStream> {
        private final ServerCall<InputStream, RespT> call;
        private final MethodDescriptor<ReqT, RespT> method;
        private final ServerCall.Listener<ReqT> delegate;
        private final int maxBytes;
        private boolean failed;

        ParsingListener(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> method,
                ServerCall.Listener<ReqT> delegate, int maxBytes) {
            this.call = call;
            this.method = method;
            this.delegate = delegate;
            this.maxBytes = maxBytes;
        }

        private void refuse(StatusRuntimeException refusal) {
            failed = true;
            call.close(refusal.getStatus(), refusal.getTrailers());
        }

        @Override
        public void onMessage(InputStream message) {
            if (failed) {
                return;
            }
            // the transport's stream knows its length: an int compare per call, nothing allocated
            int length = maxBytes == Integer.MAX_VALUE ? -1 : knownLength(message);
            if (length > maxBytes) {
                refuse(tooLarge(length, maxBytes));
                return;
            }
            ReqT parsed;
            try {
                parsed = method.parseRequest(message);
            } catch (StatusRuntimeException | IllegalArgumentException e) {
                refuse(invalid(e));
                return;
            }
            if (length < 0 && maxBytes != Integer.MAX_VALUE && parsed instanceof MessageLite m
                    && m.getSerializedSize() > maxBytes) {
                refuse(tooLarge(m.getSerializedSize(), maxBytes));
                return;
            }
            delegate.onMessage(parsed);
        }

        @Override
        public void onHalfClose() {
            if (!failed) {
                delegate.onHalfClose();
            }
        }

        @Override
        public void onCancel() {
            delegate.onCancel();
        }

        @Override
        public void onComplete() {
            delegate.onComplete();
        }

        @Override
        public void onReady() {
            if (!failed) {
                delegate.onReady();
            }
        }
    }

    /** The call as the service sees it: typed requests, the original method descriptor. */
    private static final class TypedCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
        private final ServerCall<InputStream, RespT> call;
        private final MethodDescriptor<ReqT, RespT> method;

        TypedCall(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> method) {
            this.call = call;
            this.method = method;
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            call.sendHeaders(headers);
        }

        @Override
        public void sendMessage(RespT message) {
            call.sendMessage(message);
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public void close(Status status, Metadata trailers) {
            call.close(status, trailers);
        }

        @Override
        public boolean isCancelled() {
            return call.isCancelled();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public void setOnReadyThreshold(int numBytes) {
            call.setOnReadyThreshold(numBytes);
        }

        @Override
        public SecurityLevel getSecurityLevel() {
            return call.getSecurityLevel();
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }

        @Override
        public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
            return method;
        }
    }
}
