package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportsTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @TempDir
    Path dir;

    private static Histogram latencies(long baseNanos, int count) {
        Histogram h = new Histogram(OpenLoopRunner.HIGHEST_TRACKABLE_NANOS, 3);
        for (int i = 0; i < count; i++) {
            h.recordValue(baseNanos + i * 1000L);
        }
        return h;
    }

    private static RunResult result(String name, long baseNanos) {
        long[] statuses = new long[17];
        statuses[0] = 1000;
        long[] outcomes = {0, 700, 250, 50, 0};
        return new RunResult(name, name, "constant 100/s", 1000, 1000, 0, 0, 0, 0, 1000, TimeUnit.SECONDS.toNanos(10),
                statuses, outcomes, latencies(baseNanos, 1000), latencies(baseNanos / 2, 1000),
                Map.of("confirm OK", 12L));
    }

    @Test
    void shouldWriteAnHlogThatHistogramLogReaderReads() throws Exception {
        Path file = dir.resolve("run.hlog");
        try (HlogSink sink = new HlogSink(file, "test run")) {
            for (int i = 0; i < 3; i++) {
                Histogram corrected = latencies(MS, 100 + i);
                Histogram service = latencies(MS / 2, 50);
                corrected.setStartTimeStamp(System.currentTimeMillis() + i * 1000L);
                corrected.setEndTimeStamp(System.currentTimeMillis() + i * 1000L + 1000);
                service.setStartTimeStamp(corrected.getStartTimeStamp());
                service.setEndTimeStamp(corrected.getEndTimeStamp());
                sink.onInterval(corrected, service);
            }
        }
        HistogramLogReader reader = new HistogramLogReader(file.toFile());
        int corrected = 0;
        int service = 0;
        long correctedCount = 0;
        EncodableHistogram h;
        while ((h = reader.nextIntervalHistogram()) != null) {
            if (HlogSink.SERVICE_TAG.equals(h.getTag())) {
                service++;
            } else {
                assertNull(h.getTag());
                corrected++;
                correctedCount += ((Histogram) h).getTotalCount();
            }
        }
        assertEquals(3, corrected);
        assertEquals(3, service);
        assertEquals(100 + 101 + 102, correctedCount);
    }

    @Test
    void shouldWriteAPercentilePlotPng() throws Exception {
        Path png = dir.resolve("sub/plot.png");
        PercentilePlot.write(List.of(new PercentilePlot.Line("echo", latencies(MS / 4, 5000)),
                new PercentilePlot.Line("decide", latencies(MS, 5000)),
                new PercentilePlot.Line("empty", new Histogram(3))), "test", png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image);
        assertEquals(1000, image.getWidth());
        assertEquals(600, image.getHeight());
    }

    @Test
    void shouldWriteASelfContainedHtmlReportWithTheSummary() throws Exception {
        Path png = dir.resolve("plot.png");
        List<RunResult> runs = List.of(result("echo", MS / 4), result("decide", MS));
        PercentilePlot.write(List.of(new PercentilePlot.Line("decide", runs.get(1).corrected())), "t", png);
        String summary = SummaryText.table(runs);
        Path html = dir.resolve("index.html");
        HtmlReport.write(html, "Formica <load>", "loadtest --rate 100", summary, png);
        String text = Files.readString(html);
        assertTrue(text.contains("data:image/png;base64,"));
        assertTrue(text.contains("Formica &lt;load&gt;"));
        assertTrue(text.contains("loadtest --rate 100"));
        assertFalse(text.contains("http://") || text.contains("https://") || text.contains("<script"));
        assertTrue(summary.contains("APPROVE") && summary.contains("700") && summary.contains("confirm OK"));
        assertTrue(summary.contains("corrected p99.9 ms") && summary.contains("service max ms"));
    }
}
