package dev.formica.loadtest;

import dev.formica.v1.Product;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a transaction trace: CSV ({@code ts_ms,borrower_id,product,amount_minor,device_id,merchant_id},
 * header optional) or JSON Lines (one flat object per line with those keys). Blank lines and lines
 * starting with {@code #} are skipped. The first bad line stops the read with its line number.
 * Records come back sorted by time (stable), ready to replay.
 *
 * <p>Stateless; static methods are thread-safe.
 */
public final class TraceReader {
    private static final String[] COLUMNS = {"ts_ms", "borrower_id", "product", "amount_minor", "device_id",
        "merchant_id"};

    private TraceReader() {
    }

    /** Reads {@code file}; JSON Lines when its name ends in .jsonl/.json or its first record starts with '{'. */
    public static List<TraceRecord> read(Path file) throws IOException, TraceFormatException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.getFileName().toString());
        }
    }

    /** Reads a trace from {@code in}; {@code source} names it in error messages. */
    public static List<TraceRecord> read(BufferedReader in, String source) throws IOException, TraceFormatException {
        List<TraceRecord> records = new ArrayList<>();
        String line;
        long lineNumber = 0;
        boolean first = true;
        while ((line = in.readLine()) != null) {
            lineNumber++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            if (trimmed.startsWith("{")) {
                records.add(fromFields(parseJsonObject(trimmed, source, lineNumber), source, lineNumber));
            } else if (first && trimmed.toLowerCase(Locale.ROOT).startsWith("ts_ms")) {
                checkHeader(trimmed, source, lineNumber);
            } else {
                records.add(fromFields(parseCsv(trimmed, source, lineNumber), source, lineNumber));
            }
            first = false;
        }
        records.sort(Comparator.comparingLong(TraceRecord::tsMs));
        return records;
    }

    /** The replay timetable of {@code records} (sorted by time), {@code speedup} times faster than recorded. */
    public static Schedule schedule(List<TraceRecord> records, double speedup) {
        if (!(speedup > 0)) {
            throw new IllegalArgumentException("speedup: must be > 0, was " + speedup);
        }
        long[] offsets = new long[records.size()];
        long t0 = records.isEmpty() ? 0 : records.get(0).tsMs();
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = Math.round((records.get(i).tsMs() - t0) * 1_000_000.0 / speedup);
        }
        return index -> index < offsets.length ? offsets[(int) index] : Schedule.END;
    }

    private static void checkHeader(String line, String source, long lineNumber) throws TraceFormatException {
        String[] names = line.split(",", -1);
        for (int i = 0; i < COLUMNS.length; i++) {
            if (i >= names.length || !names[i].strip().equalsIgnoreCase(COLUMNS[i])) {
                throw new TraceFormatException(source, lineNumber, "header: expected " + String.join(",", COLUMNS));
            }
        }
    }

    private static Map<String, String> parseCsv(String line, String source, long lineNumber)
            throws TraceFormatException {
        String[] cells = line.split(",", -1);
        if (cells.length != COLUMNS.length) {
            throw new TraceFormatException(source, lineNumber, "expected " + COLUMNS.length + " comma-separated "
                    + "fields ("
                    + String.join(",", COLUMNS) + "), found " + cells.length);
        }
        Map<String, String> fields = new HashMap<>();
        for (int i = 0; i < cells.length; i++) {
            fields.put(COLUMNS[i], cells[i].strip());
        }
        return fields;
    }

    private static TraceRecord fromFields(Map<String, String> f, String source, long lineNumber)
            throws TraceFormatException {
        long ts = parseLong(f, "ts_ms", source, lineNumber);
        if (ts < 0) {
            throw new TraceFormatException(source, lineNumber, "ts_ms: must be >= 0");
        }
        String borrower = f.getOrDefault("borrower_id", "");
        if (borrower.isEmpty()) {
            throw new TraceFormatException(source, lineNumber, "borrower_id: required");
        }
        long amount = parseLong(f, "amount_minor", source, lineNumber);
        if (amount <= 0) {
            throw new TraceFormatException(source, lineNumber, "amount_minor: must be > 0, was " + amount);
        }
        return new TraceRecord(ts, borrower, parseProduct(f.getOrDefault("product", ""), source, lineNumber), amount,
                f.getOrDefault("device_id", ""), f.getOrDefault("merchant_id", ""));
    }

    private static long parseLong(Map<String, String> f, String name, String source, long lineNumber)
            throws TraceFormatException {
        String value = f.get(name);
        if (value == null || value.isEmpty()) {
            throw new TraceFormatException(source, lineNumber, name + ": required");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new TraceFormatException(source, lineNumber, name + ": not a whole number: '" + value + "'");
        }
    }

    private static Product parseProduct(String value, String source, long lineNumber) throws TraceFormatException {
        String v = value.toUpperCase(Locale.ROOT);
        try {
            Product p = v.chars().allMatch(Character::isDigit) && !v.isEmpty()
                    ? Product.forNumber(Integer.parseInt(v)) : Product.valueOf(v);
            if (p != null && p != Product.PRODUCT_UNSPECIFIED && p != Product.UNRECOGNIZED) {
                return p;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new TraceFormatException(source, lineNumber,
                "product: expected CONSUMER_CREDIT, CASH_LOAN or BUSINESS_LOAN, was '" + value + "'");
    }

    /** A flat JSON object of strings, numbers, booleans and nulls, values kept as text. */
    private static Map<String, String> parseJsonObject(String s, String source, long lineNumber)
            throws TraceFormatException {
        Map<String, String> out = new HashMap<>();
        int[] pos = {1};
        skipSpace(s, pos);
        if (peek(s, pos) == '}') {
            pos[0]++;
            return endOfObject(s, pos, out, source, lineNumber);
        }
        while (true) {
            skipSpace(s, pos);
            if (peek(s, pos) != '"') {
                throw jsonError(s, pos, "expected a quoted key", source, lineNumber);
            }
            String key = readString(s, pos, source, lineNumber);
            skipSpace(s, pos);
            if (peek(s, pos) != ':') {
                throw jsonError(s, pos, "expected ':'", source, lineNumber);
            }
            pos[0]++;
            skipSpace(s, pos);
            String value;
            if (peek(s, pos) == '"') {
                value = readString(s, pos, source, lineNumber);
            } else {
                int start = pos[0];
                while (pos[0] < s.length() && ",} \t".indexOf(s.charAt(pos[0])) < 0) {
                    pos[0]++;
                }
                value = s.substring(start, pos[0]);
                if (value.isEmpty() || value.equals("{") || value.startsWith("[")) {
                    throw jsonError(s, pos, "expected a string, number, boolean or null for '" + key + "'", source,
                            lineNumber);
                }
                if (value.equals("null")) {
                    value = "";
                }
            }
            out.put(key, value);
            skipSpace(s, pos);
            char c = peek(s, pos);
            pos[0]++;
            if (c == '}') {
                return endOfObject(s, pos, out, source, lineNumber);
            }
            if (c != ',') {
                throw jsonError(s, pos, "expected ',' or '}'", source, lineNumber);
            }
        }
    }

    private static Map<String, String> endOfObject(String s, int[] pos, Map<String, String> out, String source,
            long lineNumber) throws TraceFormatException {
        skipSpace(s, pos);
        if (pos[0] != s.length()) {
            throw jsonError(s, pos, "text after the object", source, lineNumber);
        }
        return out;
    }

    private static String readString(String s, int[] pos, String source, long lineNumber)
            throws TraceFormatException {
        StringBuilder b = new StringBuilder();
        pos[0]++;
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]++);
            if (c == '"') {
                return b.toString();
            }
            if (c == '\\') {
                if (pos[0] >= s.length()) {
                    break;
                }
                char e = s.charAt(pos[0]++);
                switch (e) {
                    case 'n':
                        b.append('\n');
                        break;
                    case 't':
                        b.append('\t');
                        break;
                    case 'u':
                        if (pos[0] + 4 > s.length()) {
                            throw jsonError(s, pos, "bad \\u escape", source, lineNumber);
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(pos[0], pos[0] + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw jsonError(s, pos, "bad \\u escape", source, lineNumber);
                        }
                        pos[0] += 4;
                        break;
                    default:
                        b.append(e);
                        break;
                }
            } else {
                b.append(c);
            }
        }
        throw jsonError(s, pos, "unterminated string", source, lineNumber);
    }

    private static char peek(String s, int[] pos) {
        return pos[0] < s.length() ? s.charAt(pos[0]) : '\0';
    }

    private static void skipSpace(String s, int[] pos) {
        while (pos[0] < s.length() && Character.isWhitespace(s.charAt(pos[0]))) {
            pos[0]++;
        }
    }

    private static TraceFormatException jsonError(String s, int[] pos, String what, String source, long lineNumber) {
        return new TraceFormatException(source, lineNumber, "JSON column " + Math.min(pos[0] + 1, s.length()) + ": "
                + what);
    }
}
