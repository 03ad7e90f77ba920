package dev.formica.loadtest;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Writes each 1-second interval to an HdrHistogram log (.hlog): corrected latency untagged, service
 * time tagged {@code service}; values are nanoseconds. Readable by {@code HistogramLogReader} and the
 * HdrHistogram log processing tools.
 *
 * <p>Thread contract: used by the runner's sampling thread only.
 */
public final class HlogSink implements OpenLoopRunner.IntervalListener, AutoCloseable {
    /** Tag of the service-time intervals. */
    public static final String SERVICE_TAG = "service";

    private final PrintStream out;
    private final HistogramLogWriter writer;

    /** Creates (or replaces) {@code file} and writes the log header. */
    public HlogSink(Path file, String comment) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        OutputStream stream = Files.newOutputStream(file);
        out = new PrintStream(stream, false, "UTF-8");
        writer = new HistogramLogWriter(out);
        long now = System.currentTimeMillis();
        writer.outputComment(comment);
        writer.outputComment("values in nanoseconds; untagged = latency from intended send time, tag "
                + SERVICE_TAG + " = from actual send");
        writer.outputLogFormatVersion();
        writer.outputStartTime(now);
        writer.setBaseTime(now);
        writer.outputLegend();
    }

    @Override
    public void onInterval(Histogram corrected, Histogram service) {
        corrected.setTag(null);
        writer.outputIntervalHistogram(corrected);
        service.setTag(SERVICE_TAG);
        writer.outputIntervalHistogram(service);
        service.setTag(null);
    }

    @Override
    public void close() {
        out.flush();
        out.close();
    }
}
