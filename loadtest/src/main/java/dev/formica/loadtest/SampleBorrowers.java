package dev.formica.loadtest;

import dev.formica.v1.AttributeValue;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Synthetic borrower profiles with a realistic spread: incomes log-normal around 80k CNY a year,
 * consumer credit lines from 500 to 50,000 CNY that grow with income, cash-loan lines for 60 % of
 * borrowers and small-business lines (100k–500k CNY, around 30k average drawn) for 10 %, regions
 * across China's provinces, and bureau attributes (other active lenders, months on book).
 *
 * <p>Ids are {@code "b"} + index: synthetic, deterministic for a seed, no real person behind them.
 * Thread contract: an instance is used by one thread.
 */
public final class SampleBorrowers implements Iterator<Profile> {
    private static final String[] REGIONS = {"CN-11", "CN-31", "CN-44", "CN-33", "CN-32", "CN-51", "CN-42", "CN-37",
        "CN-41", "CN-35"};

    private final long count;
    private final SplittableRandom random;
    private long next;

    public SampleBorrowers(long count, long seed) {
        this.count = count;
        this.random = new SplittableRandom(seed);
    }

    /** The id of borrower {@code index} (0-based). */
    public static String borrowerId(long index) {
        return "b" + index;
    }

    @Override
    public boolean hasNext() {
        return next < count;
    }

    @Override
    public Profile next() {
        if (next >= count) {
            throw new NoSuchElementException();
        }
        long index = next++;
        // log-normal income: median 80,000 CNY, in fen
        double z = gaussian(random);
        long incomeMinor = Math.max(12_000_00L, (long) (80_000_00L * Math.exp(0.6 * z)));
        long consumerLine = roundTo100Yuan(Math.min(50_000_00L, Math.max(500_00L, incomeMinor / 6)));
        Profile.Builder p = Profile.newBuilder()
                .setBorrowerId(borrowerId(index))
                .setRegion(REGIONS[random.nextInt(REGIONS.length)])
                .setAnnualIncomeMinor(incomeMinor)
                .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(consumerLine))
                .putAttributes("bureau.active_lenders", intValue(random.nextInt(100) < 80 ? random.nextInt(3)
                        : 3 + random.nextInt(6)))
                .putAttributes("bureau.months_on_book", intValue(random.nextInt(120)));
        if (random.nextInt(100) < 60) {
            p.addLines(ProductLine.newBuilder().setProduct(Product.CASH_LOAN)
                    .setLineMinor(roundTo100Yuan(Math.min(200_000_00L, incomeMinor / 4))));
        }
        if (random.nextInt(100) < 10) {
            p.addLines(ProductLine.newBuilder().setProduct(Product.BUSINESS_LOAN)
                    .setLineMinor(roundTo100Yuan(100_000_00L + random.nextLong(400_000_00L))));
        }
        if (random.nextInt(100) < 5) {
            p.setSelfLimitMinor(roundTo100Yuan(consumerLine / 2));
        }
        return p.build();
    }

    private static long roundTo100Yuan(long minor) {
        return Math.max(100_00L, minor / 100_00L * 100_00L);
    }

    private static AttributeValue intValue(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    /** A standard normal sample by Box-Muller from {@code random}, so seeded runs repeat exactly. */
    public static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
