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
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
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
 * anything else a string). RFC 4180 quoting: a cell in double quotes may hold commas, line breaks and
 * doubled quotes ({@code "said ""hi"""}); spaces around a cell are ignored. Errors, local and from the
 * server, are listed by file line. JSONL: one {@code Profile} per line in
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
        List<RowProblem> problems = new ArrayList<>();
        long start = System.nanoTime();
        LoadSummary summary;
        long unreadable;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                FormicaClient client = FormicaClient.builder().target(target)
                        .streamDeadline(Duration.ofHours(1)).build()) {
            ProfileRows rows = new ProfileRows(reader, jsonl, problems, total, err);
            summary = client.loadProfiles(rows);
            rows.finishProgress();
            unreadable = problems.size();
            long elapsedMs = Math.max(1, (System.nanoTime() - start) / 1_000_000);
            out.printf("loaded %,d profiles (%,d created, %,d updated), rejected %,d by the server and %,d unreadable,"
                            + " in %,d ms (%,.0f/s)%n", summary.getLoaded(), summary.getCreated(), summary.getUpdated(),
                    summary.getRejected(), unreadable, elapsedMs, summary.getReceived() * 1000.0 / elapsedMs);
            for (RowError e : summary.getErrorsList()) {
                problems.add(new RowProblem(rows.fileLineOf(e.getRow()), e.getField() + ": " + e.getReason()));
            }
        }
        // the rows the engine refused and the ones never sent, in one list in the order of the file
        problems.sort(Comparator.comparingLong(RowProblem::line));
        for (RowProblem p : problems) {
            out.println("  line " + p.line() + ": " + p.reason());
        }
        return summary.getRejected() + unreadable == 0 ? 0 : 3;
    }

    /** A row that was not loaded: its first line in the file and why. */
    record RowProblem(long line, String reason) {
    }

    /**
     * Streams rows as profiles; unreadable rows are skipped and reported by line number. CSV is read as RFC 4180
     * by Apache Commons CSV: a cell in double quotes may hold commas, line breaks and doubled quotes.
     */
    static final class ProfileRows implements Iterator<Profile> {
        /** Blank lines come through as one-empty-cell records, so the file line of each record stays known. */
        private static final CSVFormat CSV = CSVFormat.RFC4180.builder()
                .setIgnoreEmptyLines(false)
                .setIgnoreSurroundingSpaces(true)
                .get();

        private final BufferedReader reader;
        private final Iterator<CSVRecord> records;
        private final CSVParser parser;
        private final boolean jsonl;
        private final List<RowProblem> errors;
        private final long total;
        private final PrintStream progress;
        private final List<Long> sentLines = new ArrayList<>();
        private String[] header;
        /** Last file line read so far; the next record starts on the line after it. */
        private long line;
        private long nextLine;
        private Profile next;
        /** The input ended. */
        private boolean atEnd;
        /** An unterminated quoted cell made the rest unreadable. */
        private boolean broken;
        private long sent;
        private long lastDrawNanos;

        ProfileRows(BufferedReader reader, boolean jsonl, List<RowProblem> errors, long total, PrintStream progress)
                throws IOException {
            this.reader = reader;
            this.jsonl = jsonl;
            this.parser = jsonl ? null : CSVParser.builder().setReader(reader).setFormat(CSV).get();
            this.records = jsonl ? null : parser.iterator();
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
                if (broken) {
                    return false;
                }
                long first = line + 1;
                try {
                    next = jsonl ? nextJson() : nextCsv();
                } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
                    errors.add(new RowProblem(first, e.getMessage()));
                    continue;
                } catch (UncheckedIOException e) {
                    // an unterminated quoted cell runs to the end of the file: nothing after it can be read
                    errors.add(new RowProblem(first, "unreadable CSV, nothing loaded from here on: "
                            + e.getCause().getMessage()));
                    broken = true;
                    return false;
                }
                if (next == null && atEnd) {
                    return false;
                }
                nextLine = first;
            }
            return true;
        }

        /** The next profile, or null for a blank or header line or at the end ({@link #atEnd}). */
        private Profile nextJson() throws InvalidProtocolBufferException {
            String text;
            try {
                text = reader.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (text == null) {
                atEnd = true;
                return null;
            }
            line++;
            return text.isBlank() ? null : fromJson(text);
        }

        private Profile nextCsv() {
            if (!records.hasNext()) {
                atEnd = true;
                return null;
            }
            CSVRecord record = records.next();
            // the parser has read through the record's last line break (or to the end of the file)
            line = Math.max(line + 1, parser.getCurrentLineNumber());
            if (record.size() == 1 && record.get(0).isEmpty()) {
                return null;
            }
            return fromCsv(record);
        }

        @Override
        public Profile next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Profile p = next;
            next = null;
            sent++;
            sentLines.add(nextLine);
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

        private Profile fromCsv(CSVRecord record) {
            if (header == null) {
                header = record.values();
                for (int i = 0; i < header.length; i++) {
                    header[i] = header[i].trim();
                }
                if (!List.of(header).contains("borrower_id")) {
                    throw new IllegalArgumentException("the header must name a borrower_id column");
                }
                return null;
            }
            if (record.size() != header.length) {
                throw new IllegalArgumentException(record.size() + " cells, header has " + header.length);
            }
            Profile.Builder p = Profile.newBuilder();
            for (int i = 0; i < header.length; i++) {
                String name = header[i];
                String value = record.get(i);
                if (value.isEmpty()) {
                    continue;
                }
                switch (name) {
                    case "borrower_id" -> p.setBorrowerId(value);
                    case "region" -> p.setRegion(value);
                    case "group_id" -> p.setGroupId(value);
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
