package dev.formica.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * A self-contained HTML report (no scripts, no external links): the command, the text summary and
 * the percentile plot embedded as a data: URI. Stateless.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** Writes the report to {@code file}; {@code png} is embedded when it exists. */
    public static void write(Path file, String title, String command, String summary, Path png) throws IOException {
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
        if (png != null && Files.exists(png)) {
            b.append("<h2>Latency by percentile</h2>\n<img alt=\"latency by percentile\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(Files.readAllBytes(png))).append("\">\n");
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
