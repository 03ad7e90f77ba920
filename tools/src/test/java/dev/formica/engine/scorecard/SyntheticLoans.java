package dev.formica.engine.scorecard;

import java.util.Locale;
import java.util.Random;

/**
 * A seeded synthetic loan book in ARFF: income (double), age (int), region (nominal), a coin toss (noise) and
 * years-at-job (int, 10 % missing, and missing is bad news), with the class drawn from a known logistic model.
 */
final class SyntheticLoans {
    private SyntheticLoans() {
    }

    /** {@code flipFrom}: rows from this index on get the opposite label (to prove the fit never reads them). */
    static String arff(int rows, long seed, int flipFrom) {
        Random random = new Random(seed);
        StringBuilder a = new StringBuilder();
        a.append("% synthetic loans\n@relation synthetic\n")
                .append("@attribute income numeric\n")
                .append("@attribute age numeric\n")
                .append("@attribute region {north, south, east, west}\n")
                .append("@attribute coin {heads, tails}\n")
                .append("@attribute 'years-at-job' numeric\n")
                .append("@attribute class {good, bad}\n@data\n");
        String[] regions = {"north", "south", "east", "west"};
        double[] regionEffect = {0.8, -0.6, 0, 0.3};
        for (int i = 0; i < rows; i++) {
            double z = random.nextGaussian();
            double income = Math.round(Math.exp(10 + 0.5 * z) * 100) / 100.0;
            int age = 18 + random.nextInt(53);
            int region = random.nextInt(4);
            boolean heads = random.nextBoolean();
            boolean yearsMissing = random.nextDouble() < 0.1;
            int years = random.nextInt(20);
            double eta = 0.7 + 0.8 * z + 0.03 * (age - 40) + regionEffect[region]
                    + (yearsMissing ? -0.7 : 0.1 * Math.min(years, 10) - 0.5);
            boolean good = random.nextDouble() < 1 / (1 + Math.exp(-eta));
            if (i >= flipFrom) {
                good = !good;
            }
            a.append(String.format(Locale.ROOT, "%.2f,%d,%s,%s,%s,%s%n", income, age, regions[region],
                    heads ? "heads" : "tails", yearsMissing ? "?" : Integer.toString(years), good ? "good" : "bad"));
        }
        return a.toString();
    }
}
