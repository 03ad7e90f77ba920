package dev.formica.engine.funding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

class FundingQuotasTest {
    private static final long DAY = 20_500;

    @TempDir
    Path dir;

    @Test
    void shouldReserveWithinTheTotalAndTheDailyQuota() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("quotas.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", 1_000, 600)))[0];
            assertTrue(q.tryReserve(bank, 500, DAY));
            assertFalse(q.tryReserve(bank, 101, DAY), "500 + 101 passes the daily 600");
            assertEquals(500, q.usedTotal(bank), "a refused reservation leaves nothing behind");
            assertEquals(100, q.reserveUpTo(bank, 300, DAY), "up to the daily room");
            assertEquals(0, q.remainingToday(bank, DAY));
            assertEquals(400, q.remainingTotal(bank));
            assertTrue(q.tryReserve(bank, 400, DAY + 1), "a new UTC day has a fresh daily quota");
            assertFalse(q.tryReserve(bank, 1, DAY + 1), "but the total is spent");
            assertEquals(0, q.remainingTotal(bank));
            assertEquals(200, q.remainingToday(bank, DAY + 1));
        }
    }

    @Test
    void shouldReturnTheTotalOnReleaseAndTheDailyQuotaOnlyOnTheSameDay() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("quotas.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", 1_000, 500)))[0];
            assertTrue(q.tryReserve(bank, 300, DAY));
            assertTrue(q.tryReserve(bank, 200, DAY));
            q.release(bank, 300, DAY);
            assertEquals(200, q.usedTotal(bank));
            assertEquals(300, q.remainingToday(bank, DAY));

            assertTrue(q.tryReserve(bank, 100, DAY + 1));
            q.release(bank, 200, DAY); // reserved yesterday, released today
            assertEquals(100, q.usedTotal(bank), "the total comes back");
            assertEquals(100, q.usedToday(bank, DAY + 1), "today's use is untouched by yesterday's release");
            q.release(bank, 5_000, DAY + 1);
            assertEquals(0, q.usedTotal(bank), "never below zero");
            assertEquals(0, q.usedToday(bank, DAY + 1));
        }
    }

    @Test
    void shouldKeepCountersAndSlotsAcrossCloseAndReopen() throws Exception {
        Path file = dir.resolve("quotas.dat");
        int bankB;
        try (FundingQuotas q = FundingQuotas.open(file)) {
            int[] slots = q.configure(List.of(new FunderSpec("bankA", 1_000, 1_000),
                    new FunderSpec("bankB", 1_000, 1_000)));
            bankB = slots[1];
            assertTrue(q.tryReserve(bankB, 700, DAY));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (FundingQuotas q = FundingQuotas.open(file)) {
            assertEquals(bankB, q.indexOf("bankB"), "a funder keeps its slot");
            assertEquals(0, q.remainingTotal(bankB), "limits are 0 until configured");
            int[] slots = q.configure(List.of(new FunderSpec("bankC", 5, 5), new FunderSpec("bankB", 1_000, 800)));
            assertEquals(bankB, slots[1]);
            assertEquals(700, q.usedTotal(bankB));
            assertEquals(100, q.remainingToday(bankB, DAY));
            assertFalse(q.tryReserve(bankB, 301, DAY + 1));
            assertEquals(0, q.remainingTotal(q.indexOf("bankA")), "a funder no longer configured takes no more");
        }
    }

    /**
     * A first start that died while it made the table (seen: the JVM refused Agrona's Unsafe after the file was
     * sized) left a file of zeros that every later start refused ("magic 0"): the table is made under another name
     * and renamed only once whole, so such a start leaves at most that leftover, which the next start replaces.
     */
    @Test
    void shouldStartOverAfterAStartThatDiedWhileMakingTheTable() throws Exception {
        Path file = dir.resolve("funding-quotas.dat");
        Path leftover = dir.resolve("funding-quotas.dat.new");
        Files.write(leftover, new byte[4096 + 64]); // sized, never given its header
        try (FundingQuotas q = FundingQuotas.open(file)) {
            int[] slots = q.configure(List.of(new FunderSpec("bankA", 1_000, 1_000)));
            assertTrue(q.tryReserve(slots[0], 10, DAY));
        }
        assertFalse(Files.exists(leftover), "the leftover was replaced and renamed");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (FundingQuotas q = FundingQuotas.open(file)) {
            assertEquals(10, q.usedTotal(q.indexOf("bankA")), "a whole table, opened again");
        }
    }

    @Test
    void shouldRefuseAFileOfAnotherLayoutWithAClearMessage() throws Exception {
        Path garbage = dir.resolve("garbage.dat");
        Files.write(garbage, new byte[4096 + 64]);
        IOException e = assertThrows(IOException.class, () -> FundingQuotas.open(garbage));
        assertTrue(e.getMessage().contains("not a Formica funding quota table"), e.getMessage());

        Path old = dir.resolve("old.dat");
        try (FundingQuotas q = FundingQuotas.open(old)) {
            assertEquals(-1, q.indexOf("x"));
        }
        try (var channel = Files.newByteChannel(old, StandardOpenOption.WRITE)) {
            channel.position(4).write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, 2));
        }
        e = assertThrows(IOException.class, () -> FundingQuotas.open(old));
        assertTrue(e.getMessage().contains("layout version 2") && e.getMessage().contains("move the file aside"),
                e.getMessage());
    }

    @Test
    void shouldRejectADuplicateFunder() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("quotas.dat"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> q.configure(List.of(new FunderSpec("a", 1, 1), new FunderSpec("a", 2, 2))));
            assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
        }
    }

    /** 8 threads reserve 7 or 13 at a time against a total of 10,007: the total is used exactly, never passed. */
    @Test
    void shouldNeverOverAllocateTheTotalUnderConcurrency() throws Exception {
        assertExactUnderConcurrency(10_007, FunderSpec.UNLIMITED_DAILY, 10_007);
    }

    /** The same against a daily quota of 5,003 below the total: the daily quota is used exactly. */
    @Test
    void shouldNeverOverAllocateTheDailyQuotaUnderConcurrency() throws Exception {
        assertExactUnderConcurrency(1_000_000, 5_003, 5_003);
    }

    private void assertExactUnderConcurrency(long total, long daily, long expected) throws Exception {
        int threads = 8;
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("quotas.dat"))) {
            int bank = q.configure(List.of(new FunderSpec("bank", total, daily)))[0];
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    start.await();
                    long mine = 0;
                    int failuresInARow = 0;
                    for (int i = 0; failuresInARow < 1_000; i++) {
                        long amount = (i + seed) % 3 == 0 ? 13 : 7;
                        long got = i % 2 == 0 ? (q.tryReserve(bank, amount, DAY) ? amount : 0)
                                : q.reserveUpTo(bank, amount, DAY);
                        mine += got;
                        failuresInARow = got == 0 ? failuresInARow + 1 : 0;
                    }
                    return mine;
                }));
            }
            start.countDown();
            long granted = 0;
            for (Future<Long> result : results) {
                granted += result.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertEquals(expected, granted, "what the threads were granted");
            assertEquals(granted, daily < total ? q.usedToday(bank, DAY) : q.usedTotal(bank), "what the table counts");
        }
    }

    /**
     * Markets: each market configures its own group of funders (slots {@code CODE:id}); configuring one market (an
     * activation of its rule set) keeps the other markets' limits, where a plain configure would zero them.
     */
    @Test
    void shouldKeepAnotherMarketsFundersWhenOneMarketIsConfigured() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("quotas.dat"))) {
            int cn = q.configure(List.of(new FunderSpec("platform", 1_000, 600)))[0];
            int id = q.configure("ID:", List.of(new FunderSpec("ID:platform", 50_000, 20_000)))[0];
            assertTrue(cn != id, "the two markets' platforms have slots of their own");
            assertEquals(1_000, q.remainingTotal(cn));
            assertEquals(50_000, q.remainingTotal(id));
            q.configure(List.of(new FunderSpec("platform", 2_000, 600))); // the CN rule set activated again
            assertEquals(2_000, q.remainingTotal(cn));
            assertEquals(50_000, q.remainingTotal(id), "the ID limits stay");
            assertTrue(q.tryReserve(id, 20_000, DAY));
            assertFalse(q.tryReserve(cn, 601, DAY), "CN's daily 600 is its own, not shared with ID");
        }
    }
}
