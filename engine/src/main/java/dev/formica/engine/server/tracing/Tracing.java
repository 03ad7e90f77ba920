package dev.formica.engine.server.tracing;

import dev.formica.engine.config.EngineConfiguration;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.concurrent.TimeUnit;

/**
 * The engine's OpenTelemetry tracing, made only when {@code tracing: on}: a tracer provider sampling parent-based
 * (a caller's {@code traceparent} decides; calls without one are sampled at {@code tracingSampleRatio}), its spans
 * batched to an OTLP/HTTP exporter, and the {@link TracingInterceptor} that makes one server span per call.
 * When tracing is off no instance exists: the server installs no interceptor and makes no span.
 *
 * <p>Thread contract: made and closed by the server's owner; the tracer is used from any thread.
 */
public final class Tracing implements AutoCloseable {
    /** The OTLP/HTTP path of spans, added to {@code otlpEndpoint}. */
    public static final String TRACES_PATH = "/v1/traces";
    private static final String INSTRUMENTATION = "dev.formica.engine";

    private final SdkTracerProvider provider;
    private final TracingInterceptor interceptor;

    private Tracing(SpanProcessor processor, double sampleRatio) {
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), "formica")));
        this.provider = SdkTracerProvider.builder()
                .setResource(resource)
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(sampleRatio)))
                .addSpanProcessor(processor)
                .build();
        Tracer tracer = provider.get(INSTRUMENTATION);
        this.interceptor = new TracingInterceptor(tracer);
    }

    /** The tracing {@code config} asks for, exporting to its {@code otlpEndpoint}; null when tracing is off. */
    public static Tracing fromConfiguration(EngineConfiguration config) {
        if (!config.tracing()) {
            return null;
        }
        String base = config.otlpEndpoint().endsWith("/") ? config.otlpEndpoint().substring(0,
                config.otlpEndpoint().length() - 1) : config.otlpEndpoint();
        SpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(base + TRACES_PATH).build();
        return new Tracing(BatchSpanProcessor.builder(exporter).build(), config.tracingSampleRatio());
    }

    /** Tracing through {@code processor} (tests: a simple processor on an in-memory exporter). */
    public static Tracing withProcessor(SpanProcessor processor, double sampleRatio) {
        return new Tracing(processor, sampleRatio);
    }

    /** The interceptor that makes the server spans; install it outermost. */
    public TracingInterceptor interceptor() {
        return interceptor;
    }

    /** Exports the spans still batched (at most 10 s), then stops. */
    @Override
    public void close() {
        provider.shutdown().join(10, TimeUnit.SECONDS);
    }
}
