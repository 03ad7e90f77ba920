package dev.formica.engine.metrics;

import dev.formica.engine.config.EngineConfiguration;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

/**
 * The engine's metrics: RPC counters by method and status code, per-method latency (unary calls, into
 * the {@link LatencyHub}), the business metrics ({@link DecisionMetrics}), the Prometheus {@code /metrics}
 * endpoint and, on the same port, the live latency page ({@code /latency}).
 *
 * <p>Thread contract: the interceptor is called concurrently from event-loop threads; counting is a
 * lock-free add on a data point cached per (method, code), so the hot path does no label look-up, and
 * timing is a {@code Recorder} per (method, code) (lock-free, no allocation), exported as the histogram
 * {@code rpc_server_call_duration_seconds} by {@link PrometheusLatency}.
 * Labels are bounded: method names of the API and the 17 gRPC codes, never a borrower; a (method, code) has a
 * series only once a call ended with it (nothing is zero-filled).
 */
public final class RpcMetrics implements AutoCloseable {
    private static final int CODES = Status.Code.values().length;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter rpcs;
    private final ConcurrentHashMap<String, MethodStats> byMethod = new ConcurrentHashMap<>();
    private final ServerInterceptor interceptor = new CountingInterceptor();
    private final LatencyHub latency;
    private HTTPServer httpServer;

    /** RPC counters and JVM metrics only, no latency recording (one shard's worth of nothing). */
    public RpcMetrics() {
        this(null, SystemEpochClock.INSTANCE);
    }

    /**
     * Everything, as {@code config} says: latency recording and {@code .hlog} files under
     * {@code <dataDir>/latency/} unless {@code latencyRecording} is off.
     *
     * @param config a concluded configuration, or null for counters only
     */
    public RpcMetrics(EngineConfiguration config, EpochClock clock) {
        rpcs = Counter.builder()
                .name("formica_rpc_total")
                .help("gRPC calls completed (unary and streaming), by method and status code; a series appears"
                        + " with the first call that ends with its code")
                .labelNames("method", "code")
                .register(registry);
        JvmMetrics.builder().register(registry);
        DecisionMetrics decisions = new DecisionMetrics(registry);
        if (config != null && config.latencyRecording()) {
            latency = new LatencyHub(true, config.shards(), clock, decisions, config.latencyInterval().toMillis(),
                    config.latencyLogMaxBytes() > 0 ? config.dataDir().resolve("latency") : null,
                    config.latencyLogMaxBytes(), config.latencyLogMaxAge().toMillis(), config.latencyLogFiles());
            latency.register(registry);
        } else {
            latency = new LatencyHub(false, config == null ? 1 : config.shards(), clock, decisions, 5000, null, 0, 0,
                    0);
        }
    }

    /** The latency histograms (per stage, per shard, per RPC). */
    public LatencyHub latency() {
        return latency;
    }

    /** Decision counts and the gauges the risk logic sets (rule-set version, partner quota, shadow). */
    public DecisionMetrics decisions() {
        return latency.decisions();
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
            httpServer = HTTPServer.builder().hostname(host).port(port).registry(registry)
                    .defaultHandler(new LatencyPage(latency)).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start metrics endpoint on " + host + ":" + port
                    + " (" + e.getMessage() + "): choose another --metrics-port", e);
        }
    }

    public int httpPort() {
        return httpServer == null ? -1 : httpServer.getPort();
    }

    /** Stops the HTTP endpoint and the latency sampler (writing the last partial interval). */
    @Override
    public void close() {
        if (httpServer != null) {
            httpServer.close();
            httpServer = null;
        }
        latency.close();
        // JvmMetrics keeps every registry it was registered with in a static set for the life of the JVM;
        // emptying ours lets the pipeline (reached through the gauge callbacks) and the histograms go.
        registry.clear();
    }

    private MethodStats statsFor(MethodDescriptor<?, ?> method) {
        MethodStats stats = byMethod.get(method.getFullMethodName());
        if (stats == null) {
            stats = byMethod.computeIfAbsent(method.getFullMethodName(), m -> {
                // A stream's duration is not a latency: only unary calls are timed.
                LatencyHub.RpcTimers timers = method.getType() == MethodDescriptor.MethodType.UNARY
                        ? latency.rpcTimers(method.getServiceName(), method.getBareMethodName()) : null;
                return new MethodStats(m, new AtomicReferenceArray<>(CODES), timers);
            });
        }
        return stats;
    }

    /** The counters (created per code on first use) and timers of one method, looked up once per call. */
    private record MethodStats(String method, AtomicReferenceArray<CounterDataPoint> points,
            LatencyHub.RpcTimers timers) {
    }

    /**
     * The counter of (method, code), made on the code's first call; a racing first use gets the same point, as
     * labelValues returns it. The array publishes it safely to the other event-loop threads.
     */
    private CounterDataPoint counter(MethodStats stats, Status.Code code) {
        CounterDataPoint p = stats.points.get(code.value());
        if (p == null) {
            p = rpcs.labelValues(stats.method, code.name());
            stats.points.set(code.value(), p);
        }
        return p;
    }

    private final class CountingInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            MethodStats stats = statsFor(call.getMethodDescriptor());
            long start = stats.timers == null ? 0 : System.nanoTime();
            return next.startCall(new SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    counter(stats, status.getCode()).inc();
                    if (stats.timers != null) {
                        stats.timers.recorder(status.getCode().value())
                                .recordValue(LatencyHistograms.clamp(System.nanoTime() - start));
                    }
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
