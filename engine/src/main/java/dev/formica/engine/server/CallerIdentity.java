package dev.formica.engine.server;

import io.grpc.Context;

/**
 * Who made a call, as {@link AuthenticationInterceptor} established it, and what they may do.
 *
 * <p>Thread contract: immutable; travels in the gRPC {@link Context} of the call.
 *
 * @param authenticated whether a verified client certificate or a known bearer token came with the call
 * @param admin whether the caller may use AdminService
 * @param caller whether the caller may use DecisionService, ProfileService and DiagnosticsService when
 *     {@code decisionAuthRequired} is on
 * @param peer whether the caller is another node of the cluster, the only role the velocity exchange answers once
 *     the nodes have credentials of their own ({@code clusterPeerSubjects}, {@code clusterPeerTokenFile}); it grants
 *     nothing else
 * @param via how the caller was recognised ("certificate", "token", "none"); never the secret itself
 */
record CallerIdentity(boolean authenticated, boolean admin, boolean caller, boolean peer, String via) {
    /** The context key the interceptors share. */
    public static final Context.Key<CallerIdentity> KEY = Context.key("formica-caller-identity");
    public static final CallerIdentity ANONYMOUS = new CallerIdentity(false, false, false, false, "none");

    /** The identity of the current call, {@link #ANONYMOUS} outside one. */
    public static CallerIdentity current() {
        CallerIdentity id = KEY.get();
        return id != null ? id : ANONYMOUS;
    }

    CallerIdentity or(CallerIdentity other) {
        if (!other.authenticated) {
            return this;
        }
        if (!authenticated) {
            return other;
        }
        return new CallerIdentity(true, admin || other.admin, caller || other.caller, peer || other.peer,
                via + "+" + other.via);
    }
}
