package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.loadtest.DecideEchoRatio.Bound;
import dev.formica.loadtest.GrpcLoadTarget.Rpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class DecideEchoRatioTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SLO = 50 * MS;

    /** A fake server that answers everything up to {@code capacity}/s within 1 ms and is 200 ms late above it. */
    private static RunResult step(double rate, double capacity) {
        Histogram corrected = new Histogram(OpenLoopRunner.HIGHEST_TRACKABLE_NANOS, 3);
        corrected.recordValueWithCount(rate <= capacity ? MS : 200 * MS, 1000);
        long sent = Math.round(rate * 10);
        long[] statuses = new long[17];
        statuses[0] = sent;
        long ok = Math.round(Math.min(rate, capacity) * 10);
        return new RunResult("fake@" + rate, "fake", "constant", sent, sent, 0, 0, 0, 0, ok,
                TimeUnit.SECONDS.toNanos(10), statuses, new long[5], corrected, corrected, Map.of());
    }

    private static FindMaxSearch.Outcome search(double start, int steps, double capacity, List<Double> rates)
            throws InterruptedException {
        return new FindMaxSearch(start, 1.25, SLO, 0.01, steps, 1).search((i, rate) -> {
            rates.add(rate);
            return step(rate, capacity);
        });
    }

    @Test
    void shouldSearchDecideFirstUnlessEchoFirstIsAskedAndKeepEchoFirstForConstantRuns() {
        assertEquals(List.of(Rpc.DECIDE, Rpc.ECHO), DecideEchoRatio.order(true, false));
        assertEquals(List.of(Rpc.ECHO, Rpc.DECIDE), DecideEchoRatio.order(true, true));
        assertEquals(List.of(Rpc.ECHO, Rpc.DECIDE), DecideEchoRatio.order(false, false));
    }

    @Test
    void shouldStartEchoWhereDecideLastPassedUnlessAnEchoRateIsGiven() throws Exception {
        FindMaxSearch.Outcome decide = search(2000, 16, 6000, new ArrayList<>());
        assertEquals(4882.8125, decide.lastPassing().rate(), 1e-9); // 2000 x 1.25^4 passes, x 1.25^5 (6,104/s) fails
        assertEquals(4882.8125, DecideEchoRatio.echoStartRate(null, 2000, decide), 1e-9);
        assertEquals(10_000, DecideEchoRatio.echoStartRate(10_000.0, 2000, decide), 1e-9);
        assertEquals(2000, DecideEchoRatio.echoStartRate(null, 2000, null), 1e-9); // --echo-first
        FindMaxSearch.Outcome none = search(2000, 16, 1000, new ArrayList<>());
        assertEquals(2000, DecideEchoRatio.echoStartRate(null, 2000, none), 1e-9);
    }

    @Test
    void shouldBoundTheRatioByWhichSearchesSaturated() {
        assertEquals(Bound.EQUAL, DecideEchoRatio.bound(true, true));
        assertEquals(Bound.AT_MOST, DecideEchoRatio.bound(true, false)); // Echo can do more
        assertEquals(Bound.AT_LEAST, DecideEchoRatio.bound(false, true)); // Decide can do more
        assertEquals(Bound.NONE, DecideEchoRatio.bound(false, false));
    }

    @Test
    void shouldSaturateBothWithinTheBudgetWhereTheOldOrderLeftEchoUnsaturated() throws Exception {
        // 12 steps of budget; Decide holds 6,000/s, Echo 36,000/s
        FindMaxSearch.Outcome oldEcho = search(2000, 12, 36_000, new ArrayList<>());
        FindMaxSearch.Outcome oldDecide = search(2000, 12, 6000, new ArrayList<>());
        assertFalse(oldEcho.saturated()); // 2000 x 1.25^11 = 23,283/s passed: the budget ran out
        String before = DecideEchoRatio.findMaxLine(oldDecide, oldEcho);
        assertTrue(before.startsWith("throughput ratio decide/echo: <= 0.210"), before);
        assertTrue(before.contains("echo 23283.1/s NOT saturated (budget)"), before);

        List<Double> echoRates = new ArrayList<>();
        FindMaxSearch.Outcome decide = search(2000, 12, 6000, new ArrayList<>());
        FindMaxSearch.Outcome echo = search(DecideEchoRatio.echoStartRate(null, 2000, decide), 12, 36_000, echoRates);
        assertEquals(4882.8125, echoRates.get(0), 1e-9);
        assertTrue(echo.saturated());
        assertEquals(29_103.8, echo.saturationThroughput(), 0.1); // 4,883 x 1.25^9 = 36,380/s failed twice
        assertEquals(11, echoRates.size());
        String line = DecideEchoRatio.findMaxLine(decide, echo);
        assertTrue(line.startsWith("throughput ratio decide/echo: = 0.168 (decide 4882.8/s saturated, echo 29103.8/s "
                + "saturated)"), line);
    }

    @Test
    void shouldCallTheRatioALowerBoundWhenDecideDidNotSaturateAndNoneWhenASearchNeverPassed() throws Exception {
        FindMaxSearch.Outcome decide = search(2000, 2, 6000, new ArrayList<>());
        FindMaxSearch.Outcome echo = search(2000, 16, 9000, new ArrayList<>());
        String line = DecideEchoRatio.findMaxLine(decide, echo);
        assertTrue(line.startsWith("throughput ratio decide/echo: >= 0.328 (decide 2500.0/s NOT saturated"), line);
        String neither = DecideEchoRatio.findMaxLine(decide, search(2000, 2, 9000, new ArrayList<>()));
        assertTrue(neither.startsWith("throughput ratio decide/echo: ? 1.000") && neither.contains("no bound"),
                neither);
        FindMaxSearch.Outcome failedFirst = search(2000, 16, 1000, new ArrayList<>());
        assertEquals("throughput ratio decide/echo: none (echo: no passing step)\n",
                DecideEchoRatio.findMaxLine(decide, failedFirst).replace("\r\n", "\n"));
        assertTrue(SummaryText.findMax("echo", failedFirst, "--echo-rate").contains("lower --echo-rate"));
    }

    @Test
    void shouldSayWhatEndedEachSearch() throws Exception {
        String saturated = SummaryText.findMax("decide", search(2000, 16, 6000, new ArrayList<>()), "--rate");
        assertTrue(saturated.contains("ended by saturation (6103.5/s offered failed)"), saturated);
        String budget = SummaryText.findMax("echo", search(2000, 3, 36_000, new ArrayList<>()), "--echo-rate");
        assertTrue(budget.contains("ended by its budget -- NOT saturated"), budget);
    }
}
