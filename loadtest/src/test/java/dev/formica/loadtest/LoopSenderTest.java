package dev.formica.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.Outcome;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop sender ({@code --sender loop}): lanes on hand-driven event loops ({@link FakeLoop}) and a hand-driven clock,
 * through the runner's own {@code run}: the whole run is single-threaded, so a lane that blocked would never return.
 */
@Timeout(30)
class LoopSenderTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Records each send (index, time) and answers OK {@code answerNanos} later, or never (negative). */
    private static final class RecordingTarget implements LoadTarget {
        private final FakeClock clock;
        private final long answerNanos;
        private final long stallIndex;
        private final List<long[]> sends = new ArrayList<>();
        private int inFlight;
        private int mostInFlight;

        RecordingTarget(FakeClock clock, long answerNanos, long stallIndex) {
            this.clock = clock;
            this.answerNanos = answerNanos;
            this.stallIndex = stallIndex;
        }

        @Override
        public void send(long index, Completion completion) {
            sends.add(new long[] {index, clock.nanoTime()});
            inFlight++;
            mostInFlight = Math.max(mostInFlight, inFlight);
            if (index == stallIndex) {
                clock.advance(100 * MS); // the loop is busy in this send, as with a full transport buffer
            }
            if (answerNanos >= 0) {
                clock.at(clock.nanoTime() + answerNanos, () -> {
                    inFlight--;
                    completion.complete(Status.Code.OK, Outcome.APPROVE);
                });
            }
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public void close() {
        }
    }

    private record Run(RunResult result, List<RecordingTarget> targets, List<FakeLoop> loops) {
    }

    private static Run run(int lanes, long answerNanos, long stallIndex, long warmupNanos, long durationNanos,
            long maxRequests, int maxInFlight, boolean callersInLoop) throws InterruptedException {
        FakeClock clock = new FakeClock();
        List<RecordingTarget> targets = new ArrayList<>();
        List<FakeLoop> loops = new ArrayList<>();
        for (int k = 0; k < lanes; k++) {
            targets.add(new RecordingTarget(clock, answerNanos, stallIndex));
            loops.add(new FakeLoop(clock, callersInLoop));
        }
        OpenLoopRunner runner = new OpenLoopRunner("t", "constant 1000/s", RateProfile.constant(1000), warmupNanos,
                durationNanos, maxRequests, lanes, maxInFlight, 50 * MS, clock, targets.get(0), Map::of);
        RunResult r = runner.run(loops, targets, null, null);
        return new Run(r, targets, loops);
    }

    @Test
    void shouldSendEachCallAtItsIntendedTimeInOrderOnItsLane() throws InterruptedException {
        Run run = run(2, MS / 2, -1, 0, 1000 * MS, 1_000_000, 10_000, true);

        long first = run.targets().get(0).sends.get(0)[1];
        for (int k = 0; k < 2; k++) {
            List<long[]> sends = run.targets().get(k).sends;
            assertEquals(500, sends.size(), "lane " + k + " sends every other index");
            for (int j = 0; j < sends.size(); j++) {
                long index = sends.get(j)[0];
                assertEquals(k + 2L * j, index, "lane " + k + " in index order");
                assertEquals(first + index * MS, sends.get(j)[1], "index " + index + " at its intended time");
            }
            assertEquals(1, run.loops().get(k).mostTimersWaiting(), "one timer per lane at a time");
        }
        RunResult r = run.result();
        assertEquals(1000, r.sent());
        assertEquals(1000, r.completed());
        assertEquals(0, r.lateSends());
        assertEquals(0, r.backlogged());
        assertEquals(MS / 2, r.corrected().getMaxValue(), MS / 100, "answered 0.5 ms after the intended time");
    }

    @Test
    void shouldHoldCallsOverTheBoundWithoutBlockingAndCountThemFromTheirIntendedTime() throws InterruptedException {
        // each lane is offered 500/s and may have 2 in flight for 10 ms each: 200/s, so calls are held
        Run run = run(2, 10 * MS, -1, 0, 1000 * MS, 1_000_000, 4, false);

        RunResult r = run.result();
        for (RecordingTarget t : run.targets()) {
            assertEquals(2, t.mostInFlight, "a lane's share of the bound, never more");
        }
        for (FakeLoop loop : run.loops()) {
            assertTrue(loop.handedOver() > 0, "answers off the loop are handed to it");
            assertEquals(1, loop.mostTimersWaiting());
        }
        assertTrue(r.backlogged() > 500, "backlogged " + r.backlogged());
        assertEquals(1000, r.sent() + r.dropped(), "every call of the timetable sent or dropped");
        assertEquals(r.sent(), r.completed(), "every call sent is answered");
        assertTrue(r.dropped() > 0, "held past the drain deadline: dropped");
        // two lanes at 200/s for 1.05 s (the run and its drain bound), then nothing is sent
        assertEquals(420, r.sent(), 4);
        // the service time is the target's 10 ms; the wait for a slot is in the corrected latency
        assertEquals(10 * MS, r.service().getMaxValue(), MS / 10);
        assertTrue(r.corrected().getValueAtPercentile(50) > 200 * MS, "corrected p50 " + r.corrected()
                .getValueAtPercentile(50));
    }

    @Test
    void shouldCountCallsSentLateWhenTheLoopWasBusy() throws InterruptedException {
        Run run = run(1, MS / 2, 200, 0, 10_000 * MS, 1000, 100_000, true);

        RunResult r = run.result();
        assertEquals(1000, r.sent());
        assertEquals(1000, r.completed());
        assertTrue(r.lateSends() >= 95 && r.lateSends() <= 100, "late sends " + r.lateSends());
        assertTrue(r.corrected().getValueAtPercentile(99) > 80 * MS, "corrected p99 "
                + r.corrected().getValueAtPercentile(99));
        assertTrue(r.service().getValueAtPercentile(99) <= MS, "service p99 " + r.service().getValueAtPercentile(99));
        List<long[]> sends = run.targets().get(0).sends;
        for (int j = 1; j < sends.size(); j++) {
            assertEquals(sends.get(j - 1)[0] + 1, sends.get(j)[0], "in index order, the late ones too");
        }
    }

    @Test
    void shouldEndABoundedRunWithEveryCallAnsweredOrCounted() throws InterruptedException {
        Run run = run(1, -1, -1, 0, 10_000 * MS, 100, 3, true);

        RunResult r = run.result();
        assertEquals(3, r.sent(), "the bound's 3 calls, never answered");
        assertEquals(0, r.completed());
        assertEquals(3, r.unfinished());
        assertEquals(97, r.backlogged());
        assertEquals(97, r.dropped());
        assertEquals(97, r.corrected().getTotalCount(), "each dropped call's wait is recorded");
    }

    @Test
    void shouldMeasureOnlyAfterTheWarmup() throws InterruptedException {
        Run run = run(2, MS / 2, -1, 100 * MS, 900 * MS, 1_000_000, 10_000, true);

        RunResult r = run.result();
        assertEquals(900, r.sent(), "indices 100..999 are measured");
        assertEquals(900, r.completed());
        assertEquals(1000, run.targets().get(0).sends.size() + run.targets().get(1).sends.size());
    }

    @Test
    void shouldStopAtMaxRequests() throws InterruptedException {
        Run run = run(2, MS / 2, -1, 0, 10_000 * MS, 251, 10_000, true);
        assertEquals(251, run.result().sent());
        assertEquals(126, run.targets().get(0).sends.size());
        assertEquals(125, run.targets().get(1).sends.size());
    }

    @Test
    void shouldSplitTheBoundBetweenLanesAndRefuseALaneWithoutASlot() {
        FakeClock clock = new FakeClock();
        RecordingTarget t = new RecordingTarget(clock, MS, -1);
        OpenLoopRunner runner = new OpenLoopRunner("t", "c", RateProfile.constant(1000), 0, MS, 10, 3, 2, MS, clock, t,
                Map::of);
        List<FakeLoop> three = List.of(new FakeLoop(clock, true), new FakeLoop(clock, true), new FakeLoop(clock, true));
        assertThrows(IllegalArgumentException.class, () -> runner.lanes(three, List.of(t, t, t)));
        assertThrows(IllegalArgumentException.class, () -> runner.lanes(three.subList(0, 2), List.of(t)));
    }
}
