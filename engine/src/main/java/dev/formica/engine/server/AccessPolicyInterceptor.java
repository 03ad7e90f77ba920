package dev.formica.engine.server;

import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.VelocityExchangeServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Authorisation: AdminService always needs an authenticated identity with the admin role; the velocity exchange
 * between a cluster's nodes needs the peer role once the nodes have credentials of their own
 * ({@code clusterPeerSubjects}, {@code clusterPeerTokenFile}; required with {@code decisionAuthRequired}), and is
 * otherwise as open as Decide; the other Formica services need an authenticated caller only when
 * {@code decisionAuthRequired} is on. The roles do not imply each other: a caller is no peer, a peer no caller. No
 * identity is UNAUTHENTICATED; an identity without the role is PERMISSION_DENIED. Runs inside
 * {@link AuthenticationInterceptor}, whose {@link CallerIdentity} it reads.
 *
 * <p>Thread contract: immutable; called on event-loop threads.
 */
final class AccessPolicyInterceptor implements ServerInterceptor {
    private final boolean decisionAuthRequired;
    private final boolean peerAuthRequired;

    public AccessPolicyInterceptor(boolean decisionAuthRequired) {
        this(decisionAuthRequired, false);
    }

    /** @param peerAuthRequired whether ExchangeVelocity takes only the peer role */
    public AccessPolicyInterceptor(boolean decisionAuthRequired, boolean peerAuthRequired) {
        this.decisionAuthRequired = decisionAuthRequired;
        this.peerAuthRequired = peerAuthRequired;
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
        } else if (peerAuthRequired && VelocityExchangeServiceGrpc.SERVICE_NAME.equals(service)) {
            // without node credentials the exchange is as open as Decide: then decisionAuthRequired is off too, or
            // no exchange runs (EngineConfiguration refuses it otherwise), so the branch below cannot let a caller in
            if (!id.authenticated()) {
                refusal = Refusals.builder(Status.Code.UNAUTHENTICATED, ErrorReason.CREDENTIALS_MISSING,
                        service + " needs a node's client certificate or node token");
            } else if (!id.peer()) {
                refusal = Refusals.builder(Status.Code.PERMISSION_DENIED, ErrorReason.ROLE_MISSING,
                        "this " + id.via() + " identity is not a node of the cluster").metadata("role", "peer");
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
