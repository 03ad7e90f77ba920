package dev.formica.engine.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The rule of {@link CommitDelay} on an injected clock: no interval never holds; a fixed interval holds every round
 * for the rest of the interval; with siblings a round waits only while the last window's rate brings that many
 * batches per interval, never past the interval after the previous round started, and not once the target of
 * batches waits; a rate read before an idle spell holds nothing after it.
 */
class CommitDelayTest {
    private static final long MS = 1_000_000;

    private final AtomicLong clock = new AtomicLong(1_000 * MS);

    private void tick(long nanos) {
        clock.addAndGet(nanos);
    }

    /** Releases {@code batches} at {@code perMs} a millisecond, each in a round of its own that syncs at once. */
    private void load(CommitDelay delay, int batches, int perMs) {
        for (int i = 0; i < batches; i++) {
            tick(MS / perMs);
            delay.roundEnded(delay.now(), true);
            delay.released(1);
        }
    }

    @Test
    void shouldNeverHoldWithoutAnInterval() {
        CommitDelay delay = new CommitDelay(0, 5, clock::get);
        delay.roundEnded(delay.now(), true);
        assertEquals(0, delay.hold(1));
        assertFalse(delay.adaptive(), "siblings mean nothing without an interval");
    }

    @Test
    void shouldHoldEveryRoundForTheRestOfAFixedInterval() {
        CommitDelay delay = new CommitDelay(MS, 0, clock::get);
        assertEquals(0, delay.hold(1), "the first round syncs at once");
        delay.roundEnded(delay.now(), true);
        tick(MS / 4);
        assertEquals(3 * MS / 4, delay.hold(1), "a lone batch waits for the rest of the interval");
        delay.roundEnded(delay.now() - MS, false);
        assertEquals(3 * MS / 4, delay.hold(1), "a round that synced nothing does not move the interval");
        tick(MS);
        assertEquals(0, delay.hold(1));
    }

    @Test
    void shouldSyncALoneBatchAtOnceWhileTheRateBringsFewerSiblings() {
        CommitDelay delay = new CommitDelay(MS, 4, clock::get);
        load(delay, 40, 2); // 2 batches a millisecond: 20 ms, two whole windows of 8 ms
        assertFalse(delay.company());
        delay.roundEnded(delay.now(), true);
        tick(MS / 10);
        assertEquals(0, delay.hold(1), "no company: the round syncs at once, inside the interval");
        assertEquals(0, delay.target());
    }

    @Test
    void shouldWaitForCompanyNoLongerThanTheIntervalAfterThePreviousRound() {
        CommitDelay delay = new CommitDelay(MS, 4, clock::get);
        load(delay, 100, 5); // 5 a millisecond: 20 ms
        assertTrue(delay.company());
        long start = delay.now();
        delay.roundEnded(start, true);
        tick(MS / 4);
        assertEquals(3 * MS / 4, delay.hold(1), "company: the round waits for the rest of the interval");
        assertEquals(4 * CommitDelay.GATHER, delay.target(), "and is woken once that many batches wait");
        tick(MS / 2);
        assertEquals(MS / 4, delay.hold(3));
        tick(MS / 4);
        assertEquals(0, delay.hold(1), "the bound: the interval since the previous round has passed");
        assertEquals(0, delay.target());
    }

    @Test
    void shouldEndTheWaitOnceTheTargetOfBatchesWaits() {
        CommitDelay delay = new CommitDelay(MS, 2, clock::get);
        load(delay, 100, 5);
        delay.roundEnded(delay.now(), true);
        tick(MS / 10);
        assertTrue(delay.hold(2 * CommitDelay.GATHER - 1) > 0);
        assertEquals(0, delay.hold(2 * CommitDelay.GATHER), "enough batches wait: sync now");
    }

    @Test
    void shouldHoldNothingAfterAnIdleSpellWhateverTheRateBefore() {
        CommitDelay delay = new CommitDelay(MS, 4, clock::get);
        load(delay, 100, 5);
        assertTrue(delay.company());
        tick(1_000 * MS); // idle: no round for a second
        assertEquals(0, delay.hold(1), "the previous round is older than the interval");
        delay.roundEnded(delay.now(), true);
        delay.released(1);
        tick(MS / 10);
        assertEquals(0, delay.hold(1), "the window over the idle second brought no company");
        assertFalse(delay.company());
    }

    @Test
    void shouldRefuseNegativeSettings() {
        assertThrows(IllegalArgumentException.class, () -> new CommitDelay(-1, 0, clock::get));
        assertThrows(IllegalArgumentException.class, () -> new CommitDelay(MS, -1, clock::get));
    }
}
