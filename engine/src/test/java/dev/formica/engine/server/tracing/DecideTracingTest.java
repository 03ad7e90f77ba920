package dev.formica.engine.server.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.metrics.Stage;
import dev.formica.engine.server.EngineServer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.UpsertProfileRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller's W3C {@code traceparent} continues through Decide: the server span is the caller span's child, in the
 * same trace, and carries the stage timings its shard measured as events, and nothing personal. Checked with the
 * SDK's in-memory exporter, then end to end through the OTLP/HTTP exporter to a real OTLP receiver on port 0; off
 * (the default), nothing reaches the receiver.
 */
class DecideTracingTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
    private static final String DECIDE = DecisionServiceGrpc.getDecideMethod().getFullMethodName();
    /** The request's borrower, device and IP: none may appear in a span. */
    private static final Pattern PERSONAL = Pattern.compile("tracing-borrower-7|tracing-device-7|10\\.9\\.8\\.7");
    private static final List<String> DECISION_STAGES = Arrays.stream(Stage.values()).map(Stage::label).toList();

    @TempDir
    Path dir;

    private EngineConfiguration config(String name) {
        return new EngineConfiguration().port(0).dataDir(dir.resolve(name)).shards(1).expectedBorrowers(1_000)
                .expectedDecisionsPerDay(10_000).drainTimeout(Duration.ofSeconds(5));
    }

    /** Upserts the borrower, then one Decide with {@code traceparent} (none when null); returns its response. */
    private static DecisionResponse decide(EngineServer server, String traceparent) throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            ProfileServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .upsert(UpsertProfileRequest.newBuilder().setProfile(Profile.newBuilder()
                            .setBorrowerId("tracing-borrower-7").setAnnualIncomeMinor(30_000_000)
                            .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                                    .setLineMinor(1_000_000))).build());
            Metadata headers = new Metadata();
            if (traceparent != null) {
                headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), traceparent);
            }
            return DecisionServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .decide(DecisionRequest.newBuilder().setRequestId("traced-1").setBorrowerId("tracing-borrower-7")
                            .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(20_000)
                            .setDeviceId("tracing-device-7").setIp("10.9.8.7").build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String traceparent(boolean sampled) {
        return "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + (sampled ? "-01" : "-00");
    }

    @Test
    void shouldContinueTheCallersTraceWithTheStagesAsEvents() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        DecisionResponse response;
        List<SpanData> spans;
        // ratio 0: only the caller's sampled traceparent makes a span (the upsert before it has none)
        try (EngineServer server = new EngineServer(config("in-memory"))
                .tracing(Tracing.withProcessor(SimpleSpanProcessor.create(exporter), 0.0)).start()) {
            response = decide(server, traceparent(true));
            // the span ends, and the simple processor exports it, before the answer is sent (closing clears it)
            spans = exporter.getFinishedSpanItems();
        }
        assertEquals(List.of(DECIDE), spans.stream().map(SpanData::getName).toList(), spans.toString());
        SpanData span = spans.get(0);
        assertEquals(TRACE_ID, span.getTraceId());
        assertEquals(CALLER_SPAN_ID, span.getParentSpanId());
        assertTrue(span.getParentSpanContext().isRemote());
        assertEquals(SpanKind.SERVER, span.getKind());
        assertEquals("grpc", span.getAttributes().get(TracingInterceptor.RPC_SYSTEM));
        assertEquals("Decide", span.getAttributes().get(TracingInterceptor.RPC_METHOD));
        assertEquals(0L, span.getAttributes().get(CallSpan.STATUS_CODE));
        assertEquals(response.getOutcome().name(), span.getAttributes().get(CallSpan.OUTCOME));
        assertEquals("formica", span.getResource().getAttribute(
                io.opentelemetry.api.common.AttributeKey.stringKey("service.name")));
        // every stage the shard measured, in pipeline order, each inside the span and with its duration
        assertEquals(DECISION_STAGES, span.getEvents().stream().map(EventData::getName).toList());
        for (EventData event : span.getEvents()) {
            assertTrue(event.getAttributes().get(CallSpan.STAGE_NANOS) > 0, event.toString());
            assertTrue(event.getEpochNanos() >= span.getStartEpochNanos()
                    && event.getEpochNanos() <= span.getEndEpochNanos(), event + " within " + span);
        }
        assertFalse(PERSONAL.matcher(span.toString()).find(), "personal data in the span: " + span);
    }

    @Test
    void shouldMakeNoSpanWhenTheCallerDidNotSampleOrTheRatioSaysNo() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (EngineServer server = new EngineServer(config("unsampled"))
                .tracing(Tracing.withProcessor(SimpleSpanProcessor.create(exporter), 0.0)).start()) {
            decide(server, traceparent(false));
            decide(server, null);
            // a sampled call in the same server does make one: the two above were left out by the sampler
            decide(server, traceparent(true));
            assertEquals(List.of(DECIDE), exporter.getFinishedSpanItems().stream().map(SpanData::getName).toList());
        }
    }

    @Test
    void shouldExportTheSpanByOtlpAndNothingWhenOff() throws Exception {
        List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = otlpReceiver(received);
        try {
            String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort();
            EngineConfiguration on = config("otlp-on").tracing(true).tracingSampleRatio(0.0).otlpEndpoint(endpoint);
            // close() flushes the batch: the export has arrived when it returns
            try (EngineServer server = new EngineServer(on).start()) {
                decide(server, traceparent(true));
            }
            List<Span> spans = received.stream().flatMap(r -> r.getResourceSpansList().stream())
                    .flatMap(r -> r.getScopeSpansList().stream()).flatMap(s -> s.getSpansList().stream()).toList();
            assertEquals(List.of(DECIDE), spans.stream().map(Span::getName).toList(), received.toString());
            Span span = spans.get(0);
            assertEquals(ByteString.fromHex(TRACE_ID), span.getTraceId());
            assertEquals(ByteString.fromHex(CALLER_SPAN_ID), span.getParentSpanId());
            assertEquals(Span.SpanKind.SPAN_KIND_SERVER, span.getKind());
            assertEquals(DECISION_STAGES, span.getEventsList().stream().map(Span.Event::getName).toList());
            assertEquals("formica", received.get(0).getResourceSpans(0).getResource().getAttributesList().stream()
                    .filter(a -> a.getKey().equals("service.name")).map(a -> a.getValue().getStringValue())
                    .findFirst().orElse(null));
            assertFalse(PERSONAL.matcher(received.toString()).find(), "personal data exported: " + received);
            String attributes = span.getAttributesList().stream().map(KeyValue::getKey).sorted()
                    .collect(Collectors.joining(","));
            assertEquals("formica.decision.outcome,formica.decision.replayed,rpc.grpc.status_code,rpc.method,"
                    + "rpc.service,rpc.system", attributes, "only these attributes: " + span);
            assertEquals(TRACE_ID, HexFormat.of().formatHex(span.getTraceId().toByteArray()));

            received.clear();
            EngineConfiguration off = config("otlp-off").otlpEndpoint(endpoint);
            try (EngineServer server = new EngineServer(off).start()) {
                decide(server, traceparent(true));
            }
            assertEquals(List.of(), received, "tracing is off by default: nothing exported");
        } finally {
            receiver.stop(0);
        }
    }

    /** An OTLP/HTTP receiver (protobuf bodies on POST /v1/traces) on a free loopback port. */
    private static HttpServer otlpReceiver(List<ExportTraceServiceRequest> received) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(Tracing.TRACES_PATH, exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                received.add(ExportTraceServiceRequest.parseFrom(in));
            }
            byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        return server;
    }
}
