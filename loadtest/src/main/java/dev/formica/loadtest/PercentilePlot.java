package dev.formica.loadtest;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Draws the HdrHistogram-style percentile plot: latency (ms, linear) against percentile on a
 * logarithmic "1/(1-p)" axis (0 %, 90 %, 99 %, 99.9 % ...), one line per run, with Java2D in
 * headless mode, written as PNG. Stateless.
 */
public final class PercentilePlot {
    static final int WIDTH = 1000;
    static final int HEIGHT = 600;
    static final int LEFT = 80;
    static final int RIGHT = 30;
    static final int TOP = 50;
    static final int BOTTOM = 60;
    static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private PercentilePlot() {
    }

    /** A named latency distribution to draw, values in nanoseconds. */
    public record Line(String name, Histogram histogram) {
    }

    /** Draws {@code lines} and writes the PNG to {@code file}. */
    public static void write(List<Line> lines, String title, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        writePng(render(lines, title), file);
    }

    /** Writes {@code image} as a PNG to {@code file}, creating its directory. */
    static void writePng(BufferedImage image, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    static BufferedImage render(List<Line> lines, String title) {
        long maxCount = 1;
        double maxMs = 0.001;
        for (Line l : lines) {
            maxCount = Math.max(maxCount, l.histogram().getTotalCount());
            maxMs = Math.max(maxMs, l.histogram().getMaxValue() / 1e6);
        }
        int decades = (int) Math.max(2, Math.min(6, Math.ceil(Math.log10(maxCount))));
        double yMax = niceCeiling(maxMs * 1.05);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int plotW = WIDTH - LEFT - RIGHT;
            int plotH = HEIGHT - TOP - BOTTOM;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            // grid and axis labels
            for (int d = 0; d <= decades; d++) {
                int x = LEFT + plotW * d / decades;
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, TOP, x, TOP + plotH);
                g.setColor(Color.DARK_GRAY);
                String label = percentLabel(d);
                g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, TOP + plotH + 18);
            }
            for (int t = 0; t <= 5; t++) {
                int y = TOP + plotH - plotH * t / 5;
                g.setColor(new Color(0xdddddd));
                g.drawLine(LEFT, y, LEFT + plotW, y);
                g.setColor(Color.DARK_GRAY);
                String label = String.format(Locale.ROOT, "%.3g", yMax * t / 5);
                g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 4);
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, plotW, plotH);
            g.drawString("percentile", LEFT + plotW / 2 - 30, HEIGHT - 15);
            g.drawString("latency (ms)", 10, TOP - 10);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, LEFT, 25);
            g.setStroke(new BasicStroke(2f));
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int i = 0; i < lines.size(); i++) {
                Line line = lines.get(i);
                g.setColor(COLORS[i % COLORS.length]);
                Path2D path = path(line.histogram(), decades, yMax, plotW, plotH);
                if (path != null) {
                    g.draw(path);
                }
                legend(g, i, line.name(), TOP);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The legend entry of line {@code i} (in the current colour) below {@code top}, at the plot's left. */
    static void legend(Graphics2D g, int i, String name, int top) {
        int ly = top + 20 + 18 * i;
        g.drawLine(LEFT + 15, ly - 4, LEFT + 40, ly - 4);
        g.drawString(name, LEFT + 46, ly);
    }

    private static Path2D path(Histogram h, int decades, double yMax, int plotW, int plotH) {
        if (h.getTotalCount() == 0) {
            return null;
        }
        Path2D.Double path = new Path2D.Double();
        boolean first = true;
        double maxX = decades;
        for (HistogramIterationValue v : h.percentiles(5)) {
            double p = v.getPercentileLevelIteratedTo() / 100.0;
            double x = p >= 1.0 ? maxX : Math.min(maxX, Math.log10(1.0 / (1.0 - p)));
            double ms = h.highestEquivalentValue(v.getValueIteratedTo()) / 1e6;
            double px = LEFT + plotW * x / maxX;
            double py = TOP + plotH - plotH * Math.min(ms, yMax) / yMax;
            if (first) {
                path.moveTo(px, py);
                first = false;
            } else {
                path.lineTo(px, py);
            }
            if (p >= 1.0) {
                break;
            }
        }
        return path;
    }

    private static String percentLabel(int decade) {
        BigDecimal hundred = BigDecimal.valueOf(100);
        return hundred.subtract(hundred.movePointLeft(decade)).stripTrailingZeros().toPlainString() + "%";
    }

    static double niceCeiling(double v) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= v) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
