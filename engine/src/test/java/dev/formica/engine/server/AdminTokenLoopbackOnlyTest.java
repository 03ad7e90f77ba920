package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code adminTokenLoopbackOnly} (docs/security.md; the Kubernetes manifests set it): an admin token is taken from a
 * loopback TCP peer (an operator on the machine, or {@code kubectl exec} in the pod) and refused with
 * UNAUTHENTICATED from any other peer (here an in-process one, which has no loopback address); caller tokens and
 * calls without a token are not affected, and without the setting an admin token is taken from any peer.
 */
class AdminTokenLoopbackOnlyTest {
    private static final String ADMIN_TOKEN = "admin-token-loopback-only-test-0123456789";
    private static final String CALLER_TOKEN = "caller-token-loopback-only-test-0123456789";

    @TempDir
    Path dir;
    private final List<Server> servers = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        for (Server s : servers) {
            s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private BearerTokens tokens(String name, String token) throws Exception {
        Path file = Files.createFile(dir.resolve(name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, token + "\n");
        return BearerTokens.load(name, file);
    }

    private AuthenticationInterceptor interceptor(boolean loopbackOnly) throws Exception {
        return new AuthenticationInterceptor(tokens("admin-" + loopbackOnly, ADMIN_TOKEN), loopbackOnly,
                tokens("caller-" + loopbackOnly, CALLER_TOKEN), List.of(), List.of());
    }

    /** A health service behind {@code auth} on 127.0.0.1 (any free port): its peers are loopback addresses. */
    private Channel overLoopback(AuthenticationInterceptor auth) throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), auth))
                .build().start();
        servers.add(server);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
                .build();
        channels.add(channel);
        return channel;
    }

    /** The same behind {@code auth} in process: a peer without a loopback address. */
    private Channel inProcess(AuthenticationInterceptor auth) throws Exception {
        String name = InProcessServerBuilder.generateName();
        servers.add(InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), auth))
                .build().start());
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        channels.add(channel);
        return channel;
    }

    private static ServingStatus check(Channel channel, String token) {
        HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
        if (token != null) {
            Metadata auth = new Metadata();
            auth.put(AuthenticationInterceptor.AUTHORIZATION, "Bearer " + token);
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
        }
        return stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
                .getStatus();
    }

    @Test
    void shouldTakeAnAdminTokenOnlyFromALoopbackPeer() throws Exception {
        AuthenticationInterceptor auth = interceptor(true);
        assertEquals(ServingStatus.SERVING, check(overLoopback(auth), ADMIN_TOKEN), "from loopback: taken");

        Channel elsewhere = inProcess(auth);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> check(elsewhere, ADMIN_TOKEN));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().startsWith("authorization: this server takes admin tokens"
                + " only from its own machine (adminTokenLoopbackOnly)"), refused.getStatus().getDescription());
        assertEquals("TOKEN_INVALID", Refusals.reasonOf(refused));
        // only admin tokens are bound to loopback: a caller token and no token at all pass authentication
        assertEquals(ServingStatus.SERVING, check(elsewhere, CALLER_TOKEN));
        assertEquals(ServingStatus.SERVING, check(elsewhere, null));
    }

    @Test
    void shouldTakeAnAdminTokenFromAnyPeerWithoutTheSetting() throws Exception {
        assertEquals(ServingStatus.SERVING, check(inProcess(interceptor(false)), ADMIN_TOKEN));
    }
}
