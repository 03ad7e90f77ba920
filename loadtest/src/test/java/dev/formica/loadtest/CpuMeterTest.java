package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class CpuMeterTest {
    @Test
    void shouldReadProcessCpuSecondsFromAPrometheusExposition() {
        String text = "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                + "# TYPE process_cpu_seconds_total counter\n"
                + "process_cpu_seconds_total_other 99\n"
                + "process_cpu_seconds_total 12.5\n";
        assertEquals(12_500_000_000L, CpuMeter.cpuNanos(text));
        assertEquals(12_500_000_000L, CpuMeter.cpuNanos("process_cpu_seconds_total{job=\"formica\"} 1.25E1 1700\n"));
        assertEquals(-1, CpuMeter.cpuNanos("process_cpu_seconds_total_other 99\n"));
        assertEquals(-1, CpuMeter.cpuNanos("process_cpu_seconds_total not-a-number\n"));
    }

    @Test
    void shouldMeasureTheServerBetweenTwoScrapesAndTheClientFromItsOwnClock() throws Exception {
        AtomicInteger scrapes = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/metrics", exchange -> {
            // 1.0 s of CPU at the first scrape, 1.5 s at the second
            byte[] body = ("process_cpu_seconds_total " + (1.0 + 0.5 * scrapes.getAndIncrement()) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            long[] client = {2_000_000};
            CpuMeter meter = new CpuMeter(() -> client[0], URI.create("http://127.0.0.1:"
                    + server.getAddress().getPort() + "/metrics"));
            CpuMeter.Reading from = meter.sample();
            client[0] += 3_000_000;
            CpuMeter.Reading to = meter.sample();
            assertEquals(1_000_000_000L, from.serverNanos());
            assertEquals(1_500_000_000L, to.serverNanos());

            RunResult r = result(1000).withCpu(from, to);
            assertEquals(500.0, r.serverCpuMicros(), 1e-9, "0.5 s over 1,000 requests");
            assertEquals(3.0, r.clientCpuMicros(), 1e-9, "3 ms over 1,000 requests");
            String table = SummaryText.table(List.of(r));
            assertTrue(table.contains("server CPU us/req") && table.contains("500.0"), table);
            assertTrue(table.contains("client CPU us/req") && table.contains("3.0"), table);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void shouldReportTheServerAsUnknownWhenItsMetricsCannotBeRead() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CpuMeter meter = new CpuMeter(URI.create("http://127.0.0.1:" + closed + "/metrics"));
        CpuMeter.Reading from = meter.sample();
        busy(50_000_000L);
        CpuMeter.Reading to = meter.sample();
        assertEquals(-1, from.serverNanos());
        assertTrue(to.clientNanos() > from.clientNanos(), "this process's CPU time moved: " + from + " " + to);

        RunResult r = result(100).withCpu(from, to);
        assertTrue(Double.isNaN(r.serverCpuMicros()));
        assertTrue(r.clientCpuMicros() > 0);
        String table = SummaryText.table(List.of(r));
        assertTrue(table.contains("client CPU us/req") && !table.contains("server CPU us/req"), table);
        assertTrue(Double.isNaN(CpuMeter.microsPerRequest(1, 2, 0)), "no requests: no figure");
    }

    private static RunResult result(long sent) {
        return new RunResult("t", "decide", "constant", sent, sent, 0, 0, 0, 0, sent, 1_000_000_000L, new long[17],
                new long[4], new Histogram(3), new Histogram(3), Map.of());
    }

    /** Spins for {@code nanos} of wall time so the process uses some CPU. */
    private static void busy(long nanos) {
        long end = System.nanoTime() + nanos;
        long x = 0;
        while (System.nanoTime() < end) {
            x += x * 31 + 7;
        }
        if (x == 42) {
            System.out.println(x);
        }
    }
}
