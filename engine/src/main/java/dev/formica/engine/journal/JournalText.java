package dev.formica.engine.journal;

import com.google.gson.stream.JsonWriter;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Reason;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How journaled decisions are shown: one terminal line without ids ({@link #line}), and one JSON line with
 * everything ({@link #json}).
 *
 * <p>Thread contract: stateless, any thread.
 */
public final class JournalText {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private JournalText() {
    }

    /**
     * {@code time shard borrower-pseudonym outcome score grade rule-set reasons}: the borrower id, device id
     * and IP never appear, only a pseudonym of the borrower ({@link Journals#pseudonym}).
     */
    public static String line(JournalEntry e) {
        DecisionResponse r = e.response();
        String grade = r.getGradeValue() == 0 ? "-" : r.getGrade().name().replace("GRADE_", "");
        String reasons = r.getReasonsList().stream().map(Reason::getCode).collect(Collectors.joining(","));
        return Instant.ofEpochMilli(e.timeMs()) + " shard=" + e.shard() + " borrower=" + Journals.pseudonym(
                e.request().getBorrowerId()) + " " + r.getOutcome().name() + " score=" + r.getScore() + " grade="
                + grade + " rules=" + r.getRuleSetVersion() + " reasons=" + (reasons.isEmpty() ? "-" : reasons);
    }

    /**
     * {@code {"time_ms":..,"shard":..,"request":{..},"response":{..},"features":{..}}}, request and response
     * in the protobuf JSON mapping. Contains ids: a data file, not terminal output.
     */
    public static String json(JournalEntry e) {
        try {
            StringWriter out = new StringWriter(2048);
            JsonWriter w = new JsonWriter(out);
            w.beginObject();
            w.name("time_ms").value(e.timeMs());
            w.name("shard").value(e.shard());
            w.name("request").jsonValue(PRINTER.print(e.request()));
            w.name("response").jsonValue(PRINTER.print(e.response()));
            w.name("features").beginObject();
            for (Map.Entry<String, Object> f : e.features().entrySet()) {
                w.name(f.getKey());
                Object v = f.getValue();
                if (v instanceof Boolean b) {
                    w.value(b);
                } else if (v instanceof Double d) {
                    w.value(d.isNaN() || d.isInfinite() ? null : d);
                } else if (v instanceof Number n) {
                    w.value(n.longValue());
                } else {
                    w.value(String.valueOf(v));
                }
            }
            w.endObject();
            w.endObject();
            w.close();
            return out.toString();
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException(ex);
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
