package dev.formica.engine.funding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.funding.FundingAllocator.Result;
import dev.formica.engine.funding.ProductFunding.Share;
import dev.formica.engine.state.HoldSnapshot;
import dev.formica.v1.Product;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FundingAllocatorTest {
    private static final long NOW = Instant.parse("2026-03-10T12:00:00Z").toEpochMilli();
    private static final long BIG = 1_000_000_000_000L;

    @TempDir
    Path dir;

    /** Platform 30 %, bank A 50 %, bank B 20 %; A before B in preference. */
    private static ProductFunding cashLoan() {
        return new ProductFunding(Product.CASH_LOAN,
                List.of(new Share("platform", 3000), new Share("bankA", 5000), new Share("bankB", 2000)));
    }

    private FundingAllocator allocator(FundingQuotas q, long quotaA, long dailyA, long quotaB, long platformCap,
            ProductFunding... products) {
        return new FundingAllocator(q, List.of(new FunderSpec("bankA", quotaA, dailyA),
                new FunderSpec("bankB", quotaB, FunderSpec.UNLIMITED_DAILY)), List.of(products), 3000, platformCap);
    }

    /**
     * 1,000.01 CNY = 100,001 fen: bank A floor(100,001 × 0.5) = 50,000, bank B floor(100,001 × 0.2) = 20,000, the
     * platform the rest, 30,001 (the rounding fen). Shares: A floor(50,000 × 10,000 / 100,001) = 4,999, B 1,999,
     * the platform 10,000 − 6,998 = 3,002.
     */
    /**
     * Issue 20 finding 2: a regulatory version loaded ahead of its date raises the minimum own share (30 % of
     * REGULATION.md's joint-lending rows to a hypothetical 35 %) at that date, without rebuilding the allocator:
     * the platform funds 35 %, taken from the last listed partner.
     */
    @Test
    void shouldRaiseThePlatformShareToALaterMinimumAtItsDate() throws Exception {
        long from = NOW + 86_400_000L;
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = new FundingAllocator(q, List.of(new FunderSpec("bankA", BIG,
                    FunderSpec.UNLIMITED_DAILY), new FunderSpec("bankB", BIG, FunderSpec.UNLIMITED_DAILY)),
                    List.of(cashLoan()), 3000, BIG, List.of(new FundingAllocator.LaterMinimum(from, 3500)));
            FundingAllocation out = new FundingAllocation();
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, from - 1, out));
            assertEntry(out, 0, "platform", 30_000, 3_000);
            assertEntry(out, 2, "bankB", 20_000, 2_000);
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, from, out));
            assertEntry(out, 0, "platform", 35_000, 3_500);
            assertEntry(out, 1, "bankA", 50_000, 5_000);
            assertEntry(out, 2, "bankB", 15_000, 1_500);
            assertEquals(3500, allocator.platformShareBps(Product.CASH_LOAN, from));
            assertEquals(3000, allocator.platformShareBps(Product.CASH_LOAN, from - 1));
        }
    }

    @Test
    void shouldSplitBySharesExactlyWithTheRoundingToThePlatform() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = allocator(q, BIG, FunderSpec.UNLIMITED_DAILY, BIG, BIG, cashLoan());
            FundingAllocation out = new FundingAllocation();
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_001, NOW, out));
            assertEquals(3, out.count());
            assertEntry(out, 0, "platform", 30_001, 3_002);
            assertEntry(out, 1, "bankA", 50_000, 4_999);
            assertEntry(out, 2, "bankB", 20_000, 1_999);
            assertEquals(30_001, q.usedTotal(allocator.platformIndex()));
            assertEquals(50_000, q.usedTotal(q.indexOf("bankA")));
        }
    }

    @Test
    void shouldShiftAPartnersPartToTheNextPartnerThenDecline() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            // bank A can take 120,000 in total, bank B 100,000
            FundingAllocator allocator = allocator(q, 120_000, FunderSpec.UNLIMITED_DAILY, 100_000, BIG, cashLoan());
            FundingAllocation out = new FundingAllocation();
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            assertEntry(out, 1, "bankA", 50_000, 5_000);
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            // third loan: A has 20,000 left of its 50,000 part; B takes its 20,000 and the 30,000 A could not
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            assertEntry(out, 0, "platform", 30_000, 3_000);
            assertEntry(out, 1, "bankA", 20_000, 2_000);
            assertEntry(out, 2, "bankB", 50_000, 5_000);
            // fourth: A is empty, B has 100,000 − 20,000 − 20,000 − 50,000 = 10,000 of the 70,000 needed
            assertEquals(Result.FUNDING_UNAVAILABLE, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            assertEquals(0, out.count());
            assertEquals(60_000, out.shortfallMinor());
            assertEquals(90_000, q.usedTotal(q.indexOf("bankB")), "the refused loan released what it reserved");
            assertEquals(90_000, q.usedTotal(allocator.platformIndex()));
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 10_000, NOW, out),
                    "a smaller loan still fits");
        }
    }

    @Test
    void shouldLetThePlatformAbsorbAShortfallOnlyUpToItsMaximumShare() throws Exception {
        ProductFunding absorbing = new ProductFunding(Product.CASH_LOAN, cashLoan().shares(), 6000);
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = allocator(q, 0, 0, 10_000, BIG, absorbing);
            FundingAllocation out = new FundingAllocation();
            // 100,000: A has nothing, B takes 10,000 of the 70,000; the platform may hold 60,000: 30,000 + 30,000
            assertEquals(Result.FUNDING_UNAVAILABLE, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            assertEquals(30_000, out.shortfallMinor());
            assertEquals(0, q.usedTotal(allocator.platformIndex()));
            // 25,000: parts 7,500 / 12,500 / 5,000; B takes its 5,000 and 5,000 of A's (all it has), the platform
            // the last 7,500 on top of its own: 15,000 = 60 %, exactly its maximum
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 25_000, NOW, out));
            assertEntry(out, 0, "platform", 15_000, 6_000);
            assertEntry(out, 1, "bankB", 10_000, 4_000);
            assertEquals(2, out.count(), "bank A funds nothing and is not listed");
        }
    }

    @Test
    void shouldDeclineWhenThePlatformsLeverageCapIsReached() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = allocator(q, BIG, FunderSpec.UNLIMITED_DAILY, BIG, 45_000, cashLoan());
            FundingAllocation out = new FundingAllocation();
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            assertEquals(Result.FUNDING_UNAVAILABLE, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out),
                    "the platform's 30,000 would take its exposure to 60,000, over the 45,000 cap");
            assertEquals(30_000, out.shortfallMinor());
            assertEquals(50_000, q.usedTotal(q.indexOf("bankA")), "no partner quota was taken");
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 50_000, NOW, out));
            assertEquals(45_000, q.usedTotal(allocator.platformIndex()));
        }
    }

    @Test
    void shouldResetThePartnersDailyQuotaAtTheUtcDayBoundary() throws Exception {
        long lastMs = Instant.parse("2026-03-10T23:59:59.999Z").toEpochMilli();
        long nextDay = lastMs + 1;
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = new FundingAllocator(q, List.of(new FunderSpec("bankA", BIG, 70_000)),
                    List.of(new ProductFunding(Product.CONSUMER_CREDIT,
                            List.of(new Share("platform", 3000), new Share("bankA", 7000)))), 3000, BIG);
            FundingAllocation out = new FundingAllocation();
            assertEquals(Result.FUNDED, allocator.allocate(Product.CONSUMER_CREDIT, 100_000, NOW, out));
            assertEquals(Result.FUNDING_UNAVAILABLE, allocator.allocate(Product.CONSUMER_CREDIT, 100, lastMs, out));
            assertEquals(Result.FUNDED, allocator.allocate(Product.CONSUMER_CREDIT, 100_000, nextDay, out));
            assertEquals(FundingQuotas.dayIndex(nextDay), out.dayIndex());
        }
    }

    @Test
    void shouldReturnQuotaOnRelease() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = allocator(q, 50_000, 50_000, 20_000, 30_000, cashLoan());
            FundingAllocation out = new FundingAllocation();
            FundingAllocation held = new FundingAllocation();
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            held.copyFrom(out);
            assertEquals(Result.FUNDING_UNAVAILABLE, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
            allocator.release(held); // Cancel or hold expiry
            assertEquals(0, q.usedTotal(allocator.platformIndex()));
            assertEquals(50_000, q.remainingToday(q.indexOf("bankA"), FundingQuotas.dayIndex(NOW)));
            assertEquals(Result.FUNDED, allocator.allocate(Product.CASH_LOAN, 100_000, NOW, out));
        }
    }

    @Test
    void shouldFitASplitIntoAHold() {
        assertEquals(HoldSnapshot.MAX_FUNDING_SPLITS, FundingAllocation.MAX_SHARES);
        assertMessage("1..4 funders", () -> new ProductFunding(Product.CASH_LOAN, List.of(new Share("platform", 6000),
                new Share("a", 1000), new Share("b", 1000), new Share("c", 1000), new Share("d", 1000))));
    }

    @Test
    void shouldAnswerUnavailableForAProductWithoutASplit() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = allocator(q, BIG, BIG >> 30, BIG, BIG, cashLoan());
            FundingAllocation out = new FundingAllocation();
            assertEquals(Result.FUNDING_UNAVAILABLE, allocator.allocate(Product.BUSINESS_LOAN, 1_000, NOW, out));
            assertEquals(1_000, out.shortfallMinor());
        }
    }

    @Test
    void shouldRejectAnInvalidConfigurationWithAClearMessage() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            assertMessage("add up to 9000", () -> new ProductFunding(Product.CASH_LOAN,
                    List.of(new Share("platform", 3000), new Share("bankA", 6000))));
            assertMessage("must fund a share", () -> new ProductFunding(Product.CASH_LOAN,
                    List.of(new Share("bankA", 10_000))));
            assertMessage("listed twice", () -> new ProductFunding(Product.CASH_LOAN,
                    List.of(new Share("platform", 5000), new Share("platform", 5000))));
            ProductFunding lowPlatform = new ProductFunding(Product.CASH_LOAN,
                    List.of(new Share("platform", 2000), new Share("bankA", 8000)));
            assertMessage("below the minimum own share of 3000", () -> allocator(q, 1, 1, 1, 1, lowPlatform));
            ProductFunding unknown = new ProductFunding(Product.CASH_LOAN,
                    List.of(new Share("platform", 3000), new Share("bankZ", 7000)));
            assertMessage("unknown funder bankZ", () -> allocator(q, 1, 1, 1, 1, unknown));
            assertMessage("reserved for the platform", () -> new FundingAllocator(q,
                    List.of(new FunderSpec("platform", 1, 1)), List.of(), 3000, 1));
            assertMessage("max_platform_share_bps", () -> new ProductFunding(Product.CASH_LOAN,
                    cashLoan().shares(), 2000));
        }
    }

    /**
     * 8 threads take 1,000-fen loans (platform 300, bank 700) against a bank quota of 700,000 and a platform cap of
     * 1,000,000, 4,000 attempts for 1,000 loans' worth: exactly 1,000 are funded, the bank's quota is used to the
     * fen, and what the table counts equals the sum of the funded parts.
     */
    @Test
    void shouldNeverOverAllocateAPartnerUnderConcurrentDecisions() throws Exception {
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = new FundingAllocator(q, List.of(new FunderSpec("bank", 700_000, 800_000)),
                    List.of(new ProductFunding(Product.CASH_LOAN,
                            List.of(new Share("platform", 3000), new Share("bank", 7000)))), 3000, 1_000_000);
            List<FundingAllocation> funded = runConcurrently(allocator, i -> NOW);
            long bank = 0;
            long platform = 0;
            for (FundingAllocation a : funded) {
                platform += a.amountMinor(0);
                bank += a.amountMinor(1);
            }
            assertEquals(1_000, funded.size());
            assertEquals(700_000, bank);
            assertEquals(300_000, platform);
            assertEquals(bank, q.usedTotal(q.indexOf("bank")));
            assertEquals(platform, q.usedTotal(allocator.platformIndex()));
        }
    }

    /**
     * The same across midnight, threads disagreeing on the day (every third attempt still on the old day), two
     * partners with small daily quotas and shifting between them: no quota is ever passed, the table counts exactly
     * the funded parts, and releasing every funded loan gives every fen back, today's quota included.
     */
    @Test
    void shouldKeepQuotasExactAcrossMidnightUnderConcurrentDecisions() throws Exception {
        long beforeMidnight = Instant.parse("2026-03-10T23:59:59.990Z").toEpochMilli();
        long afterMidnight = beforeMidnight + 20;
        long today = FundingQuotas.dayIndex(afterMidnight);
        try (FundingQuotas q = FundingQuotas.open(dir.resolve("q.dat"))) {
            FundingAllocator allocator = new FundingAllocator(q, List.of(new FunderSpec("bankA", 600_000, 150_000),
                    new FunderSpec("bankB", 600_000, 120_000)), List.of(cashLoan()), 3000, 2_000_000);
            List<FundingAllocation> funded = runConcurrently(allocator,
                    i -> i < 100 || i % 3 == 0 ? beforeMidnight : afterMidnight);
            int a = q.indexOf("bankA");
            int b = q.indexOf("bankB");
            long[] used = new long[FundingQuotas.CAPACITY];
            long[] usedToday = new long[FundingQuotas.CAPACITY];
            int late = 0;
            for (FundingAllocation f : funded) {
                long sum = 0;
                for (int e = 0; e < f.count(); e++) {
                    late += f.chargedDayIndex(e) != f.dayIndex() ? 1 : 0;
                    used[f.funderIndex(e)] += f.amountMinor(e);
                    if (f.chargedDayIndex(e) == today) {
                        usedToday[f.funderIndex(e)] += f.amountMinor(e);
                    }
                    sum += f.amountMinor(e);
                }
                assertEquals(1_000, sum);
            }
            for (int funder : new int[] {a, b, allocator.platformIndex()}) {
                assertEquals(used[funder], q.usedTotal(funder), q.funderId(funder));
                // a funder without a daily limit (the platform) is not counted per day
                long expectedToday = q.dailyQuota(funder) >= FunderSpec.UNLIMITED_DAILY ? 0 : usedToday[funder];
                assertEquals(expectedToday, q.usedToday(funder, today), q.funderId(funder));
                assertTrue(q.usedToday(funder, today) <= q.dailyQuota(funder), q.funderId(funder));
                assertTrue(q.usedTotal(funder) <= q.totalQuota(funder), q.funderId(funder));
            }
            assertTrue(funded.size() < 4_000, "the daily quotas ran out");
            assertTrue(late > 0, "some decisions of the old day were charged to the new one");
            for (FundingAllocation f : funded) { // as a hold stores them: stored funder, amount, decision time
                for (int e = 0; e < f.count(); e++) {
                    allocator.releaseStored(f.storedFunder(e), f.amountMinor(e), f.dayIndex() * 86_400_000L);
                }
            }
            for (int funder : new int[] {a, b, allocator.platformIndex()}) {
                assertEquals(0, q.usedTotal(funder), q.funderId(funder));
                assertEquals(0, q.usedToday(funder, today), q.funderId(funder));
            }
        }
    }

    /** 8 threads × 500 attempts of 1,000-fen cash loans from a start gate; returns copies of the funded ones. */
    private static List<FundingAllocation> runConcurrently(FundingAllocator allocator,
            java.util.function.IntToLongFunction clock) throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<FundingAllocation>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    FundingAllocation out = new FundingAllocation();
                    List<FundingAllocation> mine = new ArrayList<>();
                    start.await();
                    for (int i = 0; i < 500; i++) {
                        if (allocator.allocate(Product.CASH_LOAN, 1_000, clock.applyAsLong(i), out) == Result.FUNDED) {
                            mine.add(new FundingAllocation().copyFrom(out));
                        }
                    }
                    return mine;
                }));
            }
            start.countDown();
            List<FundingAllocation> funded = new ArrayList<>();
            for (Future<List<FundingAllocation>> result : results) {
                funded.addAll(result.get(60, TimeUnit.SECONDS));
            }
            return funded;
        } finally {
            pool.shutdown();
        }
    }

    private static void assertEntry(FundingAllocation out, int entry, String id, long amount, int bps) {
        assertEquals(id, out.funderId(entry), "funder of entry " + entry);
        assertEquals(amount, out.amountMinor(entry), "amount of " + id);
        assertEquals(bps, out.shareBps(entry), "share of " + id);
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
