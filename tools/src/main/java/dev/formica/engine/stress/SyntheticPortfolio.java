package dev.formica.engine.stress;

import dev.formica.v1.AttributeValue;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A reproducible synthetic consumer-credit portfolio: N borrowers with bureau attributes, an income and a
 * line, and one purchase each. The same seed gives the same portfolio, so two scenarios compare like for like.
 *
 * <p>Thread contract: immutable once built.
 */
public record SyntheticPortfolio(List<Profile> profiles, List<StressTest.Replay> requests) {
    /** 1,000 s after this instant the first purchase happens; purchases are a second apart. */
    public static final long START_MS = 1_780_000_000_000L;

    public static SyntheticPortfolio generate(int borrowers, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Profile> profiles = new ArrayList<>(borrowers);
        List<StressTest.Replay> requests = new ArrayList<>(borrowers);
        String[] housing = {"own", "mortgage", "rent", "family"};
        for (int b = 0; b < borrowers; b++) {
            String id = "synthetic-" + b;
            // Incomes 60,000 .. 600,000 CNY a year, skewed low.
            long income = 6_000_000 + (long) (54_000_000 * Math.pow(random.nextDouble(), 2));
            long line = Math.min(5_000_000, Math.max(50_000, income / 10_000 * (1_000 + random.nextInt(4_001))))
                    / 10_000 * 10_000;
            Profile p = Profile.newBuilder().setBorrowerId(id).setRegion("CN-31").setAnnualIncomeMinor(income)
                    .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT).setLineMinor(line))
                    .putAttributes("bureau.active_lenders", i(weighted(random, 0, 0, 0, 1, 1, 2, 3, 4)))
                    .putAttributes("bureau.months_on_book", i(random.nextInt(120)))
                    .putAttributes("bureau.overdue_24m", i(weighted(random, 0, 0, 0, 0, 0, 1, 2, 3)))
                    .putAttributes("bureau.max_dpd_12m", i(weighted(random, 0, 0, 0, 0, 0, 0, 15, 45)))
                    .putAttributes("bureau.inquiries_3m", i(random.nextInt(6)))
                    .putAttributes("bureau.debt_to_income_bps", i(random.nextInt(6_500)))
                    .putAttributes("employment.months", i(random.nextInt(180)))
                    .putAttributes("housing", AttributeValue.newBuilder()
                            .setStringValue(housing[random.nextInt(housing.length)]).build())
                    .putAttributes("age", i(20 + random.nextInt(45)))
                    .putAttributes("kyc.level", i(1 + random.nextInt(3)))
                    .build();
            profiles.add(p);
            long amount = Math.max(100, line * (5 + random.nextInt(96)) / 100);
            int[] installments = {1, 3, 6, 12};
            requests.add(new StressTest.Replay(DecisionRequest.newBuilder().setRequestId("synthetic-request-" + b)
                    .setBorrowerId(id).setProduct(Product.CONSUMER_CREDIT).setAmountMinor(amount).setCurrency("CNY")
                    .setRegion("CN-31").setInstallments(installments[random.nextInt(installments.length)]).build(),
                    START_MS + 1_000_000L + 1_000L * b));
        }
        return new SyntheticPortfolio(List.copyOf(profiles), List.copyOf(requests));
    }

    private static AttributeValue i(long v) {
        return AttributeValue.newBuilder().setIntValue(v).build();
    }

    private static int weighted(SplittableRandom random, int... values) {
        return values[random.nextInt(values.length)];
    }
}
