package dev.formica.engine.scorecard;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Reads dense ARFF files (the Weka "Attribute-Relation File Format"): {@code @relation}, {@code @attribute}
 * lines of type {@code numeric} / {@code real} / {@code integer}, {@code string} or a nominal
 * {@code {v1, v2, ...}} list, then {@code @data} rows of comma-separated values. Keywords are case-insensitive;
 * names and values may be quoted with {@code '} or {@code "} (backslash escapes inside quotes); {@code ?}
 * unquoted is a missing value; {@code %} outside quotes starts a comment to the end of the line. Sparse rows,
 * {@code date} and {@code relational} attributes and instance weights are refused with a message, not guessed.
 * A file whose name ends in {@code .gz} is decompressed.
 *
 * <p>Written here rather than taken from a library: the one widely used Java reader is Weka's (GPL), and the
 * format is small. Thread contract: stateless; every call reads one file on the calling thread.
 */
public final class ArffReader {
    /** A file that is not valid ARFF as this reader understands it; the message names the line. */
    public static final class ArffFormatException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ArffFormatException(int line, String message) {
            super("line " + line + ": " + message);
        }
    }

    private ArffReader() {
    }

    /** Reads a file, decompressing it when its name ends in {@code .gz}. */
    public static ArffData read(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(".gz")) {
            try (Reader reader = new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)),
                    StandardCharsets.UTF_8)) {
                return read(reader);
            }
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(reader);
        }
    }

    /** Reads ARFF text. */
    public static ArffData read(Reader source) throws IOException {
        BufferedReader in = source instanceof BufferedReader b ? b : new BufferedReader(source);
        String relation = null;
        List<ArffData.Attribute> attributes = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        List<Integer> rowLines = new ArrayList<>();
        boolean inData = false;
        int lineNo = 0;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            lineNo++;
            List<Token> tokens = tokenize(line, lineNo);
            if (tokens.isEmpty()) {
                continue;
            }
            if (inData) {
                rows.add(dataRow(tokens, attributes.size(), lineNo));
                rowLines.add(lineNo);
                continue;
            }
            Token first = tokens.get(0);
            String keyword = first.quoted ? "" : first.text.toLowerCase(Locale.ROOT);
            switch (keyword) {
                case "@relation" -> {
                    if (tokens.size() < 2) {
                        throw new ArffFormatException(lineNo, "@relation needs a name");
                    }
                    relation = tokens.get(1).text;
                }
                case "@attribute" -> attributes.add(attribute(tokens, lineNo, attributes));
                case "@data" -> {
                    if (attributes.isEmpty()) {
                        throw new ArffFormatException(lineNo, "@data before any @attribute");
                    }
                    inData = true;
                }
                default -> throw new ArffFormatException(lineNo,
                        "expected @relation, @attribute or @data, found '" + first.text + "'");
            }
        }
        if (!inData) {
            throw new ArffFormatException(lineNo, "no @data section");
        }
        return columns(relation == null ? "" : relation, attributes, rows, rowLines);
    }

    private static ArffData.Attribute attribute(List<Token> tokens, int lineNo, List<ArffData.Attribute> known) {
        if (tokens.size() < 3) {
            throw new ArffFormatException(lineNo, "@attribute needs a name and a type");
        }
        Token nameToken = tokens.get(1);
        if (nameToken.kind != TokenKind.VALUE) {
            throw new ArffFormatException(lineNo, "@attribute needs a name");
        }
        String name = nameToken.text;
        for (ArffData.Attribute a : known) {
            if (a.name().equals(name)) {
                throw new ArffFormatException(lineNo, "attribute '" + name + "' declared twice");
            }
        }
        Token type = tokens.get(2);
        if (type.kind == TokenKind.OPEN) {
            return new ArffData.Attribute(name, ArffData.Kind.NOMINAL, nominalValues(tokens, lineNo, name));
        }
        String t = type.text.toLowerCase(Locale.ROOT);
        return switch (t) {
            case "numeric", "real", "integer" -> new ArffData.Attribute(name, ArffData.Kind.NUMERIC, List.of());
            case "string" -> new ArffData.Attribute(name, ArffData.Kind.STRING, List.of());
            default -> throw new ArffFormatException(lineNo, "attribute '" + name + "' has type '" + type.text
                    + "', which is not supported (numeric, real, integer, string or {nominal values})");
        };
    }

    private static List<String> nominalValues(List<Token> tokens, int lineNo, String name) {
        List<String> values = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        boolean expectValue = true;
        for (int i = 3; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.kind == TokenKind.CLOSE) {
                if (i != tokens.size() - 1) {
                    throw new ArffFormatException(lineNo, "text after the value list of '" + name + "'");
                }
                if (values.isEmpty() || expectValue) {
                    throw new ArffFormatException(lineNo, "empty value in the value list of '" + name + "'");
                }
                return values;
            }
            if (expectValue != (t.kind == TokenKind.VALUE)) {
                throw new ArffFormatException(lineNo, "malformed value list of '" + name + "'");
            }
            if (t.kind == TokenKind.VALUE && !seen.add(t.text)) {
                throw new ArffFormatException(lineNo, "value '" + t.text + "' listed twice for '" + name + "'");
            }
            if (t.kind == TokenKind.VALUE) {
                values.add(t.text);
            }
            expectValue = !expectValue;
        }
        throw new ArffFormatException(lineNo, "value list of '" + name + "' is not closed with }");
    }

    /** One data row as raw strings; {@code null} for a missing value. */
    private static String[] dataRow(List<Token> tokens, int width, int lineNo) {
        if (tokens.get(0).kind == TokenKind.OPEN) {
            throw new ArffFormatException(lineNo, "sparse ARFF rows are not supported");
        }
        String[] row = new String[width];
        int column = 0;
        boolean expectValue = true;
        for (Token t : tokens) {
            if (expectValue) {
                if (t.kind != TokenKind.VALUE) {
                    throw new ArffFormatException(lineNo, "empty value in column " + (column + 1)
                            + (t.kind == TokenKind.OPEN ? " (instance weights are not supported)" : ""));
                }
                if (column >= width) {
                    throw new ArffFormatException(lineNo, "more than the " + width + " declared values");
                }
                row[column++] = !t.quoted && t.text.equals("?") ? null : t.text;
            } else if (t.kind != TokenKind.COMMA) {
                throw new ArffFormatException(lineNo, "expected a comma after column " + column);
            }
            expectValue = !expectValue;
        }
        if (expectValue) {
            throw new ArffFormatException(lineNo, "the row ends with a comma");
        }
        if (column != width) {
            throw new ArffFormatException(lineNo, column + " values where " + width + " are declared");
        }
        return row;
    }

    private static ArffData columns(String relation, List<ArffData.Attribute> attributes, List<String[]> rows,
            List<Integer> rowLines) {
        int n = rows.size();
        double[][] numbers = new double[attributes.size()][];
        String[][] labels = new String[attributes.size()][];
        for (int a = 0; a < attributes.size(); a++) {
            ArffData.Attribute attribute = attributes.get(a);
            if (attribute.kind() == ArffData.Kind.NUMERIC) {
                double[] column = new double[n];
                for (int r = 0; r < n; r++) {
                    String raw = rows.get(r)[a];
                    column[r] = raw == null ? Double.NaN : number(raw, attribute.name(), rowLines.get(r));
                }
                numbers[a] = column;
            } else {
                Set<String> allowed = attribute.kind() == ArffData.Kind.NOMINAL
                        ? new HashSet<>(attribute.nominalValues()) : null;
                String[] column = new String[n];
                for (int r = 0; r < n; r++) {
                    String raw = rows.get(r)[a];
                    if (raw != null && allowed != null && !allowed.contains(raw)) {
                        throw new ArffFormatException(rowLines.get(r), "'" + raw + "' is not a declared value of '"
                                + attribute.name() + "' " + attribute.nominalValues());
                    }
                    column[r] = raw;
                }
                labels[a] = column;
            }
        }
        return new ArffData(relation, attributes, numbers, labels, n);
    }

    private static double number(String raw, String attribute, int lineNo) {
        try {
            double v = Double.parseDouble(raw);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ArffFormatException(lineNo, "'" + raw + "' is not a number (attribute '" + attribute + "')");
        }
    }

    private enum TokenKind {
        VALUE,
        COMMA,
        OPEN,
        CLOSE
    }

    private record Token(TokenKind kind, String text, boolean quoted) {
    }

    /** Splits one line into values (quoted or bare), commas and braces; drops a {@code %} comment. */
    static List<Token> tokenize(String line, int lineNo) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '%') {
                break;
            } else if (c == ',') {
                tokens.add(new Token(TokenKind.COMMA, ",", false));
                i++;
            } else if (c == '{') {
                tokens.add(new Token(TokenKind.OPEN, "{", false));
                i++;
            } else if (c == '}') {
                tokens.add(new Token(TokenKind.CLOSE, "}", false));
                i++;
            } else if (c == '\'' || c == '"') {
                StringBuilder text = new StringBuilder();
                int j = i + 1;
                boolean closed = false;
                while (j < n) {
                    char d = line.charAt(j);
                    if (d == '\\' && j + 1 < n) {
                        text.append(unescape(line.charAt(j + 1)));
                        j += 2;
                    } else if (d == c) {
                        closed = true;
                        j++;
                        break;
                    } else {
                        text.append(d);
                        j++;
                    }
                }
                if (!closed) {
                    throw new ArffFormatException(lineNo, "unterminated quote " + c);
                }
                tokens.add(new Token(TokenKind.VALUE, text.toString(), true));
                i = j;
            } else {
                int j = i;
                while (j < n && !isDelimiter(line.charAt(j))) {
                    j++;
                }
                tokens.add(new Token(TokenKind.VALUE, line.substring(i, j), false));
                i = j;
            }
        }
        return tokens;
    }

    private static boolean isDelimiter(char c) {
        return Character.isWhitespace(c) || c == ',' || c == '{' || c == '}' || c == '%' || c == '\'' || c == '"';
    }

    private static char unescape(char c) {
        return switch (c) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            default -> c;
        };
    }
}
