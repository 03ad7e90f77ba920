package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.log.LogTimes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** A shard's answers reach each caller's loop in one task per release, in order, and none is lost. */
class RepliesTest {
    /** Records what it was answered. */
    static final class Recorder implements Sink<String> {
        final List<String> got;

        Recorder(List<String> got) {
            this.got = got;
        }

        @Override
        public void onResult(String result) {
            got.add(result);
        }

        @Override
        public void onError(Refused error) {
            got.add("error " + error.error());
        }
    }

    @Test
    void shouldHandEachLoopItsAnswersInOneTaskInOrder() {
        Replies replies = new Replies();
        HeldLoop a = new HeldLoop();
        HeldLoop b = new HeldLoop();
        List<String> onA = new ArrayList<>();
        List<String> onB = new ArrayList<>();
        Sink<String> a1 = replies.wrap(new Recorder(onA), a);
        Sink<String> b1 = replies.wrap(new Recorder(onB), b);
        Sink<String> a2 = replies.wrap(new Recorder(onA), a);
        Sink<String> a3 = replies.wrap(new Recorder(onA), a);

        a1.onResult("first");
        b1.onError(Refused.of(DomainError.DEADLINE_EXPIRED_IN_QUEUE, "late"));
        a2.onResult("second");
        a3.onResult("third");
        assertTrue(onA.isEmpty() && onB.isEmpty(), "nothing is answered before the flush");

        assertEquals(4, replies.release(null, 0));
        assertEquals(1, a.tasks.size(), "one task for loop a");
        assertEquals(1, b.tasks.size(), "one task for loop b");
        assertTrue(onA.isEmpty(), "answers run on the loop, not on the flushing thread");
        a.runAll();
        b.runAll();
        assertEquals(List.of("first", "second", "third"), onA);
        assertEquals(List.of("error DEADLINE_EXPIRED_IN_QUEUE"), onB);

        assertEquals(0, replies.release(null, 0), "a second flush has nothing left");
        assertTrue(a.tasks.isEmpty() && b.tasks.isEmpty());
    }

    @Test
    void shouldReuseABatchOnlyOnceEveryLoopHasDeliveredIt() {
        Replies replies = new Replies();
        HeldLoop a = new HeldLoop();
        HeldLoop b = new HeldLoop();
        List<String> onA = new ArrayList<>();
        List<String> onB = new ArrayList<>();
        replies.wrap(new Recorder(onA), a).onResult("a1");
        replies.wrap(new Recorder(onB), b).onResult("b1");
        replies.release(null, 0);
        a.runAll();
        assertEquals(0, replies.freeBatches(), "loop b has not delivered its answer of the batch yet");

        replies.wrap(new Recorder(onA), a).onResult("a2");
        replies.release(null, 0); // a second batch while the first is still in flight
        a.runAll();
        assertEquals(1, replies.freeBatches(), "the second batch, delivered");
        b.runAll();
        assertEquals(2, replies.freeBatches(), "the first, once loop b delivered it");
        assertEquals(List.of("a1", "a2"), onA);
        assertEquals(List.of("b1"), onB);

        replies.wrap(new Recorder(onB), b).onResult("b2");
        replies.wrap(new Recorder(onA), a).onResult("a3");
        replies.release(null, 0);
        assertEquals(1, replies.freeBatches(), "a delivered batch is taken again");
        b.runAll();
        a.runAll();
        assertEquals(List.of("a1", "a2", "a3"), onA);
        assertEquals(List.of("b1", "b2"), onB, "a reused batch delivers only its own answers");
        assertEquals(2, replies.freeBatches());
    }

    @Test
    void shouldRefuseAnAnswerTheLogLostAndGiveItsBytesBack() {
        Replies replies = new Replies();
        AnswerBytes.Pool pool = new AnswerBytes.Pool();
        List<String> got = new ArrayList<>();
        Sink<String> sink = replies.wrap(new Recorder(got), null);
        ((Replies.Deferred<String>) sink).onAnswer(null, pool.copyOf(new byte[] {1, 2}, 2), false);
        replies.release(new dev.formica.engine.log.ShardLog() {
            @Override
            public long append(long timeMs, org.agrona.DirectBuffer payload, int offset, int length) {
                return 0;
            }

            @Override
            public long appendedPosition() {
                return 0;
            }

            @Override
            public long durablePosition() {
                return 0;
            }

            @Override
            public void whenDurable(long position, Release release) {
                release.release(false); // the log failed
            }
        }, 1);
        assertEquals(List.of("error LOG_UNAVAILABLE"), got);
        assertEquals(1, pool.free(), "the lost answer's buffer is back in its pool");
    }

    @Test
    void shouldTimeEachLoopsHandBackFromTheReleaseUntilTheLoopRunsIt() {
        Replies replies = new Replies();
        LogTimes times = new LogTimes();
        replies.timed(times);
        HeldLoop a = new HeldLoop();
        HeldLoop b = new HeldLoop();
        List<String> got = new ArrayList<>();
        replies.wrap(new Recorder(got), a).onResult("a1");
        replies.wrap(new Recorder(got), b).onResult("b1");
        replies.wrap(new Recorder(got), a).onResult("a2");
        replies.wrap(new Recorder(got), null).onResult("here"); // answered on the releasing thread: no hand-back
        long beforeRelease = System.nanoTime();
        replies.release(null, 0);
        long afterRelease = System.nanoTime();
        assertEquals(List.of("here"), got);
        assertEquals(0, times.handBackNanos().getIntervalHistogram().getTotalCount(), "nothing ran on a loop yet");

        long beforeRuns = System.nanoTime();
        a.runAll();
        b.runAll();
        long afterRuns = System.nanoTime();
        Histogram h = times.handBackNanos().getIntervalHistogram();
        assertEquals(2, h.getTotalCount(), "one value per loop of the batch");
        assertTrue(h.getMaxValue() >= beforeRuns - afterRelease, "at least from the release to the loop's run");
        assertTrue(h.getMinValue() <= afterRuns - beforeRelease, "at most from before the release to the run's end");

        Replies untimed = new Replies();
        untimed.wrap(new Recorder(got), a).onResult("a3");
        untimed.release(null, 0);
        a.runAll();
        assertEquals(0, times.handBackNanos().getIntervalHistogram().getTotalCount(), "untimed replies record nothing");
        assertEquals(List.of("here", "a1", "a2", "b1", "a3"), got);
    }

    @Test
    void shouldAnswerOnTheFlushingThreadWhenTheLoopIsShutDown() {
        Replies replies = new Replies();
        Executor closed = task -> {
            throw new RejectedExecutionException("event loop shut down");
        };
        List<String> got = new ArrayList<>();
        replies.wrap(new Recorder(got), closed).onResult("late");
        replies.release(null, 0);
        assertEquals(List.of("late"), got);
    }
}
