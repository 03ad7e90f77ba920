package dev.formica.engine.server.tracing;

import dev.formica.engine.metrics.StageTrace;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.common.Clock;
import java.util.concurrent.TimeUnit;

/**
 * One OpenTelemetry server span per call, a child of the caller's span when the call carries a W3C
 * {@code traceparent} (and {@code tracestate}). Sampled calls only get a span object and a {@link CallSpan} in the
 * gRPC context, where {@code DecisionService.Decide} finds it ({@link #stages()}) to hand its shard the stage
 * timings; unsampled calls pass through after the sampling decision. Installed only when tracing is on.
 *
 * <p>Thread contract: stateless apart from the thread-safe tracer; runs on the transport's threads.
 */
public final class TracingInterceptor implements ServerInterceptor {
    static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    private static final io.grpc.Context.Key<CallSpan> CALL_SPAN = io.grpc.Context.key("formica-call-span");
    private static final TextMapPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Metadata> HEADERS = new TextMapGetter<>() {
        private static final Metadata.Key<String> TRACEPARENT =
                Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
        private static final Metadata.Key<String> TRACESTATE =
                Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

        @Override
        public Iterable<String> keys(Metadata carrier) {
            return carrier.keys();
        }

        @Override
        public String get(Metadata carrier, String key) {
            if (carrier == null) {
                return null;
            }
            return switch (key) {
                case "traceparent" -> carrier.get(TRACEPARENT);
                case "tracestate" -> carrier.get(TRACESTATE);
                default -> carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
            };
        }
    };

    private final Tracer tracer;

    TracingInterceptor(Tracer tracer) {
        this.tracer = tracer;
    }

    /**
     * Where the current call's shard reports its stage timings, or null when the call is not sampled. Call only
     * where tracing is on (the lookup is a gRPC context read).
     */
    public static StageTrace stages() {
        return CALL_SPAN.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        long startNanos = System.nanoTime();
        long startEpochNanos = Clock.getDefault().now();
        Context parent = PROPAGATOR.extract(Context.root(), headers, HEADERS);
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        Span span = tracer.spanBuilder(method.getFullMethodName())
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAttribute(RPC_SYSTEM, "grpc")
                .setAttribute(RPC_SERVICE, String.valueOf(method.getServiceName()))
                .setAttribute(RPC_METHOD, String.valueOf(method.getBareMethodName()))
                .startSpan();
        if (!span.isRecording()) {
            return next.startCall(call, headers);
        }
        CallSpan callSpan = new CallSpan(span, startEpochNanos, startNanos);
        boolean unary = method.getType() == MethodDescriptor.MethodType.UNARY;
        ServerCall<Q, R> traced = new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                if (unary) {
                    callSpan.answered(message); // a stream's many answers are not one outcome
                }
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                callSpan.end(status);
                super.close(status, trailers);
            }
        };
        io.grpc.Context context = io.grpc.Context.current().withValue(CALL_SPAN, callSpan);
        ServerCall.Listener<Q> listener = Contexts.interceptCall(context, traced, headers, next);
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                // the client went away or the deadline passed: no close() follows
                callSpan.end(Status.CANCELLED);
                super.onCancel();
            }
        };
    }
}
