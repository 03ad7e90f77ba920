package dev.formica.engine.server;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.ErrorReason;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Authentication: works out who is calling from the TLS client certificate (verified by the
 * transport against {@code tlsClientCa}) and the {@code authorization: Bearer <token>} header, and
 * puts a {@link CallerIdentity} in the call's context. A token that is presented but unknown, or a
 * malformed {@code authorization} header, is refused at once with UNAUTHENTICATED, whatever the
 * method; so is an admin token from a peer that is not a loopback address when {@code adminTokenLoopbackOnly} is
 * set (an in-process peer is not one). Whether an identity may call a method is
 * {@link AccessPolicyInterceptor}'s concern.
 *
 * <p>Thread contract: immutable after construction; called on event-loop threads.
 */
final class AuthenticationInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "bearer ";
    private static final Refusals.Prepared BAD_TOKEN = Refusals.builder(Status.Code.UNAUTHENTICATED,
            ErrorReason.TOKEN_INVALID, "authorization: expected 'Bearer <token>' with a token this server knows")
            .prepare();
    private static final Refusals.Prepared ADMIN_TOKEN_FROM_ELSEWHERE = Refusals.builder(Status.Code.UNAUTHENTICATED,
            ErrorReason.TOKEN_INVALID, "authorization: this server takes admin tokens only from its own machine"
            + " (adminTokenLoopbackOnly): call it on a loopback address (in its pod: kubectl exec), or with an admin"
            + " client certificate over mutual TLS").prepare();

    private final BearerTokens adminTokens;
    private final boolean adminTokenLoopbackOnly;
    private final BearerTokens callerTokens;
    private final Set<X500Principal> adminSubjects;
    private final Set<X500Principal> callerSubjects;
    private final BearerTokens peerTokens;
    private final Set<X500Principal> peerSubjects;

    AuthenticationInterceptor(BearerTokens adminTokens, boolean adminTokenLoopbackOnly, BearerTokens callerTokens,
            List<String> adminSubjects, List<String> callerSubjects) {
        this(adminTokens, adminTokenLoopbackOnly, callerTokens, adminSubjects, callerSubjects, BearerTokens.none(),
                List.of());
    }

    /**
     * @param peerTokens the cluster's node tokens ({@code clusterPeerTokenFile}): the peer role, nothing else
     * @param peerSubjects the nodes' certificate subjects ({@code clusterPeerSubjects}): the peer role too
     * @throws IllegalStateException when a node token is also a caller's or an admin's, or a node's subject is
     *     listed as a caller's or an admin's: a checkout credential would then be a node's
     */
    AuthenticationInterceptor(BearerTokens adminTokens, boolean adminTokenLoopbackOnly, BearerTokens callerTokens,
            List<String> adminSubjects, List<String> callerSubjects, BearerTokens peerTokens,
            List<String> peerSubjects) {
        this.adminTokens = adminTokens;
        this.adminTokenLoopbackOnly = adminTokenLoopbackOnly;
        this.callerTokens = callerTokens;
        this.adminSubjects = principals("adminSubjects", adminSubjects);
        this.callerSubjects = principals("callerSubjects", callerSubjects);
        this.peerTokens = peerTokens;
        this.peerSubjects = principals("clusterPeerSubjects", peerSubjects);
        if (peerTokens.sharesAToken(callerTokens) || peerTokens.sharesAToken(adminTokens)) {
            throw new IllegalStateException("configuration: clusterPeerTokenFile holds a token of callerTokenFile or"
                    + " adminTokenFile: give the nodes a token of their own (a caller's token must not reach the"
                    + " velocity exchange)");
        }
        for (X500Principal subject : this.peerSubjects) {
            if (this.callerSubjects.contains(subject) || this.adminSubjects.contains(subject)) {
                throw new IllegalStateException("configuration: clusterPeerSubjects lists " + subject + ", which"
                        + " callerSubjects or adminSubjects list too: give the nodes certificates of their own");
            }
        }
    }

    /** Reads the token files named in {@code config}; fails with a configuration message. */
    public static AuthenticationInterceptor from(EngineConfiguration config) {
        return new AuthenticationInterceptor(BearerTokens.load("adminTokenFile", config.adminTokenFile()),
                config.adminTokenLoopbackOnly(), BearerTokens.load("callerTokenFile", config.callerTokenFile()),
                config.adminSubjects(), config.callerSubjects(),
                BearerTokens.load("clusterPeerTokenFile", config.clusterPeerTokenFile()),
                config.clusterPeerSubjects());
    }

    private static Set<X500Principal> principals(String setting, List<String> names) {
        try {
            return names.stream().map(X500Principal::new).collect(Collectors.toUnmodifiableSet());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("configuration: " + setting + ": not an X.500 name like "
                    + "'CN=ops-admin,O=Example' (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        CallerIdentity identity = fromCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        String authorization = headers.get(AUTHORIZATION);
        if (authorization != null) {
            CallerIdentity byToken = fromToken(authorization);
            if (byToken == null) {
                return Refusal.refuse(call, BAD_TOKEN);
            }
            if (byToken.admin() && adminTokenLoopbackOnly && !fromLoopback(call)) {
                return Refusal.refuse(call, ADMIN_TOKEN_FROM_ELSEWHERE);
            }
            identity = identity.or(byToken);
        }
        return Contexts.interceptCall(Context.current().withValue(CallerIdentity.KEY, identity), call, headers, next);
    }

    /** Whether the call's peer is a loopback address (TCP from this machine, or from inside its pod). */
    private static boolean fromLoopback(ServerCall<?, ?> call) {
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        return peer instanceof InetSocketAddress inet && inet.getAddress() != null
                && inet.getAddress().isLoopbackAddress();
    }

    private CallerIdentity fromToken(String authorization) {
        if (authorization.length() <= BEARER.length()
                || !authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
            return null;
        }
        String token = authorization.substring(BEARER.length()).strip();
        // evaluate every list so that timing does not tell which list a token is on; one digest for the three
        byte[] digest = BearerTokens.digest(token);
        boolean admin = adminTokens.matchesDigest(digest);
        boolean caller = callerTokens.matchesDigest(digest);
        boolean peer = peerTokens.matchesDigest(digest);
        if (!admin && !caller && !peer) {
            return null;
        }
        // a node token is a peer's only: an admin's or a caller's token is a caller as before
        return new CallerIdentity(true, admin, admin || caller, peer, peer ? "node token" : "token");
    }

    private CallerIdentity fromCertificate(SSLSession session) {
        if (session == null) {
            return CallerIdentity.ANONYMOUS;
        }
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException noClientCertificate) {
            return CallerIdentity.ANONYMOUS;
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return CallerIdentity.ANONYMOUS;
        }
        X500Principal subject = leaf.getSubjectX500Principal();
        boolean admin = adminSubjects.contains(subject);
        boolean caller = admin || callerSubjects.isEmpty() || callerSubjects.contains(subject);
        boolean peer = peerSubjects.contains(subject);
        return new CallerIdentity(true, admin, caller, peer, peer ? "node certificate" : "certificate");
    }
}
