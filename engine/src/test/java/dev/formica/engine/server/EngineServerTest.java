package dev.formica.engine.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.EchoResponse;
import dev.formica.v1.ProfileServiceGrpc;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineServerTest {
    @TempDir
    Path dataDir;

    private EngineConfiguration config() {
        return new EngineConfiguration().port(0).dataDir(dataDir).drainTimeout(Duration.ofSeconds(5));
    }

    private static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    }

    private static Set<Thread> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    @Test
    void shouldStartAndStopWithoutLeakingThreadsOrPorts() throws Exception {
        Set<Thread> before = liveThreads();
        int port;
        try (EngineServer server = new EngineServer(config()).start()) {
            port = server.port();
            ManagedChannel channel = channel(port);
            EchoResponse echo = DiagnosticsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .echo(EchoRequest.newBuilder().setPayload(ByteString.copyFromUtf8("ping")).build());
            assertEquals("ping", echo.getPayload().toStringUtf8());
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        try (ServerSocket reuse = new ServerSocket()) {
            reuse.bind(new InetSocketAddress("127.0.0.1", port));
            assertTrue(reuse.isBound(), "the port is free again after close");
        }
        await().pollInSameThread().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Set<Thread> leaked = liveThreads();
            leaked.removeAll(before);
            assertEquals(Set.of(), leaked.stream().map(Thread::getName).collect(Collectors.toSet()),
                    "threads left behind by the server");
        });
    }

    @Test
    void shouldReportServingForEveryServiceThenNotServingWhileDraining() throws Exception {
        try (EngineServer server = new EngineServer(config()).start()) {
            ManagedChannel channel = channel(server.port());
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
            for (String name : List.of("", DecisionServiceGrpc.SERVICE_NAME, ProfileServiceGrpc.SERVICE_NAME,
                    AdminServiceGrpc.SERVICE_NAME, DiagnosticsServiceGrpc.SERVICE_NAME)) {
                assertEquals(ServingStatus.SERVING, health.withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus(), name);
            }
            server.markDraining();
            assertEquals(ServingStatus.NOT_SERVING, health.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus());
            // still serving calls while draining
            DiagnosticsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .echo(EchoRequest.getDefaultInstance());
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldListEveryServiceThroughReflection() throws Exception {
        try (EngineServer server = new EngineServer(config()).start()) {
            ManagedChannel channel = channel(server.port());
            CompletableFuture<List<String>> names = new CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .serverReflectionInfo(new StreamObserver<ServerReflectionResponse>() {
                        @Override
                        public void onNext(ServerReflectionResponse r) {
                            names.complete(r.getListServicesResponse().getServiceList().stream()
                                    .map(ServiceResponse::getName).collect(Collectors.toList()));
                        }

                        @Override
                        public void onError(Throwable t) {
                            names.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
            List<String> listed = names.get(5, TimeUnit.SECONDS);
            requests.onCompleted();
            assertTrue(listed.containsAll(List.of(DecisionServiceGrpc.SERVICE_NAME, ProfileServiceGrpc.SERVICE_NAME,
                    AdminServiceGrpc.SERVICE_NAME, DiagnosticsServiceGrpc.SERVICE_NAME, "grpc.health.v1.Health")),
                    "listed: " + listed);
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Holds back the end of every Echo call until released: an in-flight call the server must drain. */
    private static final class HoldEcho implements ServerInterceptor {
        final CountDownLatch arrived = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            if (!call.getMethodDescriptor().getFullMethodName().endsWith("/Echo")) {
                return next.startCall(call, headers);
            }
            return next.startCall(new SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(R message) {
                    arrived.countDown();
                    Thread waiter = new Thread(() -> {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        synchronized (this) {
                            delegate().sendMessage(message);
                            delegate().close(Status.OK, new Metadata());
                        }
                    }, "test-hold-echo");
                    waiter.start();
                }

                @Override
                public void close(Status status, Metadata trailers) {
                    if (!status.isOk()) {
                        super.close(status, trailers);
                    }
                }
            }, headers);
        }
    }

    @Test
    void shouldDrainInFlightCallsOnCloseAndRefuseNewOnes() throws Exception {
        HoldEcho hold = new HoldEcho();
        EngineServer server = new EngineServer(config(), List.of(hold)).start();
        ManagedChannel channel = channel(server.port());
        CompletableFuture<EchoResponse> inFlight = CompletableFuture.supplyAsync(() ->
                DiagnosticsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .echo(EchoRequest.newBuilder().setPayload(ByteString.copyFromUtf8("drain me")).build()));
        assertTrue(hold.arrived.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
        ManagedChannel late = channel(server.port());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                    DiagnosticsServiceGrpc.newBlockingStub(late).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .echo(EchoRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
        });
        hold.release.countDown();
        assertEquals("drain me", inFlight.get(10, TimeUnit.SECONDS).getPayload().toStringUtf8());
        closing.get(10, TimeUnit.SECONDS);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        late.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldExplainWhyItCannotListen() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            EngineServer server = new EngineServer(config().port(taken.getLocalPort()));
            RuntimeException e = assertThrows(RuntimeException.class, server::start);
            assertTrue(e.getMessage().contains("choose another --port"), e.getMessage());
            server.close();
        }
    }

    @Test
    void shouldReleaseThePortAndTheShardsWhenTheMetricsPortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            EngineServer server = new EngineServer(config().metricsPort(taken.getLocalPort()));
            RuntimeException e = assertThrows(RuntimeException.class, server::start);
            assertTrue(e.getMessage().contains("choose another --metrics-port"), e.getMessage());
        }
        // the shards were closed, not left locked: the same data directory opens again in this JVM
        try (EngineServer again = new EngineServer(config()).start()) {
            assertTrue(again.port() > 0);
        }
    }
}
