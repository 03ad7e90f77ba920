package dev.formica.engine.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.rules.ConcentrationPolicy.Dimension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The engine-wide concentration table: slots per key, exact limits under concurrent reservations and releases. */
class ConcentrationTableTest {
    @Test
    void shouldKeepOneSlotPerKeyAndDimension() {
        ConcentrationTable table = new ConcentrationTable(64);
        int m = table.claim(Dimension.MERCHANT, "m1");
        assertEquals(m, table.claim(Dimension.MERCHANT, "m1"));
        assertEquals(m, table.find(Dimension.MERCHANT, "m1"));
        assertNotEquals(m, table.claim(Dimension.GROUP, "m1"), "the same text in another dimension is another key");
        assertEquals(-1, table.find(Dimension.REGION, "CN-31"));
        assertTrue(table.tryAdd(m, 500, 1000));
        assertTrue(table.tryAdd(m, 500, 1000), "up to the limit exactly");
        assertTrue(!table.tryAdd(m, 1, 1000));
        assertEquals(1000, table.exposure(m));
        Map<String, Long> seen = new HashMap<>();
        table.forEach((d, key, exposure) -> seen.put(d + "/" + key, exposure));
        assertEquals(Map.of("MERCHANT/m1", 1000L, "GROUP/m1", 0L), seen);
    }

    @Test
    void shouldRefuseANewKeyWhenFullAndCountWhatItCouldNotApply() {
        ConcentrationTable table = new ConcentrationTable(64);
        for (int k = 0; k < table.capacity(); k++) {
            assertTrue(table.claim(Dimension.MERCHANT, "m" + k) >= 0);
        }
        assertEquals(-1, table.claim(Dimension.MERCHANT, "one-more"));
        ConcentrationGuard guard = new ConcentrationGuard(table);
        guard.add("", "", "one-more", "", 10);
        assertEquals(1, table.untracked());
    }

    /**
     * Four threads reserve random amounts on one key against a limit and give some back; a fifth reads the key the
     * whole time. It is never seen above the limit, and ends at exactly what was reserved less what was released.
     */
    @Test
    void shouldNeverExceedTheLimitUnderConcurrentReservationsAndReleases() throws Exception {
        ConcentrationTable table = new ConcentrationTable(1024);
        long limit = 1_000_000;
        int slot = table.claim(Dimension.MERCHANT, "hot");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong highest = new AtomicLong();
        Thread monitor = new Thread(() -> {
            while (running.get()) {
                highest.accumulateAndGet(table.exposure(slot), Math::max);
            }
        });
        monitor.start();
        CountDownLatch start = new CountDownLatch(1);
        AtomicLong net = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int seed = t;
            threads.add(new Thread(() -> {
                Random random = new Random(seed);
                List<Long> mine = new ArrayList<>();
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < 200_000; k++) {
                    if (!mine.isEmpty() && random.nextInt(3) == 0) {
                        long back = mine.remove(mine.size() - 1);
                        table.add(slot, -back);
                        net.addAndGet(-back);
                    } else {
                        long amount = 1 + random.nextInt(50_000);
                        if (table.tryAdd(slot, amount, limit)) {
                            mine.add(amount);
                            net.addAndGet(amount);
                        } else {
                            refused.incrementAndGet();
                        }
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        running.set(false);
        monitor.join();
        assertTrue(refused.get() > 0, "the limit bound");
        assertTrue(highest.get() <= limit, "seen " + highest.get());
        assertEquals(net.get(), table.exposure(slot));
    }
}
