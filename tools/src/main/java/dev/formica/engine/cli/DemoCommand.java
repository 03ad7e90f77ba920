package dev.formica.engine.cli;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.config.MarketSetting;
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
 * the client SDK, prints what it did and stops cleanly. Then it removes the data directory, and the parents it had
 * to create for it (such as {@code ./data}), unless {@code --keep}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a server on a fresh data directory serving the CN and ID markets, exercise both, print"
                + " a report per market, stop, and remove the data directory (unless --keep).")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory, wiped first, removed at the end unless --keep (default ${DEFAULT-VALUE}).",
            defaultValue = "data/demo")
    Path dataDir;

    @Option(names = "--keep", description = "Keep the data directory after the demo (to look at its files, or to "
            + "start 'formica serve --data-dir' on it).")
    boolean keep;

    @Option(names = "--port", description = "gRPC port (default ${DEFAULT-VALUE} = any free port).",
            defaultValue = "0")
    int port;

    @Option(names = "--borrowers", description = "Sample borrowers to load (default ${DEFAULT-VALUE}).",
            defaultValue = "100000")
    int borrowers;

    @Option(names = "--decisions", description = "Decisions in the burst (default ${DEFAULT-VALUE}).",
            defaultValue = "20000")
    int decisions;

    @Option(names = "--in-flight", description = "Concurrent calls (default ${DEFAULT-VALUE}).", defaultValue = "16")
    int inFlight;

    private final PrintStream out = System.out;

    /** The demo serves both shipped markets: CN (the default) and ID (docs/regulation.md, "Markets"). */
    static final java.util.List<MarketSetting> MARKETS = java.util.List.of(
            new MarketSetting("CN", "CNY", "Asia/Shanghai", null, null),
            new MarketSetting("ID", "IDR", "Asia/Jakarta", "classpath:regulatory/id-lpbbti.yaml",
                    "classpath:rules/id-default.yaml"));

    @Override
    public Integer call() throws Exception {
        // the outermost directory this run creates: removed at the end, so ./data does not linger either
        Path created = firstMissing(dataDir.toAbsolutePath().normalize());
        deleteRecursively(dataDir);
        Path remove = created != null ? created : dataDir;
        int exit;
        try {
            exit = run();
        } catch (Exception | Error e) {
            if (!keep) {
                try {
                    deleteRecursively(remove);
                } catch (IOException | UncheckedIOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        if (keep) {
            out.printf("kept      %s%n", dataDir.toAbsolutePath());
        } else {
            deleteRecursively(remove);
            out.printf("removed   %s (--keep keeps it)%n", dataDir.toAbsolutePath());
        }
        return exit;
    }

    /** The outermost ancestor-or-self of {@code dir} that does not exist yet, or null when {@code dir} exists. */
    static Path firstMissing(Path dir) {
        Path missing = null;
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            missing = p;
        }
        return missing;
    }

    private int run() throws Exception {
        EngineConfiguration config = new EngineConfiguration().port(port).dataDir(dataDir).markets(MARKETS)
                .expectedBorrowers(expectedBorrowers(borrowers)).velocityKeys(velocityKeys(decisions)).conclude();
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
            new DemoScenario(config.host() + ":" + server.port(), out, borrowers, decisions, inFlight,
                    Math.max(1, borrowers / 10)).run();
        }
        out.println("stopped   cleanly");
        return 0;
    }

    /**
     * The demo's stores are sized from what it loads, not for a production node: the borrowers with a quarter more
     * (the maps hold twice their size before inserts fail, docs/state-and-durability.md, "Sizing").
     */
    static long expectedBorrowers(int borrowers) {
        return Math.max(1000, borrowers + borrowers / 4L);
    }

    /**
     * A decision counts at most four velocity keys (its borrower, device, IP and merchant) and the table has twice
     * as many slots: 20,000 decisions take a 178 MB table instead of the 356 MB of the default 262,144 keys.
     */
    static int velocityKeys(int decisions) {
        return (int) Math.min(EngineConfiguration.DEFAULT_VELOCITY_KEYS, Math.max(4096, 4L * decisions));
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
}
