package dev.formica.engine.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.state.VelocityShares;
import dev.formica.engine.state.VelocityWindows;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The velocity exchange's gauges of a two-node test cluster, read from each node's {@code /metrics}: the tests wait
 * on them instead of sleeping ({@link ClusterVelocityTest}, {@link ClusterVelocityCredentialsTest}).
 */
final class ExchangeGauges {
    private final HttpClient http = HttpClient.newHttpClient();
    private final int[] metricsPorts;

    /** @param metricsPorts node 0's and node 1's metrics ports on 127.0.0.1 */
    ExchangeGauges(int... metricsPorts) {
        this.metricsPorts = metricsPorts.clone();
    }

    /** A device id whose velocity key node {@code owner} of two owns. */
    static String deviceOwnedBy(int owner) {
        return IntStream.range(0, 10_000).mapToObj(i -> "device-" + i)
                .filter(d -> PartitionTable.rangeOwner(VelocityShares.partition(
                        VelocityWindows.keyHash(VelocityWindows.Dimension.DEVICE, d)), 2) == owner)
                .findFirst().orElseThrow();
    }

    /** The node's {@code formica_velocity_exchange_age_seconds} for its peer, in milliseconds. */
    double ageMs(int node) throws IOException, InterruptedException {
        return gauge(node, "formica_velocity_exchange_age_seconds") * 1000;
    }

    /** The node's gauge {@code name} for its peer (the other node). */
    double gauge(int node, String name) throws IOException, InterruptedException {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPorts[node]
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{peer=\"" + (1 - node) + "\"} (\\S+)$").matcher(body);
        assertTrue(m.find(), name + " in\n" + body);
        return Double.parseDouble(m.group(1));
    }

    /**
     * Waits until both nodes' gauges say they exchanged everything after this moment: then every Decide made before it
     * is in both nodes' readings (the bound the gauge states, here crossed on purpose to test at exact counts).
     */
    void awaitExchanged() {
        long since = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (int node = 0; node < 2; node++) {
                long before = System.currentTimeMillis();
                if (ageMs(node) > before - since) {
                    return false;
                }
            }
            return true;
        });
    }
}
