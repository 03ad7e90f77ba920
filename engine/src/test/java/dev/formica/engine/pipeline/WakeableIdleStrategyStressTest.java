package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.junit.jupiter.api.Test;

/**
 * The shard's park/wake hand-off under contention: a command offered while the shard thread goes to sleep is never
 * stranded. The shard publishes "parked" and then looks at the queue; a producer offers and then reads "parked"
 * (Dekker: one of the two sees the other). Here the park is bounded by an hour, not the shard's 10 ms timer, so one
 * lost wake-up stalls a round trip past its 20 s bound and fails the test. The producer offers as soon as the last
 * item is taken, after a spin of varying length, so the offers land at varying points of the consumer's way into
 * its park.
 *
 * <p>What it catches and what it does not, checked by mutation: without the producer's wake-up it fails at the
 * second round trip; with the consumer's two steps swapped (queue checked before "parked" is published, a window
 * of a few nanoseconds) 40,000 round trips did not hit the window on this 2-core machine. A jcstress test would
 * search that window systematically; this one guards the protocol as the shard uses it.
 */
class WakeableIdleStrategyStressTest {
    private static final int ROUND_TRIPS = 40_000;

    @Test
    void shouldNeverStrandAnOfferMadeWhileTheConsumerParks() throws Exception {
        ManyToOneConcurrentArrayQueue<Long> queue = new ManyToOneConcurrentArrayQueue<>(16);
        ShardAgent.WakeableIdleStrategy idle =
                new ShardAgent.WakeableIdleStrategy(queue, TimeUnit.HOURS.toNanos(1));
        AtomicLong consumed = new AtomicLong();
        AtomicLong sum = new AtomicLong();
        Thread consumer = new Thread(() -> {
            while (consumed.get() < ROUND_TRIPS) {
                Long item = queue.poll();
                if (item == null) {
                    idle.idle(); // parks until woken: an hour if the wake-up were lost
                    continue;
                }
                sum.addAndGet(item);
                consumed.incrementAndGet();
            }
        }, "stress-consumer");
        consumer.setDaemon(true);
        consumer.start();
        long deadlineNanos = TimeUnit.SECONDS.toNanos(20);
        long expectedSum = 0;
        for (long i = 1; i <= ROUND_TRIPS; i++) {
            for (int spin = (int) (i % 64); spin > 0; spin--) {
                Thread.onSpinWait(); // vary where in the consumer's idle() the offer lands
            }
            assertTrue(queue.offer(i));
            idle.wake();
            expectedSum += i;
            long started = System.nanoTime();
            while (consumed.get() < i) {
                assertTrue(System.nanoTime() - started < deadlineNanos,
                        "round trip " + i + " stalled: the consumer slept through an offer (lost wake-up)");
                Thread.onSpinWait(); // offer the next one as soon as this one is taken: inside the consumer's idle()
            }
        }
        consumer.join(TimeUnit.SECONDS.toMillis(20));
        assertEquals(ROUND_TRIPS, consumed.get());
        assertEquals(expectedSum, sum.get());
    }

    /**
     * The poke a follower shard is woken with (a leader change, LeaderGate): it parks up to its follower period, here
     * an hour, so a poke lost while the consumer was still in its pass (it had not published "parked" yet) or on its
     * way into the park stalls the round trip. The state the poke announces is written before the poke, and the
     * consumer's pass after its idle() must see it.
     */
    @Test
    void shouldNeverStrandAPokeMadeWhileTheFollowerGoesToSleep() throws Exception {
        ManyToOneConcurrentArrayQueue<Long> queue = new ManyToOneConcurrentArrayQueue<>(16);
        ShardAgent.WakeableIdleStrategy idle = new ShardAgent.WakeableIdleStrategy(queue, TimeUnit.HOURS.toNanos(1),
                TimeUnit.HOURS.toNanos(1));
        idle.following = true;
        AtomicLong announced = new AtomicLong();
        AtomicLong seen = new AtomicLong();
        Thread follower = new Thread(() -> {
            while (seen.get() < ROUND_TRIPS) {
                long now = announced.get(); // the pass: reads what the pokes announced
                if (now == seen.get()) {
                    idle.idle(0); // nothing new: parks until poked, an hour if the poke were lost
                    continue;
                }
                seen.set(now);
            }
        }, "stress-follower");
        follower.setDaemon(true);
        follower.start();
        long deadlineNanos = TimeUnit.SECONDS.toNanos(20);
        for (long i = 1; i <= ROUND_TRIPS; i++) {
            for (int spin = (int) (i % 64); spin > 0; spin--) {
                Thread.onSpinWait(); // vary where in the follower's pass or idle() the poke lands
            }
            announced.set(i);
            idle.poke();
            long started = System.nanoTime();
            while (seen.get() < i) {
                assertTrue(System.nanoTime() - started < deadlineNanos,
                        "round trip " + i + " stalled: the follower slept through a poke (lost wake-up)");
                Thread.onSpinWait();
            }
        }
        follower.join(TimeUnit.SECONDS.toMillis(20));
        assertEquals(ROUND_TRIPS, seen.get());
    }
}
