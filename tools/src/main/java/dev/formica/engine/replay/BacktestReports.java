package dev.formica.engine.replay;

import dev.formica.v1.BacktestOutcomes;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.FlipCount;
import dev.formica.v1.FlippedDecision;
import dev.formica.v1.ReasonCount;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * A {@link BacktestReport} as text for the terminal and as one self-contained HTML page (inline CSS, no script,
 * nothing fetched). Neither shows an id: borrowers appear as pseudonyms.
 *
 * <p>Thread contract: stateless, any thread.
 */
public final class BacktestReports {
    private BacktestReports() {
    }

    public static String text(BacktestReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("backtest  candidate ").append(r.getCandidateVersion()).append(" against ")
                .append(String.join(", ", r.getJournaledVersionsList())).append('\n');
        sb.append("window    ").append(r.getDecisions()).append(" decisions, ").append(time(r.getFromMs()))
                .append(" .. ").append(time(r.getToMs())).append('\n');
        sb.append("fidelity  journaled rule sets replayed in the sandbox agree on ").append(r.getReplayAgreements())
                .append(" of ").append(r.getDecisions()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-22s %16s %16s%n", "", "before", "after"));
        row(sb, "approval rate", pct(r.getBefore().getApprovalRateBps()), pct(r.getAfter().getApprovalRateBps()));
        row(sb, "approved", Long.toString(r.getBefore().getApproved()), Long.toString(r.getAfter().getApproved()));
        row(sb, "declined", Long.toString(r.getBefore().getDeclined()), Long.toString(r.getAfter().getDeclined()));
        row(sb, "review", Long.toString(r.getBefore().getReviewed()), Long.toString(r.getAfter().getReviewed()));
        row(sb, "exposure approved", money(r.getBefore().getExposureApprovedMinor()),
                money(r.getAfter().getExposureApprovedMinor()));
        sb.append("flipped\n");
        if (r.getFlipsCount() == 0) {
            sb.append("  none\n");
        }
        for (FlipCount f : r.getFlipsList()) {
            sb.append(String.format(Locale.ROOT, "  %-20s %8d%n", f.getBefore() + " -> " + f.getAfter(), f.getCount()));
        }
        if (r.getExamplesCount() > 0) {
            sb.append("examples (borrower pseudonym, time, amount, before -> after, candidate's first reason)\n");
            for (FlippedDecision x : r.getExamplesList()) {
                sb.append("  ").append(x.getBorrowerPseudonym()).append(' ').append(time(x.getTimeMs())).append(' ')
                        .append(money(x.getAmountMinor())).append(' ').append(x.getBefore()).append(" -> ")
                        .append(x.getAfter()).append(' ')
                        .append(x.getAfterReason().isEmpty() ? "-" : x.getAfterReason())
                        .append('\n');
            }
        }
        sb.append("reasons (count before -> after)\n");
        reasons(r).forEach((code, c) -> sb.append(String.format(Locale.ROOT, "  %-28s %8d -> %8d%n", code, c[0],
                c[1])));
        return sb.toString();
    }

    public static String html(BacktestReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Backtest ")
                .append(esc(r.getCandidateVersion())).append("</title>\n<style>")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}"
                        + "th:first-child,td:first-child{text-align:left}")
                .append(".bar{display:inline-block;height:10px;background:#4a7bd0}.bar.after{background:#d08a4a}")
                .append(".up{color:#a33}.down{color:#373}</style></head><body>\n");
        sb.append("<h1>Backtest of ").append(esc(r.getCandidateVersion())).append("</h1>\n<p>")
                .append(r.getDecisions()).append(" journaled decisions, ").append(time(r.getFromMs())).append(" to ")
                .append(time(r.getToMs())).append(", decided at the time by ")
                .append(esc(String.join(", ", r.getJournaledVersionsList())))
                .append(". Replaying those rule sets in the sandbox reproduces ").append(r.getReplayAgreements())
                .append(" of them.</p>\n");
        BacktestOutcomes b = r.getBefore();
        BacktestOutcomes a = r.getAfter();
        sb.append("<h2>Outcomes</h2>\n<table><tr><th></th><th>before</th><th>after</th></tr>\n");
        htmlRow(sb, "approval rate", pct(b.getApprovalRateBps()), pct(a.getApprovalRateBps()));
        htmlRow(sb, "approved", Long.toString(b.getApproved()), Long.toString(a.getApproved()));
        htmlRow(sb, "declined", Long.toString(b.getDeclined()), Long.toString(a.getDeclined()));
        htmlRow(sb, "review", Long.toString(b.getReviewed()), Long.toString(a.getReviewed()));
        htmlRow(sb, "exposure approved", money(b.getExposureApprovedMinor()), money(a.getExposureApprovedMinor()));
        sb.append("</table>\n<h2>Flipped decisions</h2>\n<table><tr><th>before → after</th><th>count</th></tr>\n");
        for (FlipCount f : r.getFlipsList()) {
            sb.append("<tr><td>").append(f.getBefore()).append(" → ").append(f.getAfter()).append("</td><td>")
                    .append(f.getCount()).append("</td></tr>\n");
        }
        if (r.getFlipsCount() == 0) {
            sb.append("<tr><td>none</td><td>0</td></tr>\n");
        }
        sb.append("</table>\n");
        if (r.getExamplesCount() > 0) {
            sb.append("<table><tr><th>borrower (pseudonym)</th><th>time</th><th>amount</th><th>before → after</th>"
                    + "<th>candidate's first reason</th></tr>\n");
            for (FlippedDecision x : r.getExamplesList()) {
                sb.append("<tr><td><code>").append(esc(x.getBorrowerPseudonym())).append("</code></td><td>")
                        .append(time(x.getTimeMs())).append("</td><td>").append(money(x.getAmountMinor()))
                        .append("</td><td>").append(x.getBefore()).append(" → ").append(x.getAfter())
                        .append("</td><td>")
                        .append(esc(x.getAfterReason())).append("</td></tr>\n");
            }
            sb.append("</table>\n");
        }
        sb.append("<h2>Reason codes</h2>\n<table><tr><th>code</th><th>before</th><th>after</th><th></th></tr>\n");
        Map<String, long[]> reasons = reasons(r);
        long max = 1;
        for (long[] c : reasons.values()) {
            max = Math.max(max, Math.max(c[0], c[1]));
        }
        for (Map.Entry<String, long[]> e : reasons.entrySet()) {
            long[] c = e.getValue();
            String cls = c[1] > c[0] ? "up" : c[1] < c[0] ? "down" : "";
            sb.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(c[0]).append("</td><td class=\"")
                    .append(cls).append("\">").append(c[1]).append("</td><td style=\"text-align:left\">")
                    .append("<span class=\"bar\" style=\"width:").append(c[0] * 200 / max).append("px\"></span><br>")
                    .append("<span class=\"bar after\" style=\"width:").append(c[1] * 200 / max)
                    .append("px\"></span></td></tr>\n");
        }
        sb.append("</table>\n<p>Blue: before; orange: after. Generated by <code>formica backtest</code>.</p>\n"
                + "</body></html>\n");
        return sb.toString();
    }

    /** code → {before, after}, most frequent first. */
    private static Map<String, long[]> reasons(BacktestReport r) {
        Map<String, long[]> m = new LinkedHashMap<>();
        TreeSet<String> codes = new TreeSet<>();
        r.getBefore().getReasonsList().forEach(c -> codes.add(c.getCode()));
        r.getAfter().getReasonsList().forEach(c -> codes.add(c.getCode()));
        for (String code : codes) {
            m.put(code, new long[2]);
        }
        for (ReasonCount c : r.getBefore().getReasonsList()) {
            m.get(c.getCode())[0] = c.getCount();
        }
        for (ReasonCount c : r.getAfter().getReasonsList()) {
            m.get(c.getCode())[1] = c.getCount();
        }
        Map<String, long[]> sorted = new LinkedHashMap<>();
        m.entrySet().stream().sorted((x, y) -> Long.compare(Math.max(y.getValue()[0], y.getValue()[1]),
                Math.max(x.getValue()[0], x.getValue()[1]))).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static void row(StringBuilder sb, String name, String before, String after) {
        sb.append(String.format(Locale.ROOT, "%-22s %16s %16s%n", name, before, after));
    }

    private static void htmlRow(StringBuilder sb, String name, String before, String after) {
        sb.append("<tr><td>").append(name).append("</td><td>").append(before).append("</td><td>").append(after)
                .append("</td></tr>\n");
    }

    static String pct(int bps) {
        return String.format(Locale.ROOT, "%d.%02d %%", bps / 100, bps % 100);
    }

    /** Minor units as major.minor with thousands separators (2 decimals). */
    public static String money(long minor) {
        String sign = minor < 0 ? "-" : "";
        long abs = Math.abs(minor);
        return sign + String.format(Locale.ROOT, "%,d.%02d", abs / 100, abs % 100);
    }

    static String time(long ms) {
        return Instant.ofEpochMilli(ms).toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
