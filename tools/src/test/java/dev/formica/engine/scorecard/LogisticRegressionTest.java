package dev.formica.engine.scorecard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** IRLS against closed-form maximum-likelihood answers. */
class LogisticRegressionTest {
    @Test
    void shouldReproduceTheLogOddsOfABinaryFeature() {
        // x = 0: 30 good, 10 bad -> β0 = ln 3; x = 1: 10 good, 10 bad -> β0 + β1 = ln 1
        int n = 60;
        double[][] x = new double[n][1];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            boolean one = i >= 40;
            x[i][0] = one ? 1 : 0;
            y[i] = one ? i < 50 : i < 30;
        }
        double[] beta = LogisticRegression.fit(x, y, 0);
        assertEquals(Math.log(3), beta[0], 1e-9);
        assertEquals(-Math.log(3), beta[1], 1e-9);
    }

    @Test
    void shouldRecoverTheCoefficientsOfSimulatedData() {
        Random random = new Random(7);
        int n = 20_000;
        double[][] x = new double[n][2];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = random.nextGaussian();
            x[i][1] = random.nextGaussian();
            double eta = 0.5 + 1.0 * x[i][0] - 2.0 * x[i][1];
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-eta));
        }
        double[] beta = LogisticRegression.fit(x, y, 0);
        assertEquals(0.5, beta[0], 0.06);
        assertEquals(1.0, beta[1], 0.06);
        assertEquals(-2.0, beta[2], 0.08);
    }

    @Test
    void shouldStillConvergeWithAConstantColumn() {
        double[][] x = {{1, 0}, {1, 1}, {1, 0}, {1, 1}, {1, 0}, {1, 1}};
        boolean[] y = {true, false, true, true, false, false};
        double[] beta = LogisticRegression.fit(x, y, 0);
        // the fitted probabilities still match the two groups' rates (2/3 at x = 0, 1/3 at x = 1)
        assertEquals(2.0 / 3, 1 / (1 + Math.exp(-LogisticRegression.linear(beta, x[0]))), 1e-6);
        assertEquals(1.0 / 3, 1 / (1 + Math.exp(-LogisticRegression.linear(beta, x[1]))), 1e-6);
    }
}
