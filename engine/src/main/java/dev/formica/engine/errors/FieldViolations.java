package dev.formica.engine.errors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every field rule a request breaks, in the order of its fields: each one a text {@code "field: rule"} as the
 * validators write them. The first one is the status message (so the message names the first bad field, as it
 * always has); all of them become the {@code google.rpc.BadRequest} of the refusal (made in {@code server/}).
 *
 * <p>Collect with {@link #add(FieldViolations, String)}, which makes the collection only at the first violation,
 * so checking a valid request allocates nothing.
 *
 * <p>Thread contract: not thread-safe; made and read by the thread that checks one request.
 */
public final class FieldViolations {
    private static final String SEPARATOR = ": ";

    private final List<String> violations = new ArrayList<>(4);

    private FieldViolations() {
    }

    /** One violation. */
    public static FieldViolations of(String violation) {
        FieldViolations v = new FieldViolations();
        v.violations.add(violation);
        return v;
    }

    /**
     * {@code violations} with {@code violation} added; {@code null} violations stays {@code null} while
     * {@code violation} is {@code null} (no violation found).
     */
    public static FieldViolations add(FieldViolations violations, String violation) {
        if (violation == null) {
            return violations;
        }
        FieldViolations v = violations != null ? violations : new FieldViolations();
        v.violations.add(violation);
        return v;
    }

    /** Every violation text, {@code "field: rule"}, in field order. */
    public List<String> all() {
        return Collections.unmodifiableList(violations);
    }

    /** The first violation's text. */
    public String first() {
        return violations.get(0);
    }

    public int size() {
        return violations.size();
    }

    /**
     * The status message: the first violation, and when there are more, how many and their fields
     * ({@code "amount_minor: must be > 0 (minor units), was 0 (and 2 more: currency, ip)"}).
     */
    public String message() {
        if (violations.size() == 1) {
            return violations.get(0);
        }
        StringBuilder b = new StringBuilder(violations.get(0)).append(" (and ").append(violations.size() - 1)
                .append(" more: ");
        for (int i = 1; i < violations.size(); i++) {
            b.append(i > 1 ? ", " : "").append(field(violations.get(i)));
        }
        return b.append(')').toString();
    }

    /** The field of {@code "field: rule"} (field paths never hold ": "). */
    public static String field(String violation) {
        int at = violation.indexOf(SEPARATOR);
        return at < 0 ? "request" : violation.substring(0, at);
    }

    /** The rule of {@code "field: rule"}. */
    public static String rule(String violation) {
        int at = violation.indexOf(SEPARATOR);
        return at < 0 ? violation : violation.substring(at + SEPARATOR.length());
    }

    @Override
    public String toString() {
        return message();
    }
}
