package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.Outcome;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OpenLoopRunnerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Answers 0.5 ms after each send (a fake future completed by the clock); the send of one index
     * stalls the calling sender for {@code stallNanos}, as a full transport buffer would.
     */
    private static final class StallingTarget implements LoadTarget {
        private final FakeClock clock;
        private final long stallIndex;
        private final long stallNanos;

        StallingTarget(FakeClock clock, long stallIndex, long stallNanos) {
            this.clock = clock;
            this.stallIndex = stallIndex;
            this.stallNanos = stallNanos;
        }

        @Override
        public void send(long index, Completion completion) {
            if (index == stallIndex) {
                clock.advance(stallNanos);
            }
            Outcome outcome = index % 10 == 0 ? Outcome.DECLINE : Outcome.APPROVE;
            Status.Code code = index % 100 == 99 ? Status.Code.RESOURCE_EXHAUSTED : Status.Code.OK;
            clock.at(clock.nanoTime() + MS / 2, () -> completion.complete(code, outcome));
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public void close() {
        }
    }

    private static RunResult run(FakeClock clock, LoadTarget target, long warmupNanos, long durationNanos,
            long maxRequests) {
        OpenLoopRunner runner = new OpenLoopRunner("t", "constant 1000/s", RateProfile.constant(1000), warmupNanos,
                durationNanos, maxRequests, 1, 100_000, 10 * MS, clock, target, Map::of);
        runner.start();
        runner.runSender(0);
        clock.runAll();
        runner.sampleInterval();
        return runner.result();
    }

    @Test
    void shouldShowAStallInCorrectedLatencyButNotInServiceTime() {
        FakeClock clock = new FakeClock();
        RunResult r = run(clock, new StallingTarget(clock, 200, 100 * MS), 0, 10_000 * MS, 1000);

        assertEquals(1000, r.sent());
        assertEquals(1000, r.completed());
        // about 100 requests were due during the stall and went late: 10 % of samples, so p99 sees it
        long correctedP99 = r.corrected().getValueAtPercentile(99);
        assertTrue(correctedP99 > 80 * MS, "corrected p99 " + correctedP99);
        assertTrue(r.corrected().getMaxValue() >= 100 * MS);
        // from the actual send, only the stalled request itself was slow
        long serviceP99 = r.service().getValueAtPercentile(99);
        assertTrue(serviceP99 <= MS, "service p99 " + serviceP99);
        assertTrue(r.service().getMaxValue() >= 100 * MS);
        assertEquals(1, r.service().getCountBetweenValues(50 * MS, 200 * MS));
        assertTrue(r.lateSends() >= 95 && r.lateSends() <= 100, "late sends " + r.lateSends());
    }

    @Test
    void shouldMeasureNoStallWhenThereIsNone() {
        FakeClock clock = new FakeClock();
        RunResult r = run(clock, new StallingTarget(clock, -1, 0), 0, 10_000 * MS, 1000);
        assertTrue(r.corrected().getMaxValue() <= MS, "max " + r.corrected().getMaxValue());
        assertEquals(0, r.lateSends());
    }

    @Test
    void shouldExcludeWarmupAndCountStatusesAndOutcomes() {
        FakeClock clock = new FakeClock();
        RunResult r = run(clock, new StallingTarget(clock, -1, 0), 100 * MS, 900 * MS, 1_000_000);

        assertEquals(900, r.sent(), "indices 100..999 are measured");
        assertEquals(900, r.completed());
        assertEquals(9, r.statusCounts().get("RESOURCE_EXHAUSTED"));
        assertEquals(891, r.statusCounts().get("OK"));
        assertEquals(90, r.outcome(Outcome.DECLINE));
        assertEquals(801, r.outcome(Outcome.APPROVE));
        assertEquals(900, r.corrected().getTotalCount());
        assertEquals(0.01, r.errorShare(), 1e-9);
        // 891 OK answers over a 0.9 s window
        assertEquals(990, r.throughput(), 1.0);
    }

    /** Answers OK, but refuses every 50th request as admission does and lets every 100th pass its deadline. */
    private static final class RefusedTarget implements LoadTarget {
        private final FakeClock clock;

        RefusedTarget(FakeClock clock) {
            this.clock = clock;
        }

        @Override
        public void send(long index, Completion completion) {
            Runnable answer;
            if (index % 100 == 99) {
                answer = () -> completion.fail(Status.Code.DEADLINE_EXCEEDED, "");
            } else if (index % 50 == 49) {
                answer = () -> completion.fail(Status.Code.RESOURCE_EXHAUSTED, "OVERLOADED");
            } else {
                answer = () -> completion.complete(Status.Code.OK, Outcome.APPROVE);
            }
            clock.at(clock.nanoTime() + MS / 2, answer);
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void shouldCountErrorsByStatusAndReasonAndSayWhatFailedAFindMaxStep() {
        FakeClock clock = new FakeClock();
        RunResult r = run(clock, new RefusedTarget(clock), 100 * MS, 900 * MS, 1_000_000);

        // measured: indices 100..999; 9 of them end in 99, 9 more end in 49
        assertEquals(Map.of("RESOURCE_EXHAUSTED/OVERLOADED", 9L, "DEADLINE_EXCEEDED", 9L), r.errorKinds());
        assertEquals("DEADLINE_EXCEEDED 9, RESOURCE_EXHAUSTED/OVERLOADED 9", r.errorBreakdown());
        FindMaxSearch.Step step = new FindMaxSearch(1000, 1.25, 50 * MS, 0.01, 1).judge(1000, r);
        assertFalse(step.passed());
        assertTrue(step.verdict().startsWith("errors 2.00 % > 1.00 %, p99 0.50 ms"), step.verdict());
        assertTrue(step.verdict().endsWith("(DEADLINE_EXCEEDED 9, RESOURCE_EXHAUSTED/OVERLOADED 9)"),
                step.verdict());
        String table = SummaryText.table(List.of(r));
        assertTrue(table.lines().anyMatch(l -> l.matches("  error RESOURCE_EXHAUSTED/OVERLOADED +9")), table);
    }

    @Test
    void shouldStopAtMaxRequests() {
        FakeClock clock = new FakeClock();
        RunResult r = run(clock, new StallingTarget(clock, -1, 0), 0, 10_000 * MS, 250);
        assertEquals(250, r.sent());
        assertEquals(1000, r.offeredRate(), 10);
    }
}
