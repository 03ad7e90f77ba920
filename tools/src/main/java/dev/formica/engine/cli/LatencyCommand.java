package dev.formica.engine.cli;

import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.GetLatencyRequest;
import dev.formica.v1.LatencyDistribution;
import dev.formica.v1.LatencySnapshot;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code formica latency}: asks a running server for its per-stage and per-RPC latency
 * ({@code AdminService.GetLatency}) and prints percentiles for the last interval and since start;
 * {@code --watch} repeats until interrupted.
 *
 * <p>Thread contract: runs on the CLI's main thread.
 */
@Command(name = "latency", mixinStandardHelpOptions = true,
        description = "Print per-stage and per-RPC latency percentiles of a running server.")
public final class LatencyCommand implements Callable<Integer> {
    /** Target, TLS and token, as every admin command takes them. */
    @Mixin
    AdminConnection server;

    @Option(names = "--watch", description = "Print again every --every seconds until interrupted.")
    boolean watch;

    @Option(names = "--every", description = "Seconds between prints with --watch (default ${DEFAULT-VALUE}).",
            defaultValue = "5")
    int everySeconds;

    @Option(names = "--count", description = "With --watch: stop after this many prints (default: never).",
            defaultValue = "0")
    int count;

    @Option(names = "--name", paramLabel = "NAME", split = ",",
            description = "Only these stages or RPCs (e.g. total,fraud,rpc.Decide); default all.")
    List<String> names = new ArrayList<>();

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws InterruptedException {
        if (everySeconds < 1) {
            err.println("formica latency: --every must be at least 1");
            return 2;
        }
        ManagedChannel channel = server.channel();
        try {
            AdminServiceGrpc.AdminServiceBlockingStub stub = server.stub(channel);
            GetLatencyRequest request = GetLatencyRequest.newBuilder().addAllNames(names).build();
            for (int printed = 0; ; ) {
                LatencySnapshot snapshot;
                try {
                    snapshot = stub.withDeadlineAfter(5, TimeUnit.SECONDS).getLatency(request);
                } catch (StatusRuntimeException e) {
                    err.println("formica latency: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription()
                            + (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED ? " (give --token-file, $"
                                    + AdminConnection.TOKEN_ENV + ", or --data-dir of a server on this machine)" : ""));
                    return 1;
                }
                print(snapshot, out);
                printed++;
                if (!watch || (count > 0 && printed >= count)) {
                    return 0;
                }
                out.println();
                Thread.sleep(TimeUnit.SECONDS.toMillis(everySeconds));
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Prints both tables; times in ns, µs (as "us"), ms or s with three significant digits. */
    static void print(LatencySnapshot s, PrintStream out) {
        if (s.getIntervalEndMs() > 0) {
            out.printf("last interval %s .. %s (%.1f s)%n", Instant.ofEpochMilli(s.getIntervalStartMs()),
                    Instant.ofEpochMilli(s.getIntervalEndMs()),
                    (s.getIntervalEndMs() - s.getIntervalStartMs()) / 1000.0);
            table(s.getIntervalList(), out);
        } else {
            out.println("last interval: none finished yet (the server writes one every latencyInterval, 5 s"
                    + " by default)");
        }
        out.println("since start");
        table(s.getCumulativeList(), out);
    }

    private static void table(List<LatencyDistribution> rows, PrintStream out) {
        out.printf("  %-22s %10s %9s %9s %9s %9s %9s %9s%n", "name", "count", "p50", "p90", "p99", "p99.9", "max",
                "mean");
        for (LatencyDistribution d : rows) {
            out.printf("  %-22s %10d %9s %9s %9s %9s %9s %9s%n", d.getName(), d.getCount(), time(d, d.getP50Nanos()),
                    time(d, d.getP90Nanos()), time(d, d.getP99Nanos()), time(d, d.getP999Nanos()),
                    time(d, d.getMaxNanos()), time(d, d.getMeanNanos()));
        }
    }

    private static String time(LatencyDistribution d, long nanos) {
        if (d.getCount() == 0) {
            return "-";
        }
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        if (nanos < 1_000_000) {
            return sig3(nanos / 1e3) + " us";
        }
        if (nanos < 1_000_000_000) {
            return sig3(nanos / 1e6) + " ms";
        }
        return sig3(nanos / 1e9) + " s";
    }

    private static String sig3(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
