package dev.formica.loadtest;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decide / Echo from one run of {@code --target-rpc both}: the order of the two runs, where Echo's find-max starts,
 * and what the ratio of the two saturations may claim. Stateless.
 *
 * <p>With {@code --find-max} Decide is searched first. A search's last steps overload the server (Echo's reach tens
 * of thousands of calls a second with p99 over a second) and leave it worse for a search that follows: Echo's spoiled
 * the Decide search after it (2026-12-07, "what holds Decide with G1", section 5). Run last, they spoil nothing.
 * Echo's search then starts where Decide's last passing step was: an Echo is a subset of a Decide's work, so it
 * passes there, and from there it reaches its own saturation within the budget where from Decide's start rate it ran
 * out of steps first.
 *
 * <p>A search that saturated ended on a failing step, so its RPC's capacity lies between its last passing step and
 * the next (one step factor); a search whose budget ran out only says its RPC can do at least its last passing step.
 * So the ratio is "=" (to within a step factor either way) only when both saturated; Echo unsaturated makes it an
 * upper bound, Decide unsaturated a lower bound, and both unsaturated no bound at all.
 */
final class DecideEchoRatio {
    /** What a ratio of two last passing steps may claim about Decide / Echo. */
    enum Bound {
        /** Both searches saturated. */
        EQUAL("="),
        /** Echo did not saturate: it can do more, so Decide / Echo is at most the figure. */
        AT_MOST("<="),
        /** Decide did not saturate: it can do more, so Decide / Echo is at least the figure. */
        AT_LEAST(">="),
        /** Neither saturated: the figure bounds nothing. */
        NONE("?");

        private final String symbol;

        Bound(String symbol) {
            this.symbol = symbol;
        }

        String symbol() {
            return symbol;
        }
    }

    private DecideEchoRatio() {
    }

    /** The order of the runs of {@code --target-rpc both}: Decide first for find-max unless {@code echoFirst}. */
    static List<GrpcLoadTarget.Rpc> order(boolean findMax, boolean echoFirst) {
        return findMax && !echoFirst ? List.of(GrpcLoadTarget.Rpc.DECIDE, GrpcLoadTarget.Rpc.ECHO)
                : List.of(GrpcLoadTarget.Rpc.ECHO, GrpcLoadTarget.Rpc.DECIDE);
    }

    /**
     * The start rate of Echo's search: {@code echoRate} when given, else the offered rate of Decide's last passing
     * step when Decide was searched first and passed one above {@code rate}, else {@code rate}.
     *
     * @param decide Decide's search, or null when Echo runs first
     */
    static double echoStartRate(Double echoRate, double rate, FindMaxSearch.Outcome decide) {
        if (echoRate != null) {
            return echoRate;
        }
        if (decide == null || decide.lastPassing() == null) {
            return rate;
        }
        return Math.max(rate, decide.lastPassing().rate());
    }

    /** What Decide / Echo may claim, from whether each search saturated. */
    static Bound bound(boolean decideSaturated, boolean echoSaturated) {
        if (decideSaturated) {
            return echoSaturated ? Bound.EQUAL : Bound.AT_MOST;
        }
        return echoSaturated ? Bound.AT_LEAST : Bound.NONE;
    }

    /**
     * The ratio lines of a run of both RPCs: of their two searches with {@code findMax}, else of their one run each
     * (Echo's first); "" when a run of phases gave more than one each.
     */
    static String text(boolean findMax, List<RunResult> headline,
            Map<GrpcLoadTarget.Rpc, FindMaxSearch.Outcome> searches) {
        if (findMax) {
            FindMaxSearch.Outcome d = searches.get(GrpcLoadTarget.Rpc.DECIDE);
            FindMaxSearch.Outcome e = searches.get(GrpcLoadTarget.Rpc.ECHO);
            return findMaxLine(d, e) + (d.lastPassing() == null || e.lastPassing() == null ? ""
                    : cpuLine(d.lastPassing().result(), e.lastPassing().result(), true));
        }
        if (headline.size() != 2) {
            return "";
        }
        RunResult echo = headline.get(0);
        RunResult decide = headline.get(1);
        return sameRateLine(decide, echo) + cpuLine(decide, echo, false);
    }

    /**
     * The ratio line of two find-max searches: the figure with its bound, and how each search ended.
     */
    static String findMaxLine(FindMaxSearch.Outcome decide, FindMaxSearch.Outcome echo) {
        if (decide.lastPassing() == null || echo.lastPassing() == null) {
            return String.format(Locale.ROOT, "throughput ratio decide/echo: none (%s: no passing step)%n",
                    decide.lastPassing() == null ? "decide" : "echo");
        }
        double d = decide.saturationThroughput();
        double e = echo.saturationThroughput();
        Bound bound = bound(decide.saturated(), echo.saturated());
        return String.format(Locale.ROOT,
                "throughput ratio decide/echo: %s %.3f (decide %.1f/s %s, echo %.1f/s %s)%s%n", bound.symbol(),
                e == 0 ? 0 : d / e, d, ending(decide), e, ending(echo),
                bound == Bound.NONE ? "  [neither saturated: no bound; a longer --duration]" : "");
    }

    /** The ratio line of two constant-rate runs (no find-max): at one offered rate it measures no capacity. */
    static String sameRateLine(RunResult decide, RunResult echo) {
        double d = decide.throughput();
        double e = echo.throughput();
        return String.format(Locale.ROOT, "throughput ratio decide/echo: %.3f (decide %.1f/s, echo %.1f/s)  [both at "
                + "the same offered rate: a ratio near 1 only says both kept up; use --find-max for capacity]%n",
                e == 0 ? 0 : d / e, d, e);
    }

    /** Server CPU per request, Echo's over Decide's, when the server's metrics were read; else "". */
    static String cpuLine(RunResult decide, RunResult echo, boolean findMax) {
        double echoCpu = echo.serverCpuMicros();
        double decideCpu = decide.serverCpuMicros();
        if (Double.isNaN(echoCpu) || Double.isNaN(decideCpu) || !(decideCpu > 0)) {
            return "";
        }
        return String.format(Locale.ROOT, "server CPU per request echo/decide: %.3f (decide %.1f us, echo %.1f us)%s%n",
                echoCpu / decideCpu, decideCpu, echoCpu, findMax ? "  [each at its own last passing rate]" : "");
    }

    private static String ending(FindMaxSearch.Outcome o) {
        return o.saturated() ? "saturated" : "NOT saturated (budget)";
    }
}
