package dev.formica.loadtest;

import dev.formica.v1.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * The plain-text summary: runs side by side in columns (counts, throughput, statuses, outcomes,
 * corrected latency and service time percentiles in milliseconds), plus a find-max step table.
 * Stateless.
 */
public final class SummaryText {
    /** Percentiles reported everywhere; 100 means the maximum. */
    public static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};
    private static final String[] PERCENTILE_NAMES = {"p50", "p90", "p99", "p99.9", "max"};

    private SummaryText() {
    }

    /** The runs side by side. */
    public static String table(List<RunResult> runs) {
        List<String[]> rows = new ArrayList<>();
        rows.add(row("", runs, RunResult::name));
        rows.add(row("rpc", runs, RunResult::rpc));
        rows.add(row("sent", runs, r -> Long.toString(r.sent())));
        rows.add(row("completed", runs, r -> Long.toString(r.completed())));
        rows.add(row("backlogged", runs, r -> Long.toString(r.backlogged())));
        rows.add(row("dropped", runs, r -> Long.toString(r.dropped())));
        rows.add(row("unfinished", runs, r -> Long.toString(r.unfinished())));
        rows.add(row("sent >1ms late", runs, r -> Long.toString(r.lateSends())));
        rows.add(row("offered/s", runs, r -> fmt(r.offeredRate(), 1)));
        rows.add(row("throughput/s", runs, r -> fmt(r.throughput(), 1)));
        rows.add(row("error share", runs, r -> fmt(r.errorShare() * 100, 3) + "%"));
        if (runs.stream().anyMatch(r -> !Double.isNaN(r.clientCpuMicros()))) {
            rows.add(row("client CPU us/req", runs, r -> cpu(r.clientCpuMicros())));
        }
        if (runs.stream().anyMatch(r -> !Double.isNaN(r.serverCpuMicros()))) {
            rows.add(row("server CPU us/req", runs, r -> cpu(r.serverCpuMicros())));
        }
        Set<String> statuses = new LinkedHashSet<>();
        runs.forEach(r -> statuses.addAll(r.statusCounts().keySet()));
        for (String s : statuses) {
            rows.add(row("  " + s, runs, r -> Long.toString(r.statusCounts().getOrDefault(s, 0L))));
        }
        Set<String> kinds = new LinkedHashSet<>();
        runs.forEach(r -> kinds.addAll(r.errorKinds().keySet()));
        for (String k : kinds) {
            // what the errors were: the status with the server's ErrorInfo reason, when it gave one
            rows.add(row("  error " + k, runs, r -> Long.toString(r.errorKinds().getOrDefault(k, 0L))));
        }
        for (Outcome o : new Outcome[] {Outcome.APPROVE, Outcome.DECLINE, Outcome.REVIEW}) {
            rows.add(row("  " + o.name(), runs, r -> Long.toString(r.outcome(o))));
        }
        Set<String> followUps = new LinkedHashSet<>();
        runs.forEach(r -> followUps.addAll(r.followUps().keySet()));
        for (String f : followUps) {
            rows.add(row("  " + f, runs, r -> Long.toString(r.followUps().getOrDefault(f, 0L))));
        }
        for (int i = 0; i < PERCENTILES.length; i++) {
            double p = PERCENTILES[i];
            rows.add(row("corrected " + PERCENTILE_NAMES[i] + " ms", runs, r -> ms(r.corrected(), p)));
        }
        for (int i = 0; i < PERCENTILES.length; i++) {
            double p = PERCENTILES[i];
            rows.add(row("service " + PERCENTILE_NAMES[i] + " ms", runs, r -> ms(r.service(), p)));
        }
        if (runs.stream().anyMatch(r -> r.shed() != null && r.shed().getTotalCount() > 0)) {
            // under overload: the requests that got in, and how fast the others were turned away
            for (String p : new String[] {"p50", "p99", "max"}) {
                double q = p.equals("max") ? 100 : Double.parseDouble(p.substring(1));
                rows.add(row("admitted " + p + " ms", runs, r -> r.admitted() == null ? "-" : ms(r.admitted(), q)));
                rows.add(row("shed " + p + " ms", runs, r -> r.shed() == null ? "-" : ms(r.shed(), q)));
            }
        }
        return render(rows);
    }

    /**
     * The steps of a find-max search and what ended it: a failing step (saturated) or the budget.
     *
     * @param startOption the option that set the search's start rate, named when the first step failed
     */
    public static String findMax(String rpc, FindMaxSearch.Outcome outcome, String startOption) {
        StringBuilder b = new StringBuilder();
        b.append("find-max ").append(rpc).append(":\n");
        b.append(String.format(Locale.ROOT, "  %-5s %12s %12s %12s %10s %17s  %s%n", "step", "offered/s",
                "achieved/s", "p99 ms", "errors", "CPU us/req cl/srv", "verdict"));
        int i = 0;
        for (FindMaxSearch.Step s : outcome.steps()) {
            RunResult r = s.result();
            b.append(String.format(Locale.ROOT, "  %-5d %12.1f %12.1f %12s %9.3f%% %17s  %s%n", i++, s.rate(),
                    r.throughput(), ms(r.corrected(), 99), r.errorShare() * 100,
                    cpu(r.clientCpuMicros()) + "/" + cpu(r.serverCpuMicros()),
                    (s.passed() ? "pass: " : "FAIL: ") + s.verdict()));
        }
        if (outcome.lastPassing() == null) {
            b.append("  saturation throughput: none (the first step already failed; lower ").append(startOption)
                    .append(")\n");
        } else {
            List<FindMaxSearch.Step> steps = outcome.steps();
            b.append(String.format(Locale.ROOT, "  saturation throughput: %.1f/s (offered %.1f/s); ended by %s%n",
                    outcome.saturationThroughput(), outcome.lastPassing().rate(), outcome.saturated()
                            ? String.format(Locale.ROOT, "saturation (%.1f/s offered failed)",
                                    steps.get(steps.size() - 1).rate())
                            : "its budget -- NOT saturated: the --duration budget ran out first"));
        }
        return b.toString();
    }

    /** Appends a warning for each run whose timetable slipped or whose requests waited for --max-in-flight. */
    static void warnings(List<RunResult> runs, StringBuilder summary) {
        for (RunResult r : runs) {
            if (r.sent() > 0 && r.lateSends() > r.sent() / 100) {
                summary.append(String.format(Locale.ROOT, "warning: %s: %d sends were >1 ms late: the generator or "
                        + "the box could not keep the timetable; corrected latency includes it%n", r.name(),
                        r.lateSends()));
            }
            if (r.backlogged() > 0) {
                summary.append(String.format(Locale.ROOT, "warning: %s: %d requests waited for --max-in-flight%n",
                        r.name(), r.backlogged()));
            }
        }
    }

    /** Value at {@code percentile} (100 = max) in milliseconds, or "-" for an empty histogram. */
    static String ms(Histogram h, double percentile) {
        if (h.getTotalCount() == 0) {
            return "-";
        }
        long v = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
        return fmt(v / 1e6, 3);
    }

    private static String cpu(double micros) {
        return Double.isNaN(micros) ? "-" : fmt(micros, 1);
    }

    static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String[] row(String label, List<RunResult> runs, Function<RunResult, String> cell) {
        String[] row = new String[runs.size() + 1];
        row[0] = label;
        for (int i = 0; i < runs.size(); i++) {
            row[i + 1] = cell.apply(runs.get(i));
        }
        return row;
    }

    private static String render(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            b.append(String.format("%-" + width[0] + "s", r[0]));
            for (int c = 1; c < columns; c++) {
                b.append("  ").append(String.format("%" + width[c] + "s", r[c]));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
