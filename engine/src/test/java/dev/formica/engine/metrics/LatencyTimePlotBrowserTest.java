package dev.formica.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.formica.engine.server.LatencyPageBrowserTest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, deliverable 10, in a real browser: headless Chromium loads the live page over a hub that has seen
 * 20 minutes of traffic (on the hub's own clock, ticked by the test: no sampler thread, so nothing moves while the
 * browser starts), and the page's own script draws the p99 and throughput lines over time with a point per second of
 * the last 15 minutes, running from the left edge (15 minutes ago) to the right (now), the slow minutes higher.
 */
class LatencyTimePlotBrowserTest {
    private static final long START_MS = 1_780_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void shouldDrawP99AndThroughputOverTheLastFifteenMinutes() throws Exception {
        Path chromium = LatencyPageBrowserTest.chromium();
        assumeTrue(chromium != null, "ASSUMPTION: no Chromium installed (apt-get install chromium);"
                + " the plots over time were not drawn in a browser");
        CachedEpochClock clock = new CachedEpochClock();
        clock.update(START_MS);
        HttpServer http = null;
        try (LatencyHub hub = new LatencyHub(true, 1, clock, new DecisionMetrics(new PrometheusRegistry()), 5000,
                null, 0, 0, 0)) {
            Recorder decide = hub.rpcTimers("formica.v1.DecisionService", "Decide").recorder(0);
            for (int s = 1; s <= 20 * 60; s++) {
                // 100 calls a second, 200 in the last 5 minutes; 1 ms, 2 % at 40 ms in minutes 10-12 (p99 40 ms)
                boolean slow = s > 600 && s <= 720;
                int calls = s > 900 ? 200 : 100;
                for (int i = 0; i < calls; i++) {
                    decide.recordValue(slow && i < calls / 50 ? 40_000_000L : 1_000_000L);
                }
                clock.advance(1000);
                hub.tick();
            }
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", new LatencyPage(hub));
            http.start();
            String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/latency";
            String dom = LatencyPageBrowserTest.headless(chromium, dir.resolve("chromium"), url, "--dump-dom");

            List<double[]> p99 = points(svg(dom, "p99time"), "rpc.Decide", LatencyHistory.SAMPLES);
            List<double[]> qps = points(svg(dom, "qpstime"), "rpc.Decide", LatencyHistory.SAMPLES);
            double left = p99.get(0)[0];
            double right = p99.get(p99.size() - 1)[0];
            assertTrue(right - left > 400, "the 15 minutes span the plot: x " + left + " to " + right);
            assertEquals(left, qps.get(0)[0], 0.2, "both plots share the time axis");
            // SVG y grows downwards: the slow minutes (samples 300-419 of the kept 900) are higher up
            assertTrue(p99.get(350)[1] < p99.get(100)[1] - 20, "p99 rises in the slow minutes");
            assertTrue(qps.get(800)[1] < qps.get(100)[1] - 20, "throughput rises in the last 5 minutes");
            assertTrue(svg(dom, "p99time").contains(">-15 min<") && svg(dom, "p99time").contains(">now<"),
                    "time axis labels");
        } finally {
            if (http != null) {
                http.stop(0);
            }
        }
    }

    private static String svg(String dom, String id) {
        int start = dom.indexOf("<svg id=\"" + id + "\"");
        assertTrue(start >= 0, "svg " + id + " in:\n" + dom);
        return dom.substring(start, dom.indexOf("</svg>", start));
    }

    /** The drawn line's points, checking that the line has {@code expected} of them. */
    private static List<double[]> points(String svg, String name, int expected) {
        Matcher path = Pattern.compile("<path d=\"([^\"]+)\" class=\"curve\"[^>]*data-name=\"" + Pattern.quote(name)
                + "\"[^>]*data-points=\"(\\d+)\"").matcher(svg);
        assertTrue(path.find(), "a line for " + name + " in:\n" + svg);
        assertEquals(expected, Integer.parseInt(path.group(2)), "one point per second");
        List<double[]> out = new ArrayList<>();
        Matcher xy = Pattern.compile("[ML](-?\\d+\\.\\d),(-?\\d+\\.\\d)").matcher(path.group(1));
        while (xy.find()) {
            out.add(new double[] {Double.parseDouble(xy.group(1)), Double.parseDouble(xy.group(2))});
        }
        assertEquals(expected, out.size(), path.group(1));
        return out;
    }
}
