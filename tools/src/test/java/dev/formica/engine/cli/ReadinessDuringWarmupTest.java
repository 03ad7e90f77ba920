package dev.formica.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code formica serve --warmup-decisions}: the gRPC port answers health checks with NOT_SERVING from before the
 * warm-up until the server serves (issue 21: a Kubernetes readiness probe must not pass while the JIT warm-up or the
 * recovery runs). Every answer is classified by what the server had printed before the check was sent.
 */
class ReadinessDuringWarmupTest {
    private static final Pattern HEALTH_PORT =
            Pattern.compile("answers health checks \\(NOT_SERVING\\) on [^:]+:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void shouldAnswerNotServingWhileWarmingUpAndServingAfter() throws Exception {
        try (ServeProcess serve = ServeProcess.launch("--port=0", "--shards=1", "--warmup-decisions=1000",
                "--data-dir=" + dir.resolve("data"))) {
            Awaitility.await().atMost(120, TimeUnit.SECONDS).until(() -> HEALTH_PORT.matcher(serve.output()).find());
            Matcher m = HEALTH_PORT.matcher(serve.output());
            assertTrue(m.find());
            int port = Integer.parseInt(m.group(1));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            List<String> duringWarmup = new ArrayList<>();
            try {
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
                ServingStatus last = ServingStatus.UNKNOWN;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
                while (last != ServingStatus.SERVING && System.nanoTime() < deadline) {
                    boolean warmedUp = serve.output().contains("formica warmed up");
                    try {
                        last = health.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.newBuilder()
                                .setService("formica.v1.DecisionService").build()).getStatus();
                    } catch (StatusRuntimeException e) {
                        // the moment the full server takes the port over: a refused connection, never SERVING
                        last = ServingStatus.UNKNOWN;
                    }
                    if (!warmedUp) {
                        duringWarmup.add(last.name());
                        assertEquals(ServingStatus.NOT_SERVING, last, "asked before the warm-up had finished");
                    }
                }
                assertEquals(ServingStatus.SERVING, last, serve.output());
                assertTrue(serve.output().contains("formica warmed up"), "SERVING only after the warm-up");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertFalse(duringWarmup.isEmpty(), "the warm-up was asked at least once: " + serve.output());
            serve.awaitServing(60);
            assertEquals(port, serve.port(), "the server serves on the port the health checks were answered on");
        }
    }
}
