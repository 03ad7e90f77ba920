package dev.formica.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Process CPU time of the load generator and, when the server's metrics address is known, of the server
 * (Prometheus' {@code process_cpu_seconds_total} from its {@code /metrics}). On a shared machine the CPU an
 * RPC costs is a steadier measure than its saturation rate, which moves with the neighbours: both are
 * reported, per request, for the same run.
 *
 * <p>Thread contract: {@link #sample()} from one thread at a time (the runner's sampling thread).
 */
final class CpuMeter {
    /** One reading; a negative value is unknown. */
    record Reading(long clientNanos, long serverNanos) {
    }

    private static final String METRIC = "process_cpu_seconds_total";

    private final LongSupplier client;
    private final URI serverMetrics;
    private final HttpClient http;

    /** @param serverMetrics the server's {@code /metrics} address, or null to measure the client only */
    CpuMeter(URI serverMetrics) {
        this(CpuMeter::processCpuNanos, serverMetrics);
    }

    CpuMeter(LongSupplier client, URI serverMetrics) {
        this.client = client;
        this.serverMetrics = serverMetrics;
        this.http = serverMetrics == null ? null
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    Reading sample() {
        return new Reading(client.getAsLong(), serverNanos());
    }

    private long serverNanos() {
        if (serverMetrics == null) {
            return -1;
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(serverMetrics).timeout(Duration.ofSeconds(2))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? cpuNanos(r.body()) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** {@code process_cpu_seconds_total} of a Prometheus text exposition, in nanoseconds; -1 when absent. */
    static long cpuNanos(String exposition) {
        try (BufferedReader in = new BufferedReader(new StringReader(exposition))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith(METRIC + " ") || line.startsWith(METRIC + "{")) {
                    // after the name and its labels: the value, then an optional timestamp
                    int labelsEnd = line.lastIndexOf('}');
                    String rest = line.substring(labelsEnd >= 0 ? labelsEnd + 1 : METRIC.length()).trim();
                    return Math.round(Double.parseDouble(rest.split("\\s+")[0]) * 1e9);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** CPU per request in microseconds between two readings, NaN when unknown. */
    static double microsPerRequest(long fromNanos, long toNanos, long requests) {
        if (fromNanos < 0 || toNanos < 0 || requests <= 0) {
            return Double.NaN;
        }
        return (toNanos - fromNanos) / 1e3 / requests;
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
