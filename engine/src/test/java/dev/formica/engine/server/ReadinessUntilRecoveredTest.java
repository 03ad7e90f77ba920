package dev.formica.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.client.FormicaClient;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.loadtest.SampleBorrowers;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Product;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.EpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a Kubernetes readiness probe sees on the gRPC port while a server starts (issue 21): the health service
 * answers NOT_SERVING, for the whole server and for each service, until the recovery of the data directory is done,
 * and SERVING only after it. The recovery is held still by a clock that blocks the first time it is read inside
 * {@code DecisionPipeline.open}, so the test does not race the recovery's speed. {@code serve --warmup-decisions}
 * calls {@link EngineServer#listenForHealth()} before the warm-up, so the same holds through the warm-up.
 */
class ReadinessUntilRecoveredTest {
    @TempDir
    Path dataDir;

    /** System time, except that a read from inside the recovery waits until the test releases it. */
    private static final class RecoveryGate implements EpochClock {
        final CountDownLatch inRecovery = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile String heldIn = "";

        @Override
        public long time() {
            if (release.getCount() > 0 && Arrays.stream(Thread.currentThread().getStackTrace())
                    .anyMatch(f -> f.getClassName().endsWith("DecisionPipeline") && f.getMethodName().equals("open"))) {
                heldIn = Arrays.toString(Thread.currentThread().getStackTrace());
                inRecovery.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return System.currentTimeMillis();
        }
    }

    private EngineConfiguration config() {
        return new EngineConfiguration().port(0).dataDir(dataDir).shards(2).drainTimeout(Duration.ofSeconds(5));
    }

    private static ServingStatus check(ManagedChannel channel, String service) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    @Test
    void shouldAnswerNotServingUntilTheRecoveryIsDoneThenServing() throws Exception {
        // state to recover: profiles in the shard logs
        try (EngineServer first = new EngineServer(config()).start();
                FormicaClient client = FormicaClient.builder().target("127.0.0.1:" + first.port())
                        .defaultDeadline(Duration.ofSeconds(10)).build()) {
            client.loadProfiles(new SampleBorrowers(200, 7));
        }

        RecoveryGate gate = new RecoveryGate();
        EngineServer second = new EngineServer(config(), java.util.List.of(), gate);
        CompletableFuture<EngineServer> started = CompletableFuture.supplyAsync(second::start);
        try {
            assertTrue(gate.inRecovery.await(60, TimeUnit.SECONDS), "the recovery reads the clock");
            assertTrue(gate.heldIn.contains("DecisionPipeline.open"), gate.heldIn);
            int port = second.port();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                for (String service : java.util.List.of("", DecisionServiceGrpc.SERVICE_NAME)) {
                    assertEquals(ServingStatus.NOT_SERVING, check(channel, service),
                            "'" + service + "' while the recovery runs");
                }
                assertTrue(!started.isDone(), "start() has not returned");

                gate.release.countDown();
                started.get(60, TimeUnit.SECONDS);
                assertEquals(port, second.port(), "the server took over the port the health checks were answered on");
                ManagedChannel after = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
                try {
                    for (String service : java.util.List.of("", DecisionServiceGrpc.SERVICE_NAME)) {
                        assertEquals(ServingStatus.SERVING, check(after, service), "'" + service + "' once recovered");
                    }
                    // and the recovered state answers
                    DecisionServiceGrpc.newBlockingStub(after).withDeadlineAfter(5, TimeUnit.SECONDS).getCreditLine(
                            GetCreditLineRequest.newBuilder().setBorrowerId(SampleBorrowers.borrowerId(0))
                                    .setProduct(Product.CONSUMER_CREDIT).build());
                } finally {
                    after.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            gate.release.countDown();
            second.close();
        }
    }
}
