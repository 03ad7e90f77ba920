package dev.formica.loadtest;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Draws latency over time beside the percentile plot, the same way ({@link PercentilePlot}'s size, colours and
 * Java2D in headless mode, written as PNG): the p99 per second (ms, top) and the answers per second (bottom) against
 * the seconds since each run began, one line per run. Stateless.
 */
public final class TimelinePlot {
    static final int WIDTH = PercentilePlot.WIDTH;
    static final int HEIGHT = PercentilePlot.HEIGHT;
    static final int LEFT = PercentilePlot.LEFT;
    static final int RIGHT = PercentilePlot.RIGHT;
    static final int TOP = PercentilePlot.TOP;
    static final int BOTTOM = PercentilePlot.BOTTOM;
    private static final int GAP = 40;

    private TimelinePlot() {
    }

    /** Draws {@code runs} and writes the PNG to {@code file}. */
    public static void write(List<LatencyTimeline> runs, String title, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        PercentilePlot.writePng(render(runs, title), file);
    }

    static BufferedImage render(List<LatencyTimeline> runs, String title) {
        double seconds = 1;
        double maxMs = 0.001;
        double maxRate = 1;
        for (LatencyTimeline run : runs) {
            for (LatencyTimeline.Sample s : run.samples()) {
                seconds = Math.max(seconds, s.endMs() / 1000.0);
                maxMs = Math.max(maxMs, s.p99Nanos() / 1e6);
                maxRate = Math.max(maxRate, s.perSecond());
            }
        }
        double xMax = PercentilePlot.niceCeiling(seconds);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int plotW = WIDTH - LEFT - RIGHT;
            int panelH = (HEIGHT - TOP - BOTTOM - GAP) / 2;
            int latencyTop = TOP;
            int rateTop = TOP + panelH + GAP;
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.setColor(Color.BLACK);
            g.drawString(title, LEFT, 25);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            double yLatency = PercentilePlot.niceCeiling(maxMs * 1.05);
            double yRate = PercentilePlot.niceCeiling(maxRate * 1.05);
            panel(g, latencyTop, panelH, xMax, yLatency, "p99 latency per second (ms)");
            panel(g, rateTop, panelH, xMax, yRate, "answers per second");
            for (int t = 0; t <= 5; t++) {
                int x = LEFT + plotW * t / 5;
                String label = String.format(Locale.ROOT, "%.3g", xMax * t / 5);
                g.setColor(Color.DARK_GRAY);
                g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, rateTop + panelH + 18);
            }
            g.drawString("seconds since the run began", LEFT + plotW / 2 - 80, HEIGHT - 15);
            g.setStroke(new BasicStroke(2f));
            for (int i = 0; i < runs.size(); i++) {
                LatencyTimeline run = runs.get(i);
                g.setColor(PercentilePlot.COLORS[i % PercentilePlot.COLORS.length]);
                line(g, run, s -> s.p99Nanos() / 1e6, true, xMax, yLatency, latencyTop, panelH);
                line(g, run, LatencyTimeline.Sample::perSecond, false, xMax, yRate, rateTop, panelH);
                PercentilePlot.legend(g, i, run.name(), latencyTop);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void panel(Graphics2D g, int top, int height, double xMax, double yMax, String label) {
        int plotW = WIDTH - LEFT - RIGHT;
        for (int t = 0; t <= 5; t++) {
            int x = LEFT + plotW * t / 5;
            int y = top + height - height * t / 5;
            g.setColor(new Color(0xdddddd));
            g.drawLine(x, top, x, top + height);
            g.drawLine(LEFT, y, LEFT + plotW, y);
            g.setColor(Color.DARK_GRAY);
            String value = String.format(Locale.ROOT, "%.3g", yMax * t / 5);
            g.drawString(value, LEFT - 8 - g.getFontMetrics().stringWidth(value), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, top, plotW, height);
        g.drawString(label, LEFT, top - 6);
    }

    /** One run's line; intervals without answers have no latency, so the latency line breaks there. */
    private static void line(Graphics2D g, LatencyTimeline run, ToDoubleFunction<LatencyTimeline.Sample> value,
            boolean latency, double xMax, double yMax, int top, int height) {
        int plotW = WIDTH - LEFT - RIGHT;
        Path2D.Double path = new Path2D.Double();
        boolean gap = true;
        boolean drawn = false;
        for (LatencyTimeline.Sample s : run.samples()) {
            if (latency && s.perSecond() == 0) {
                gap = true;
                continue;
            }
            double px = LEFT + plotW * Math.min(s.endMs() / 1000.0, xMax) / xMax;
            double py = top + height - height * Math.min(value.applyAsDouble(s), yMax) / yMax;
            if (gap) {
                path.moveTo(px, py);
                gap = false;
            } else {
                path.lineTo(px, py);
            }
            drawn = true;
        }
        if (drawn) {
            g.draw(path);
        }
    }
}
