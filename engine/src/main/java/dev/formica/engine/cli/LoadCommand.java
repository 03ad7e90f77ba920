package dev.formica.engine.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.formica.client.FormicaClient;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.RowError;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code formica load FILE}: bulk-loads borrower profiles from CSV or JSONL through
 * {@code ProfileService.Load}, with a progress bar. A bad row is reported with its line number and
 * reason, and the good rows are kept.
 *
 * <p>CSV: a header row naming the columns {@code borrower_id} (required), {@code region},
 * {@code annual_income_minor}, {@code self_limit_minor}, {@code consumer_credit_line_minor},
 * {@code cash_loan_line_minor}, {@code business_loan_line_minor}, and any {@code attr.NAME} column
 * (a whole number becomes an int attribute, a decimal a double, {@code true}/{@code false} a bool,
 * anything else a string). No quoting: values hold no commas. JSONL: one {@code Profile} per line in
 * the protobuf JSON mapping, e.g. {@code {"borrowerId":"b1","lines":[{"product":"CASH_LOAN","lineMinor":"500000"}]}}.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Bulk-load borrower profiles from a CSV or JSONL file into a running server.")
public final class LoadCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Profiles: .csv or .jsonl")
    Path file;

    @Option(names = "--target", description = "Server host:port (default ${DEFAULT-VALUE}).",
            defaultValue = "127.0.0.1:50051")
    String target;

    @Option(names = "--format", description = "csv or jsonl (default: from the file name).")
    String format;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        boolean jsonl = format != null ? format.equalsIgnoreCase("jsonl")
                : file.getFileName().toString().toLowerCase().endsWith(".jsonl");
        long total;
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            total = lines.count() - (jsonl ? 0 : 1);
        }
        List<String> localErrors = new ArrayList<>();
        long start = System.nanoTime();
        LoadSummary summary;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                FormicaClient client = FormicaClient.builder().target(target)
                        .streamDeadline(Duration.ofHours(1)).build()) {
            ProfileRows rows = new ProfileRows(reader, jsonl, localErrors, total, err);
            summary = client.loadProfiles(rows);
            rows.finishProgress();
            long elapsedMs = Math.max(1, (System.nanoTime() - start) / 1_000_000);
            out.printf("loaded %,d profiles (%,d created, %,d updated), rejected %,d by the server and %,d unreadable,"
                            + " in %,d ms (%,.0f/s)%n", summary.getLoaded(), summary.getCreated(), summary.getUpdated(),
                    summary.getRejected(), localErrors.size(), elapsedMs, summary.getReceived() * 1000.0 / elapsedMs);
            for (RowError e : summary.getErrorsList()) {
                long line = rows.fileLineOf(e.getRow());
                out.printf("  line %d: %s: %s%n", line, e.getField(), e.getReason());
            }
        }
        for (String e : localErrors) {
            out.println("  " + e);
        }
        return summary.getRejected() + localErrors.size() == 0 ? 0 : 3;
    }

    /** Streams rows as profiles; unreadable rows are skipped and reported by line number. */
    static final class ProfileRows implements Iterator<Profile> {
        private final BufferedReader reader;
        private final boolean jsonl;
        private final List<String> errors;
        private final long total;
        private final PrintStream progress;
        private final List<Long> sentLines = new ArrayList<>();
        private String[] header;
        private long line;
        private Profile next;
        private long sent;
        private long lastDrawNanos;

        ProfileRows(BufferedReader reader, boolean jsonl, List<String> errors, long total, PrintStream progress) {
            this.reader = reader;
            this.jsonl = jsonl;
            this.errors = errors;
            this.total = Math.max(1, total);
            this.progress = progress;
        }

        /** File line of the n-th profile sent (1-based). */
        long fileLineOf(long row) {
            return row >= 1 && row <= sentLines.size() ? sentLines.get((int) row - 1) : -1;
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                String text;
                try {
                    text = reader.readLine();
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read: " + e.getMessage(), e);
                }
                if (text == null) {
                    return false;
                }
                line++;
                if (text.isBlank()) {
                    continue;
                }
                try {
                    next = jsonl ? fromJson(text) : fromCsv(text);
                } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
                    errors.add("line " + line + ": " + e.getMessage());
                }
            }
            return true;
        }

        @Override
        public Profile next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Profile p = next;
            next = null;
            sent++;
            sentLines.add(line);
            drawProgress(false);
            return p;
        }

        private void drawProgress(boolean force) {
            long now = System.nanoTime();
            if (!force && now - lastDrawNanos < 200_000_000L) {
                return;
            }
            lastDrawNanos = now;
            int width = 30;
            int filled = (int) Math.min(width, sent * width / total);
            progress.printf("\r[%s%s] %,d / %,d", "#".repeat(filled), ".".repeat(width - filled), sent, total);
        }

        void finishProgress() {
            drawProgress(true);
            progress.println();
        }

        private static Profile fromJson(String text) throws InvalidProtocolBufferException {
            Profile.Builder b = Profile.newBuilder();
            JsonFormat.parser().merge(text, b);
            return b.build();
        }

        private Profile fromCsv(String text) {
            String[] cells = text.split(",", -1);
            if (header == null) {
                header = cells;
                for (int i = 0; i < header.length; i++) {
                    header[i] = header[i].trim();
                }
                if (!List.of(header).contains("borrower_id")) {
                    throw new IllegalArgumentException("the header must name a borrower_id column");
                }
                return null;
            }
            if (cells.length != header.length) {
                throw new IllegalArgumentException(cells.length + " cells, header has " + header.length);
            }
            Profile.Builder p = Profile.newBuilder();
            for (int i = 0; i < cells.length; i++) {
                String name = header[i];
                String value = cells[i].trim();
                if (value.isEmpty()) {
                    continue;
                }
                switch (name) {
                    case "borrower_id" -> p.setBorrowerId(value);
                    case "region" -> p.setRegion(value);
                    case "annual_income_minor" -> p.setAnnualIncomeMinor(number(name, value));
                    case "self_limit_minor" -> p.setSelfLimitMinor(number(name, value));
                    case "consumer_credit_line_minor" -> p.addLines(line(Product.CONSUMER_CREDIT, name, value));
                    case "cash_loan_line_minor" -> p.addLines(line(Product.CASH_LOAN, name, value));
                    case "business_loan_line_minor" -> p.addLines(line(Product.BUSINESS_LOAN, name, value));
                    default -> {
                        if (!name.startsWith("attr.")) {
                            throw new IllegalArgumentException("unknown column " + name);
                        }
                        p.putAttributes(name.substring(5), attribute(value));
                    }
                }
            }
            return p.build();
        }

        private static ProductLine line(Product product, String column, String value) {
            return ProductLine.newBuilder().setProduct(product).setLineMinor(number(column, value)).build();
        }

        private static long number(String column, String value) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(column + ": not a whole number of minor units: " + value);
            }
        }

        private static AttributeValue attribute(String value) {
            if (value.equals("true") || value.equals("false")) {
                return AttributeValue.newBuilder().setBoolValue(Boolean.parseBoolean(value)).build();
            }
            try {
                return AttributeValue.newBuilder().setIntValue(Long.parseLong(value)).build();
            } catch (NumberFormatException notLong) {
                try {
                    return AttributeValue.newBuilder().setDoubleValue(Double.parseDouble(value)).build();
                } catch (NumberFormatException notDouble) {
                    return AttributeValue.newBuilder().setStringValue(value).build();
                }
            }
        }
    }
}
