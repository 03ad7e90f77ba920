package dev.formica.engine.server;

import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.InputStream;

/**
 * What the health-only server of a starting node answers for every method but health: {@code UNAVAILABLE}, which
 * clients retry (the Java SDK asks another node for its map first), instead of gRPC's {@code UNIMPLEMENTED}, which
 * they must not. A replicated node joins its Raft groups during recovery, so a client can be sent to it (by another
 * node's map, after a leader hand-over or an election) a moment before it serves.
 *
 * <p>Thread contract: stateless, any thread.
 */
final class StartingUp extends HandlerRegistry {
    static final StartingUp REGISTRY = new StartingUp();

    private StartingUp() {
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        MethodDescriptor<InputStream, InputStream> method = MethodDescriptor.<InputStream, InputStream>newBuilder()
                .setType(MethodDescriptor.MethodType.UNKNOWN).setFullMethodName(methodName)
                .setRequestMarshaller(ParseErrorsAsInvalidArgument.PASS_THROUGH)
                .setResponseMarshaller(ParseErrorsAsInvalidArgument.PASS_THROUGH).build();
        return ServerMethodDefinition.create(method, (call, headers) -> {
            call.close(Status.UNAVAILABLE.withDescription("formica is starting (recovery); retry"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        });
    }
}
