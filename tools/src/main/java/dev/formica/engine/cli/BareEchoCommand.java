package dev.formica.engine.cli;

import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import dev.formica.v1.EchoResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A bare grpc-java server of Formica's {@code DiagnosticsService.Echo}: grpc-java's defaults, {@code directExecutor},
 * no interceptors, no validation, nothing else registered. It is the floor that {@code formica serve}'s Echo is
 * measured against ({@code loadtest/scripts/echo-vs-bare.sh}), so that the cost of Formica's own server set-up
 * (interceptors, metrics, its event loops) is a measured figure. Its {@code /metrics} carries only the process's
 * CPU and JVM metrics, which {@code loadtest --server-metrics-port} reads.
 *
 * <p>Thread contract: the main thread starts the server and waits; grpc's event loops answer the calls.
 */
@Command(name = "bare-echo", mixinStandardHelpOptions = true,
        description = "Serve only a bare grpc-java Echo on loopback (the baseline for measuring Formica's Echo).")
public final class BareEchoCommand implements Callable<Integer> {
    @Option(names = "--port", required = true, description = "gRPC port on 127.0.0.1.")
    int port;

    @Option(names = "--metrics-port", defaultValue = "-1",
            description = "Port of a /metrics endpoint with the process CPU (-1 = none).")
    int metricsPort;

    @Option(names = "--max-seconds", defaultValue = "900",
            description = "Stop after this many seconds at the latest (default: ${DEFAULT-VALUE}).")
    long maxSeconds;

    @Override
    public Integer call() throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .directExecutor()
                .addService(new DiagnosticsServiceGrpc.DiagnosticsServiceImplBase() {
                    @Override
                    public void echo(EchoRequest request, StreamObserver<EchoResponse> out) {
                        out.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
                        out.onCompleted();
                    }
                })
                .build()
                .start();
        HTTPServer metrics = null;
        if (metricsPort >= 0) {
            PrometheusRegistry registry = new PrometheusRegistry();
            JvmMetrics.builder().register(registry);
            metrics = HTTPServer.builder().hostname("127.0.0.1").port(metricsPort).registry(registry).buildAndStart();
        }
        System.out.println("bare echo serving on 127.0.0.1:" + server.getPort()
                + (metrics == null ? "" : ", metrics on :" + metrics.getPort() + "/metrics"));
        Server running = server;
        HTTPServer endpoint = metrics;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.shutdownNow();
            if (endpoint != null) {
                endpoint.close();
            }
        }, "formica-bare-echo-stop"));
        server.awaitTermination(maxSeconds, TimeUnit.SECONDS);
        server.shutdownNow();
        if (metrics != null) {
            metrics.close();
        }
        return 0;
    }
}
