package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, deliverable 10: {@code latency-over-time.png} decodes, has the percentile plot's size, and each run's
 * line is drawn in its colour in both panels (p99 above, answers per second below) across the whole run: from the
 * left edge (the run's first second) to where the time axis puts its last second; the report embeds it.
 */
class TimelinePlotTest {
    private static final long T0 = 1_780_000_000_000L;

    @TempDir
    Path dir;

    /** {@code seconds} one-second intervals of {@code perSecond} answers at {@code ms}, 5 ms from second 20 on. */
    private static LatencyTimeline run(String name, int seconds, int perSecond, long ms) {
        LatencyTimeline timeline = new LatencyTimeline(name);
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        for (int s = 0; s < seconds; s++) {
            h.reset();
            h.setStartTimeStamp(T0 + s * 1000L);
            h.setEndTimeStamp(T0 + (s + 1) * 1000L);
            h.recordValueWithCount((s >= 20 ? 5 : ms) * 1_000_000L, perSecond);
            timeline.onInterval(h, h);
        }
        return timeline;
    }

    @Test
    void shouldDrawEachRunsP99AndThroughputAcrossTheRun() throws Exception {
        LatencyTimeline decide = run("decide", 40, 200, 1);
        assertEquals(40, decide.samples().size());
        assertEquals(40_000, decide.samples().get(39).endMs(), "ms since the run began");
        assertEquals(200.0, decide.samples().get(0).perSecond(), 1e-9);
        Path png = dir.resolve("report/latency-over-time.png");
        TimelinePlot.write(List.of(decide, run("echo", 10, 50, 1)), "test", png);

        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "a PNG ImageIO decodes");
        assertEquals(PercentilePlot.WIDTH, image.getWidth());
        assertEquals(PercentilePlot.HEIGHT, image.getHeight());
        int blue = PercentilePlot.COLORS[0].getRGB();
        int mid = TimelinePlot.TOP + (TimelinePlot.HEIGHT - TimelinePlot.TOP - TimelinePlot.BOTTOM) / 2;
        // legend swatches sit at the left of the top panel: look right of them
        int[] top = extent(image, blue, TimelinePlot.LEFT + 60, TimelinePlot.TOP, mid);
        int[] bottom = extent(image, blue, TimelinePlot.LEFT, mid, TimelinePlot.HEIGHT - TimelinePlot.BOTTOM);
        int plotW = TimelinePlot.WIDTH - TimelinePlot.LEFT - TimelinePlot.RIGHT;
        // the time axis covers the 40 s run, to the next round number (50 s)
        double axisSeconds = PercentilePlot.niceCeiling(40);
        assertEquals(50.0, axisSeconds, 1e-9);
        int end = TimelinePlot.LEFT + (int) Math.round(plotW * 40 / axisSeconds);
        assertEquals(end, top[1], 3.0, "p99 line reaches the run's last second");
        assertEquals(end, bottom[1], 3.0, "rate line reaches the run's last second");
        assertEquals(TimelinePlot.LEFT + plotW / axisSeconds, bottom[0], 3.0, "rate line starts at second 1");
        assertTrue(top[2] > plotW / 3 && bottom[2] > plotW / 2 && top[2] <= end,
                "lines drawn in the run's colour: " + top[2] + ", "
                + bottom[2] + " columns");
        int orange = PercentilePlot.COLORS[1].getRGB();
        int[] echo = extent(image, orange, TimelinePlot.LEFT, mid, TimelinePlot.HEIGHT - TimelinePlot.BOTTOM);
        assertEquals(TimelinePlot.LEFT + plotW * 10 / axisSeconds, echo[1], 3.0, "10 s run");

        Path html = dir.resolve("report/index.html");
        HtmlReport.write(html, "t", "loadtest", "summary", List.of(new HtmlReport.Figure("Latency by percentile",
                dir.resolve("missing.png")), new HtmlReport.Figure("Latency over time", png)));
        String text = Files.readString(html);
        assertTrue(text.contains("<h2>Latency over time</h2>") && text.contains("data:image/png;base64,"), text);
        assertTrue(!text.contains("Latency by percentile"), "a missing picture is left out");
    }

    /**
     * Whether {@code pixel} is the line colour {@code rgb} drawn over white with some coverage (antialiasing blends a
     * line's edge pixels with the white background): every channel is the same share of the way from white to it.
     */
    private static boolean lineColour(int pixel, int rgb) {
        double share = -1;
        for (int shift = 0; shift <= 16; shift += 8) {
            int c = (rgb >> shift) & 0xff;
            int p = (pixel >> shift) & 0xff;
            double a = (255.0 - p) / (255.0 - c);
            if (share >= 0 && Math.abs(a - share) > 0.12) {
                return false;
            }
            share = share < 0 ? a : share;
        }
        return share >= 0.3 && share <= 1.05;
    }

    /** {leftmost x, rightmost x, columns} with a pixel of the line colour {@code rgb} in rows {@code y0..y1}. */
    private static int[] extent(BufferedImage image, int rgb, int x0, int y0, int y1) {
        int left = Integer.MAX_VALUE;
        int right = -1;
        int columns = 0;
        for (int x = x0; x < image.getWidth(); x++) {
            boolean hit = false;
            for (int y = y0; y < y1 && !hit; y++) {
                hit = lineColour(image.getRGB(x, y), rgb);
            }
            if (hit) {
                left = Math.min(left, x);
                right = x;
                columns++;
            }
        }
        return new int[] {left, right, columns};
    }
}
