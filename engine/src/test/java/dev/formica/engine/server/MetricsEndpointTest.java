package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.DiagnosticsServiceGrpc;
import dev.formica.v1.EchoRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint counts and times RPCs by method and status code, only the codes calls ended with, and
 * carries no borrower labels.
 */
class MetricsEndpointTest {
    @TempDir
    Path dataDir;

    @Test
    void shouldCountRpcsByMethodAndCode() throws Exception {
        try (EngineServer server = new EngineServer(new EngineConfiguration().port(0).metricsPort(0)
                .dataDir(dataDir)).start()) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
            DiagnosticsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .echo(EchoRequest.getDefaultInstance());
            try {
                DecisionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .decide(DecisionRequest.newBuilder().setBorrowerId("secret-borrower").build());
            } catch (StatusRuntimeException expected) {
                // INVALID_ARGUMENT: request_id missing
            }
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.metrics().latency().tick(); // the histograms move on the sampler's tick, once a second

            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            String body = response.body();
            assertTrue(body.contains(
                    "formica_rpc_total{code=\"OK\",method=\"formica.v1.DiagnosticsService/Echo\"} 1"), body);
            assertTrue(body.contains("formica_rpc_total{code=\"INVALID_ARGUMENT\","
                    + "method=\"formica.v1.DecisionService/Decide\"} 1"), body);
            assertTrue(body.contains("rpc_server_call_duration_seconds_count{"
                    + "rpc_method=\"formica.v1.DecisionService/Decide\","
                    + "rpc_status_code=\"INVALID_ARGUMENT\",rpc_system_name=\"grpc\"} 1"), body);
            assertFalse(body.contains("code=\"DATA_LOSS\""), "no zero-filled series for codes never seen");
            assertTrue(body.contains("jvm_memory"), "JVM metrics are exported");
            assertTrue(!body.contains("secret-borrower"), "no borrower ids in metrics");
        }
    }
}
