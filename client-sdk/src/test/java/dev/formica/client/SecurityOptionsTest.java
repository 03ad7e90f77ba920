package dev.formica.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** TLS and bearer-token options: conflicts fail at the call that causes them; tokens never go out in clear. */
class SecurityOptionsTest {
    @Test
    void shouldRejectPlaintextAfterTlsAndTlsWithAnOwnChannel() {
        assertThrows(IllegalStateException.class, () -> FormicaClient.builder().useTls().usePlaintext());
        assertThrows(IllegalStateException.class,
                () -> FormicaClient.builder().trustCertificates(Path.of("ca.pem")).usePlaintext());
        ManagedChannel channel = InProcessChannelBuilder.forName("security-options").build();
        try {
            assertThrows(IllegalStateException.class, () -> FormicaClient.builder().channel(channel).useTls());
            assertThrows(IllegalStateException.class,
                    () -> FormicaClient.builder().bearerToken("t0k3n").channel(channel));
        } finally {
            channel.shutdownNow();
        }
        assertThrows(IllegalArgumentException.class, () -> FormicaClient.builder().bearerToken("has space"));
    }

    @Test
    void shouldTellLoopbackTargetsFromOthers() {
        assertTrue(BearerTokenCredentials.loopback("127.0.0.1:50051"));
        assertTrue(BearerTokenCredentials.loopback("localhost:50051"));
        assertTrue(BearerTokenCredentials.loopback("[::1]:50051"));
        assertFalse(BearerTokenCredentials.loopback("10.0.0.7:50051"));
        assertFalse(BearerTokenCredentials.loopback("formica.internal:443"));
        assertFalse(BearerTokenCredentials.loopback("127.0.0.1.evil.example:50051"));
    }

    @Test
    void shouldNotSendATokenInClearToARemoteTarget() {
        BearerTokenCredentials credentials = new BearerTokenCredentials("t0k3n");
        Status[] failed = new Status[1];
        Metadata[] applied = new Metadata[1];
        CallCredentials.MetadataApplier applier = new CallCredentials.MetadataApplier() {
            @Override
            public void apply(Metadata headers) {
                applied[0] = headers;
            }

            @Override
            public void fail(Status status) {
                failed[0] = status;
            }
        };
        credentials.applyRequestMetadata(info("10.0.0.7:50051", SecurityLevel.NONE), Runnable::run, applier);
        assertEquals(Status.Code.UNAUTHENTICATED, failed[0].getCode());
        assertNull(applied[0]);
        credentials.applyRequestMetadata(info("10.0.0.7:50051", SecurityLevel.PRIVACY_AND_INTEGRITY), Runnable::run,
                applier);
        assertEquals("Bearer t0k3n", applied[0].get(Metadata.Key.of("authorization",
                Metadata.ASCII_STRING_MARSHALLER)));
        applied[0] = null;
        credentials.applyRequestMetadata(info("127.0.0.1:50051", SecurityLevel.NONE), Runnable::run, applier);
        assertNotNull(applied[0], "loopback plaintext is allowed (the local demo)");
    }

    private static CallCredentials.RequestInfo info(String authority, SecurityLevel level) {
        return new CallCredentials.RequestInfo() {
            @Override
            public MethodDescriptor<?, ?> getMethodDescriptor() {
                return null;
            }

            @Override
            public SecurityLevel getSecurityLevel() {
                return level;
            }

            @Override
            public String getAuthority() {
                return authority;
            }

            @Override
            public Attributes getTransportAttrs() {
                return Attributes.EMPTY;
            }
        };
    }
}
