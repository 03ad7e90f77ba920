package dev.formica.engine.server;

import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ErrorReason;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Authorisation: AdminService always needs an authenticated identity with the admin role; the other
 * Formica services need an authenticated caller only when {@code decisionAuthRequired} is on. No
 * identity is UNAUTHENTICATED; an identity without the role is PERMISSION_DENIED. Runs inside
 * {@link AuthenticationInterceptor}, whose {@link CallerIdentity} it reads.
 *
 * <p>Thread contract: immutable; called on event-loop threads.
 */
final class AccessPolicyInterceptor implements ServerInterceptor {
    private final boolean decisionAuthRequired;

    public AccessPolicyInterceptor(boolean decisionAuthRequired) {
        this.decisionAuthRequired = decisionAuthRequired;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        CallerIdentity id = CallerIdentity.current();
        String service = call.getMethodDescriptor().getServiceName();
        Refusals.Builder refusal = null;
        if (AdminServiceGrpc.SERVICE_NAME.equals(service)) {
            if (!id.authenticated()) {
                refusal = Refusals.builder(Status.Code.UNAUTHENTICATED, ErrorReason.CREDENTIALS_MISSING,
                        "AdminService needs a client certificate or an admin bearer token");
            } else if (!id.admin()) {
                refusal = Refusals.builder(Status.Code.PERMISSION_DENIED, ErrorReason.ROLE_MISSING,
                        "this " + id.via() + " identity is not allowed to call AdminService").metadata("role", "admin");
            }
        } else if (decisionAuthRequired) {
            if (!id.authenticated()) {
                refusal = Refusals.builder(Status.Code.UNAUTHENTICATED, ErrorReason.CREDENTIALS_MISSING,
                        service + " needs a client certificate or a bearer token");
            } else if (!id.caller()) {
                refusal = Refusals.builder(Status.Code.PERMISSION_DENIED, ErrorReason.ROLE_MISSING,
                        "this " + id.via() + " identity is not allowed to call " + service).metadata("role", "caller");
            }
        }
        if (refusal == null) {
            return next.startCall(call, headers);
        }
        StatusRuntimeException e = refusal.build();
        call.close(e.getStatus(), e.getTrailers());
        return new ServerCall.Listener<>() {
        };
    }
}
