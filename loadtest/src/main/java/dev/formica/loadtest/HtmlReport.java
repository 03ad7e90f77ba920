package dev.formica.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML report (no scripts, no external links): the command, the text summary and
 * the plots (percentiles, latency over time) embedded as data: URIs. Stateless.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** A picture of the report: its heading and the PNG embedded under it (left out when the file is missing). */
    public record Figure(String heading, Path png) {
    }

    /** Writes the report to {@code file}; {@code png} (the percentile plot) is embedded when it exists. */
    public static void write(Path file, String title, String command, String summary, Path png) throws IOException {
        write(file, title, command, summary, List.of(new Figure("Latency by percentile", png)));
    }

    /** Writes the report to {@code file} with the {@code figures} that exist, in order. */
    public static void write(Path file, String title, String command, String summary, List<Figure> figures)
            throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(escape(title)).append("</title>\n<style>body{font-family:sans-serif;margin:2em;}"
                        + "pre{background:#f6f6f6;padding:1em;overflow-x:auto;}img{max-width:100%;}</style>"
                        + "</head><body>\n");
        b.append("<h1>").append(escape(title)).append("</h1>\n");
        b.append("<p>Latency is measured from each request's intended send time (open loop, corrected for "
                + "coordinated omission); service time from its actual send. Times in milliseconds.</p>\n");
        b.append("<h2>Command</h2>\n<pre>").append(escape(command)).append("</pre>\n");
        b.append("<h2>Summary</h2>\n<pre>").append(escape(summary)).append("</pre>\n");
        for (Figure f : figures) {
            if (f.png() != null && Files.exists(f.png())) {
                String heading = escape(f.heading());
                b.append("<h2>").append(heading).append("</h2>\n<img alt=\"").append(heading.toLowerCase(Locale.ROOT))
                        .append("\" src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(Files.readAllBytes(f.png()))).append("\">\n");
            }
        }
        b.append("</body></html>\n");
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, b, StandardCharsets.UTF_8);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
