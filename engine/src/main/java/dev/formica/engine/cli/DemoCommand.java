package dev.formica.engine.cli;

import com.google.protobuf.ByteString;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code formica demo}: starts a server on a fresh data directory, checks health, drives it through
 * the client SDK, prints what it did and stops cleanly.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a server on a fresh data directory, exercise it, print a report, stop.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory, wiped first (default ${DEFAULT-VALUE}).", defaultValue = "data/demo")
    Path dataDir;

    @Option(names = "--port", description = "gRPC port (default ${DEFAULT-VALUE} = any free port).",
            defaultValue = "0")
    int port;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        deleteRecursively(dataDir);
        EngineConfiguration config = new EngineConfiguration().port(port).dataDir(dataDir).conclude();
        long t0 = System.nanoTime();
        try (EngineServer server = new EngineServer(config).start()) {
            out.printf("started   formica on 127.0.0.1:%d, data in %s (%d ms)%n", server.port(),
                    dataDir.toAbsolutePath(), (System.nanoTime() - t0) / 1_000_000);
            ManagedChannel channel = ManagedChannelBuilder.forAddress(config.host(), server.port())
                    .usePlaintext().build();
            try {
                HealthCheckResponse.ServingStatus status = HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(2, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                out.printf("health    %s%n", status);
                if (status != HealthCheckResponse.ServingStatus.SERVING) {
                    return 1;
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            DemoScenario.run(config.host() + ":" + server.port(), out);
        }
        out.println("stopped   cleanly");
        return 0;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw new UncheckedIOException(e);
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Echo as placeholder until the SDK lands (replaced below). */
    static final class DemoScenario {
        private DemoScenario() {
        }

        static void run(String target, PrintStream out) throws InterruptedException {
            ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
            try {
                ByteString payload = ByteString.copyFromUtf8("hello formica");
                long t = System.nanoTime();
                ByteString echoed = dev.formica.v1.DiagnosticsServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(2, TimeUnit.SECONDS)
                        .echo(dev.formica.v1.EchoRequest.newBuilder().setPayload(payload).build()).getPayload();
                out.printf("echo      \"%s\" in %d us%n", echoed.toStringUtf8(), (System.nanoTime() - t) / 1000);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
