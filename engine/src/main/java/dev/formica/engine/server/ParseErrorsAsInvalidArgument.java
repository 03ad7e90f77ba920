package dev.formica.engine.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a request that is not a valid protobuf message (truncated bytes, a wrong wire type,
 * invalid UTF-8 in a string field) with INVALID_ARGUMENT naming the problem, where grpc-java's
 * protobuf marshaller says INTERNAL, which would read as a server fault and invite retries. Done by
 * wrapping each method's request marshaller; the service keeps its schema descriptor, so
 * reflection still describes it.
 *
 * <p>Thread contract: stateless; the wrapped marshallers are called on event-loop threads.
 */
public final class ParseErrorsAsInvalidArgument {
    private ParseErrorsAsInvalidArgument() {
    }

    /** {@code service} with every request marshaller wrapped. */
    public static ServerServiceDefinition wrap(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            methods.add(wrapMethod(method));
        }
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
        ServerServiceDefinition.Builder wrapped = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(wrapped::addMethod);
        return wrapped.build();
    }

    private static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> wrapMethod(
            ServerMethodDefinition<ReqT, RespT> method) {
        MethodDescriptor<ReqT, RespT> md = method.getMethodDescriptor();
        MethodDescriptor.Marshaller<ReqT> requests = md.getRequestMarshaller();
        MethodDescriptor.Marshaller<ReqT> checked = requests instanceof MethodDescriptor.PrototypeMarshaller<ReqT> p
                ? new CheckedPrototypeMarshaller<>(p) : new CheckedMarshaller<>(requests);
        return ServerMethodDefinition.create(md.toBuilder(checked, md.getResponseMarshaller()).build(),
                method.getServerCallHandler());
    }

    static StatusRuntimeException invalid(StatusRuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return Status.INVALID_ARGUMENT.withDescription("request: not a valid protobuf message: " + cause.getMessage())
                .withCause(e).asRuntimeException();
    }

    private static class CheckedMarshaller<T> implements MethodDescriptor.Marshaller<T> {
        private final MethodDescriptor.Marshaller<T> delegate;

        CheckedMarshaller(MethodDescriptor.Marshaller<T> delegate) {
            this.delegate = delegate;
        }

        @Override
        public InputStream stream(T value) {
            return delegate.stream(value);
        }

        @Override
        public T parse(InputStream stream) {
            try {
                return delegate.parse(stream);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.INTERNAL) {
                    throw invalid(e);
                }
                throw e;
            }
        }
    }

    private static final class CheckedPrototypeMarshaller<T> extends CheckedMarshaller<T>
            implements MethodDescriptor.PrototypeMarshaller<T> {
        private final MethodDescriptor.PrototypeMarshaller<T> prototype;

        CheckedPrototypeMarshaller(MethodDescriptor.PrototypeMarshaller<T> delegate) {
            super(delegate);
            this.prototype = delegate;
        }

        @Override
        public T getMessagePrototype() {
            return prototype.getMessagePrototype();
        }

        @Override
        public Class<T> getMessageClass() {
            return prototype.getMessageClass();
        }
    }
}
