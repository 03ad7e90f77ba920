package dev.formica.engine.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * RPC counters by method and status code, and the Prometheus {@code /metrics} endpoint.
 *
 * <p>Thread contract: the interceptor is called concurrently from event-loop threads; counting is a
 * lock-free add on a data point cached per (method, code), so the hot path does no label look-up.
 * Labels are bounded: method names of the API and the 17 gRPC codes, never a borrower.
 */
public final class RpcMetrics implements AutoCloseable {
    private static final int CODES = Status.Code.values().length;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter rpcs;
    private final ConcurrentHashMap<String, CounterDataPoint[]> byMethod = new ConcurrentHashMap<>();
    private final ServerInterceptor interceptor = new CountingInterceptor();
    private HTTPServer httpServer;

    public RpcMetrics() {
        rpcs = Counter.builder()
                .name("formica_rpc_total")
                .help("gRPC calls completed, by method and status code")
                .labelNames("method", "code")
                .register(registry);
        JvmMetrics.builder().register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public ServerInterceptor interceptor() {
        return interceptor;
    }

    /** Starts the HTTP endpoint on {@code port} (0 = any free port, -1 = off). */
    public void startHttpServer(String host, int port) {
        if (port < 0) {
            return;
        }
        try {
            httpServer = HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start metrics endpoint on " + host + ":" + port
                    + " (" + e.getMessage() + "): choose another --metrics-port", e);
        }
    }

    public int httpPort() {
        return httpServer == null ? -1 : httpServer.getPort();
    }

    @Override
    public void close() {
        if (httpServer != null) {
            httpServer.close();
            httpServer = null;
        }
    }

    private CounterDataPoint[] pointsFor(String method) {
        CounterDataPoint[] points = byMethod.get(method);
        if (points == null) {
            points = byMethod.computeIfAbsent(method, m -> {
                CounterDataPoint[] created = new CounterDataPoint[CODES];
                for (Status.Code code : Status.Code.values()) {
                    created[code.value()] = rpcs.labelValues(m, code.name());
                }
                return created;
            });
        }
        return points;
    }

    private final class CountingInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            CounterDataPoint[] points = pointsFor(call.getMethodDescriptor().getFullMethodName());
            return next.startCall(new SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    points[status.getCode().value()].inc();
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
