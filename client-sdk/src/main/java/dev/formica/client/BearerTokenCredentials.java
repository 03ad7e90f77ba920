package dev.formica.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} with every call. Refuses (UNAUTHENTICATED, nothing
 * sent) to put the token on a plaintext connection to anything but a loopback address, so a
 * misconfigured target cannot harvest it.
 *
 * <p>Thread contract: immutable; called on gRPC threads.
 */
final class BearerTokenCredentials extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final String header;

    BearerTokenCredentials(String token) {
        this.header = "Bearer " + token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor appExecutor, MetadataApplier applier) {
        if (info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY && !loopback(info.getAuthority())) {
            applier.fail(Status.UNAUTHENTICATED.withDescription("refusing to send a bearer token in clear to "
                    + info.getAuthority() + ": use TLS (useTls() or trustCertificates(...))"));
            return;
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, header);
        applier.apply(headers);
    }

    static boolean loopback(String authority) {
        String host = authority.startsWith("[") ? authority.substring(1, Math.max(1, authority.indexOf(']')))
                : authority.contains(":") ? authority.substring(0, authority.lastIndexOf(':')) : authority;
        return host.equals("localhost") || host.equals("::1") || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
}
