package dev.formica.engine.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.state.VelocityWindows.Dimension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VelocityWindowsTest {
    private static final long T0 = 1_780_000_000_000L - 1_780_000_000_000L % 3_600_000L; // on the hour
    private static final long SECOND = 1000;
    private static final long MINUTE = 60 * SECOND;
    private static final long HOUR = 60 * MINUTE;

    @TempDir
    Path dir;

    @Test
    void addAndReadShouldMatchAnAddFollowedByARead() throws Exception {
        try (VelocityWindows a = VelocityWindows.open(dir.resolve("a.dat"), 1000);
                VelocityWindows b = VelocityWindows.open(dir.resolve("b.dat"), 1000)) {
            VelocityReading one = new VelocityReading();
            VelocityReading two = new VelocityReading();
            java.util.SplittableRandom random = new java.util.SplittableRandom(7);
            long now = T0;
            for (int i = 0; i < 2_000; i++) {
                now += random.nextLong(90 * SECOND);
                Dimension d = Dimension.values()[random.nextInt(4)];
                String id = "k" + random.nextInt(40);
                long amount = random.nextLong(1_000_000);
                a.addAndRead(d, id, now, amount, one);
                b.add(d, id, now, amount);
                b.read(d, id, now, two);
                for (int w = 0; w < 3; w++) {
                    assertEquals(two.count(w), one.count(w), "count, window " + w + ", step " + i);
                    assertEquals(two.sum(w), one.sum(w), "sum, window " + w + ", step " + i);
                }
                assertTrue(one.countMinute() >= 1, "the transaction itself is counted");
            }
        }
    }

    @Test
    void shouldCountAndSumPerWindowAndLetOldBucketsFallOut() throws Exception {
        try (VelocityWindows v = VelocityWindows.open(dir.resolve("velocity.dat"), 1000)) {
            VelocityReading r = new VelocityReading();
            v.add(Dimension.DEVICE, "d1", T0, 100);
            v.add(Dimension.DEVICE, "d1", T0 + 5 * SECOND, 200);
            v.read(Dimension.DEVICE, "d1", T0 + 5 * SECOND, r);
            assertEquals(2, r.countMinute());
            assertEquals(300, r.sumMinute());
            assertEquals(2, r.countHour());
            assertEquals(300, r.sumDay());

            v.add(Dimension.DEVICE, "d1", T0 + 2 * MINUTE, 50);
            v.read(Dimension.DEVICE, "d1", T0 + 2 * MINUTE, r);
            assertEquals(1, r.countMinute(), "the first two are older than a minute");
            assertEquals(3, r.countHour());
            assertEquals(350, r.sumHour());

            v.read(Dimension.DEVICE, "d1", T0 + 2 * HOUR, r);
            assertEquals(0, r.countHour());
            assertEquals(3, r.countDay());
            v.read(Dimension.DEVICE, "d1", T0 + 25 * HOUR, r);
            assertEquals(0, r.countDay());
        }
    }

    @Test
    void shouldKeepDimensionsAndKeysApart() throws Exception {
        try (VelocityWindows v = VelocityWindows.open(dir.resolve("velocity.dat"), 1000)) {
            v.add(Dimension.DEVICE, "x", T0, 10);
            v.add(Dimension.IP, "x", T0, 20);
            v.add(Dimension.IP, "y", T0, 40);
            VelocityReading r = new VelocityReading();
            assertEquals(10, v.read(Dimension.DEVICE, "x", T0, r).sumMinute());
            assertEquals(20, v.read(Dimension.IP, "x", T0, r).sumMinute());
            assertEquals(40, v.read(Dimension.IP, new StringBuilder("y"), T0, r).sumMinute());
            assertEquals(0, v.read(Dimension.MERCHANT, "x", T0, r).countDay());
        }
    }

    @Test
    void shouldCountExactlyUnderConcurrentAddsToOneKey() throws Exception {
        int threads = 4;
        int adds = 50_000;
        try (VelocityWindows v = VelocityWindows.open(dir.resolve("velocity.dat"), 1000)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < adds; i++) {
                        // crosses a 10 s bucket boundary half way: the reset and the adds race
                        assertTrue(v.add(Dimension.MERCHANT, "m1", T0 + (i < adds / 2 ? 9 * SECOND : 10 * SECOND), 3));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            VelocityReading r = v.read(Dimension.MERCHANT, "m1", T0 + 10 * SECOND, new VelocityReading());
            assertEquals((long) threads * adds, r.countMinute());
            assertEquals(3L * threads * adds, r.sumMinute());
            assertEquals((long) threads * adds, r.countDay());
        }
    }

    @Test
    void shouldSurviveReopenAndBeOwnerOnly() throws Exception {
        Path file = dir.resolve("velocity.dat");
        try (VelocityWindows v = VelocityWindows.open(file, 1000)) {
            v.add(Dimension.BORROWER, "b1", T0, 500);
        }
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        try (VelocityWindows v = VelocityWindows.open(file, 1000)) {
            assertEquals(500, v.read(Dimension.BORROWER, "b1", T0 + MINUTE / 2, new VelocityReading()).sumMinute());
        }
    }

    @Test
    void shouldReuseSlotsOfKeysIdleForADayWhenFull() throws Exception {
        try (VelocityWindows v = VelocityWindows.open(dir.resolve("velocity.dat"), 32)) {
            int added = 0;
            while (v.add(Dimension.IP, "ip-" + added, T0, 1) && added < 10_000) {
                added++;
            }
            assertTrue(added >= v.capacity() / 2, "filled " + added + " of " + v.capacity());
            assertFalse(v.add(Dimension.IP, "one-too-many", T0, 1));
            assertTrue(v.add(Dimension.IP, "next-day", T0 + 26 * HOUR, 7), "a day-old slot is reused");
            VelocityReading r = v.read(Dimension.IP, "next-day", T0 + 26 * HOUR, new VelocityReading());
            assertEquals(1, r.countDay());
            assertEquals(7, r.sumDay());
        }
    }

    /**
     * In a full table the slots a new key's search found busy (taken, not idle for a day) are remembered for the hour
     * (the next new key's search does not read their words again): never past it, never hiding a key a slot holds,
     * and forgotten when {@code setWords} puts older words in a slot (idle then, and reused at once).
     */
    @Test
    void shouldRememberBusySlotsOnlyForTheirHourAndUntilTheirWordsAreSet() throws Exception {
        try (VelocityWindows v = VelocityWindows.open(dir.resolve("velocity.dat"), 32)) {
            assertEquals(64, v.capacity(), "one run of 64 probes covers the table");
            int added = 0;
            while (v.add(Dimension.IP, "ip-" + added, T0, 1) && added < 10_000) {
                added++;
            }
            assertEquals(64, added);
            assertEquals(1, v.refusedKeys(), "the add that found the table full");
            assertFalse(v.add(Dimension.IP, "one-too-many", T0 + HOUR, 1));
            assertFalse(v.add(Dimension.IP, "another", T0 + HOUR + MINUTE, 1), "still full (remembered as busy)");
            assertTrue(v.add(Dimension.IP, "ip-5", T0 + HOUR + MINUTE, 1), "a key the run holds still counts");
            assertEquals(3, v.refusedKeys(), "a key the table holds is never refused");
            assertEquals(2, v.read(Dimension.IP, "ip-5", T0 + HOUR + MINUTE, new VelocityReading()).countDay());
            v.setWords(VelocityWindows.keyHash(Dimension.IP, "ip-7"), new long[VelocityWindows.SLOT_WORDS],
                    T0 + HOUR + MINUTE);
            assertTrue(v.add(Dimension.IP, "after-set", T0 + HOUR + 2 * MINUTE, 3), "the emptied slot is reused");
            assertEquals(3, v.read(Dimension.IP, "after-set", T0 + HOUR + 2 * MINUTE, new VelocityReading())
                    .sumDay());
            assertFalse(v.add(Dimension.IP, "one-too-many", T0 + 2 * HOUR, 1), "full again");
            assertTrue(v.add(Dimension.IP, "next-day", T0 + 26 * HOUR, 7), "a day later every slot is idle");
        }
    }
}
