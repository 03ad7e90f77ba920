package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class FindMaxSearchTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A fake server whose p99 is 1 ms + (rate/1000)^3 ms and which completes at most 1800/s. */
    private static RunResult fakeStep(double rate, double errorShare) {
        long p99 = Math.round((1 + Math.pow(rate / 1000, 3)) * MS);
        Histogram corrected = new Histogram(OpenLoopRunner.HIGHEST_TRACKABLE_NANOS, 3);
        corrected.recordValueWithCount(MS / 2, 980);
        corrected.recordValueWithCount(p99, 20);
        long sent = Math.round(rate * 10);
        long errors = Math.round(sent * errorShare);
        long[] statuses = new long[17];
        statuses[0] = sent - errors;
        statuses[14] = errors;
        long ok = Math.round(Math.min(rate, 1800) * 10);
        return new RunResult("fake@" + rate, "decide", "constant", sent, sent, 0, 0, 0, 0, ok,
                TimeUnit.SECONDS.toNanos(10), statuses, new long[5], corrected, corrected, Map.of());
    }

    @Test
    void shouldStepUpUntilP99BreaksTheSloAndReportTheLastPassingStep() throws Exception {
        List<Double> rates = new ArrayList<>();
        FindMaxSearch search = new FindMaxSearch(1000, 1.25, 5 * MS, 0.01, 20);
        FindMaxSearch.Outcome o = search.search((i, rate) -> {
            rates.add(rate);
            return fakeStep(rate, 0);
        });
        // 1000 -> 2 ms, 1250 -> 2.95 ms, 1562.5 -> 4.81 ms pass; 1953 -> 8.45 ms fails
        assertEquals(List.of(1000.0, 1250.0, 1562.5, 1953.125), rates);
        assertTrue(o.saturated());
        assertEquals(1562.5, o.lastPassing().rate(), 1e-9);
        assertEquals(1562.5, o.saturationThroughput(), 0.1);
        assertFalse(o.steps().get(3).passed());
        assertTrue(o.steps().get(3).verdict().contains("p99"), o.steps().get(3).verdict());
    }

    @Test
    void shouldStopOnTooManyErrors() throws Exception {
        FindMaxSearch search = new FindMaxSearch(1000, 1.25, 50 * MS, 0.01, 20);
        FindMaxSearch.Outcome o = search.search((i, rate) -> fakeStep(rate, rate > 1300 ? 0.05 : 0.001));
        assertEquals(3, o.steps().size());
        assertEquals(1250, o.lastPassing().rate(), 1e-9);
        assertTrue(o.steps().get(2).verdict().startsWith("errors"));
    }

    @Test
    void shouldSayWhenTheBudgetRanOutBeforeSaturation() throws Exception {
        FindMaxSearch.Outcome o = new FindMaxSearch(100, 2, 5 * MS, 0.01, 3).search((i, rate) -> fakeStep(rate, 0));
        assertEquals(3, o.steps().size());
        assertFalse(o.saturated());
        assertEquals(400, o.lastPassing().rate(), 1e-9);
    }

    @Test
    void shouldHaveNoSaturationWhenTheFirstStepFails() throws Exception {
        FindMaxSearch.Outcome o = new FindMaxSearch(3000, 1.25, 5 * MS, 0.01, 5).search((i, rate) -> fakeStep(rate, 0));
        assertEquals(1, o.steps().size());
        assertNull(o.lastPassing());
        assertEquals(0, o.saturationThroughput());
        assertTrue(SummaryText.findMax("decide", o, "--rate").contains("lower --rate"));
    }

    @Test
    void shouldRunAFailingStepAgainBeforeEndingTheSearch() throws Exception {
        List<Double> rates = new ArrayList<>();
        int[] calls = {0};
        // 1250/s fails once (a stall), then passes; 1953/s fails twice (the real limit)
        FindMaxSearch.Outcome o = new FindMaxSearch(1000, 1.25, 5 * MS, 0.01, 20, 1).search((i, rate) -> {
            rates.add(rate);
            calls[0]++;
            return calls[0] == 2 ? fakeStep(4000, 0) : fakeStep(rate, 0);
        });
        assertEquals(List.of(1000.0, 1250.0, 1250.0, 1562.5, 1953.125, 1953.125), rates);
        assertEquals(1562.5, o.lastPassing().rate(), 1e-9);
        assertTrue(o.saturated());
        assertTrue(o.steps().get(1).verdict().contains("again"), o.steps().get(1).verdict());
        assertFalse(o.steps().get(1).passed());
        assertTrue(o.steps().get(2).passed());
    }
}
