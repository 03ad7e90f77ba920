package dev.formica.engine.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The live latency page on the metrics port: {@code /latency} (HTML with its own small SVG-drawing script,
 * no external assets) and {@code /latency.json} (what it polls once a second). Any other path gets a short
 * index; {@code /metrics} is served by the Prometheus exporter beside it.
 *
 * <p>Thread contract: handles requests on the HTTP server's threads; the hub synchronises its reads.
 */
final class LatencyPage implements HttpHandler {
    private static final String INDEX = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>formica</title>"
            + "</head><body><h1>formica</h1><ul><li><a href=\"metrics\">/metrics</a> (Prometheus)</li>"
            + "<li><a href=\"latency\">/latency</a> (live latency page)</li>"
            + "<li><a href=\"latency.json\">/latency.json</a></li></ul></body></html>";

    private final LatencyHub hub;
    private final byte[] page;

    LatencyPage(LatencyHub hub) {
        this.hub = hub;
        try (InputStream in = LatencyPage.class.getResourceAsStream("latency.html")) {
            if (in == null) {
                throw new IllegalStateException("latency.html missing from the jar");
            }
            this.page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.endsWith("/latency.json")) {
                // also under /latency/, where the page's relative fetch lands when opened with a slash
                send(exchange, 200, "application/json", hub.pageJson().getBytes(StandardCharsets.UTF_8));
                return;
            }
            switch (path) {
                case "/latency", "/latency/" -> send(exchange, 200, "text/html; charset=utf-8", page);
                case "/", "/index.html" -> send(exchange, 200, "text/html; charset=utf-8",
                        INDEX.getBytes(StandardCharsets.UTF_8));
                default -> send(exchange, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void send(HttpExchange exchange, int code, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(code, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
