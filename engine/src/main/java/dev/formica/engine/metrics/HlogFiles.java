package dev.formica.engine.metrics;

import dev.formica.engine.files.CountingOutputStream;
import dev.formica.engine.files.OwnerOnly;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interval histograms as HdrHistogram {@code .hlog} files in one directory, one tagged histogram per stage
 * and RPC per interval. A new file starts when the current one passes {@code maxBytes} or {@code maxAge};
 * only the newest {@code keepFiles} are kept. Files are named {@code latency-<UTC start>.hlog}, so name
 * order is time order.
 *
 * <p>Thread contract: one thread (the latency sampler) calls {@link #write} and {@link #close}.
 */
final class HlogFiles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HlogFiles.class);
    static final String PREFIX = "latency-";
    static final String SUFFIX = ".hlog";
    private static final DateTimeFormatter NAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path dir;
    private final long maxBytes;
    private final long maxAgeMs;
    private final int keepFiles;
    private Path current;
    private CountingOutputStream bytes;
    private PrintStream stream;
    private HistogramLogWriter writer;
    private long openedMs;
    private boolean failed;

    HlogFiles(Path dir, long maxBytes, long maxAgeMs, int keepFiles) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.maxAgeMs = maxAgeMs;
        this.keepFiles = keepFiles;
    }

    /** Appends one interval: every histogram with its tag, timestamps from the histogram. */
    void write(long intervalStartMs, List<Histogram> histograms) {
        if (failed) {
            return;
        }
        try {
            if (writer == null || bytes.count() >= maxBytes || intervalStartMs - openedMs >= maxAgeMs) {
                rotate(intervalStartMs);
            }
            for (Histogram h : histograms) {
                writer.outputIntervalHistogram(h);
            }
            stream.flush();
        } catch (IOException | RuntimeException e) {
            // Latency files are a diagnostic: losing them must not take the engine down.
            failed = true;
            LOG.warn("latency log in " + dir + " stopped: " + e.getMessage(), e);
        }
    }

    private void rotate(long startMs) throws IOException {
        closeCurrent();
        OwnerOnly.directory(dir);
        String stamp = NAME_TIME.format(Instant.ofEpochMilli(startMs));
        Path file = dir.resolve(PREFIX + stamp + SUFFIX);
        for (int n = 1; Files.exists(file); n++) {
            file = dir.resolve(PREFIX + stamp + "-" + n + SUFFIX);
        }
        current = file;
        bytes = new CountingOutputStream(Files.newOutputStream(OwnerOnly.file(file)));
        stream = new PrintStream(bytes, false, java.nio.charset.StandardCharsets.US_ASCII);
        writer = new HistogramLogWriter(stream);
        writer.outputLogFormatVersion();
        writer.outputComment("formica latency: one histogram per stage and RPC per interval, tag = name,"
                + " values in nanoseconds");
        writer.outputStartTime(startMs);
        writer.setBaseTime(startMs);
        writer.outputBaseTime(startMs);
        writer.outputLegend();
        openedMs = startMs;
        prune();
    }

    /** Deletes the oldest files past {@code keepFiles} (the current one counts). */
    private void prune() throws IOException {
        List<Path> files = files(dir);
        for (int i = 0; i < files.size() - keepFiles; i++) {
            if (!files.get(i).equals(current)) {
                Files.deleteIfExists(files.get(i));
            }
        }
    }

    /** The .hlog files in {@code dir}, oldest first. */
    static List<Path> files(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            ds.forEach(out::add);
        }
        out.sort(null);
        return out;
    }

    Path current() {
        return current;
    }

    private void closeCurrent() {
        if (writer != null) {
            writer.close();
            writer = null;
            stream = null;
        }
    }

    @Override
    public void close() {
        closeCurrent();
    }
}
