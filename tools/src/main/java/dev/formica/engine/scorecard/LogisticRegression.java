package dev.formica.engine.scorecard;

import org.hipparchus.exception.MathIllegalArgumentException;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.linear.CholeskyDecomposition;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.RealVector;

/**
 * Maximum-likelihood logistic regression by iteratively reweighted least squares (Newton's method), solving
 * each step's normal equations with Hipparchus' Cholesky decomposition. Models
 * {@code ln(P(y)/(1 − P(y))) = β0 + Σ βj·xj}. An optional L2 penalty {@code ridge·Σ βj²/2} (never on the
 * intercept) keeps the problem well posed when features are collinear; a step that lowers the (penalised)
 * likelihood is halved.
 *
 * <p>Thread contract: stateless.
 */
public final class LogisticRegression {
    private static final int MAX_ITERATIONS = 100;
    private static final double TOLERANCE = 1e-10;

    private LogisticRegression() {
    }

    /**
     * Fits the model.
     *
     * @param x one row per observation, one column per feature (no intercept column)
     * @param y the outcome of each observation
     * @param ridge the L2 penalty, 0 for plain maximum likelihood
     * @return the intercept at index 0, then one coefficient per feature
     */
    public static double[] fit(double[][] x, boolean[] y, double ridge) {
        int n = x.length;
        if (n == 0 || n != y.length) {
            throw new IllegalArgumentException("need as many outcomes as rows, and at least one row");
        }
        int p = x[0].length + 1;
        double[] beta = new double[p];
        double loss = loss(x, y, beta, ridge);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            RealMatrix hessian = new Array2DRowRealMatrix(p, p);
            RealVector gradient = new ArrayRealVector(p);
            double[] row = new double[p];
            for (int i = 0; i < n; i++) {
                row[0] = 1;
                System.arraycopy(x[i], 0, row, 1, p - 1);
                double mu = sigmoid(dot(row, beta));
                double w = Math.max(mu * (1 - mu), 1e-12);
                double residual = (y[i] ? 1 : 0) - mu;
                for (int a = 0; a < p; a++) {
                    gradient.addToEntry(a, row[a] * residual);
                    for (int b = 0; b <= a; b++) {
                        hessian.addToEntry(a, b, w * row[a] * row[b]);
                    }
                }
            }
            for (int a = 0; a < p; a++) {
                for (int b = 0; b < a; b++) {
                    hessian.setEntry(b, a, hessian.getEntry(a, b));
                }
                if (a > 0) {
                    hessian.addToEntry(a, a, ridge);
                    gradient.addToEntry(a, -ridge * beta[a]);
                }
            }
            double[] step = solve(hessian, gradient);
            double scale = 1;
            double[] next = new double[p];
            double nextLoss;
            do {
                for (int a = 0; a < p; a++) {
                    next[a] = beta[a] + scale * step[a];
                }
                nextLoss = loss(x, y, next, ridge);
                scale /= 2;
            } while (nextLoss > loss + 1e-12 && scale > 1e-6);
            double change = 0;
            for (int a = 0; a < p; a++) {
                change = Math.max(change, Math.abs(next[a] - beta[a]));
            }
            beta = next;
            loss = nextLoss;
            if (change < TOLERANCE) {
                break;
            }
        }
        return beta;
    }

    /**
     * Solves {@code H·step = g}. A singular {@code H} (a constant or duplicated feature) gets a ridge of a
     * millionth of its mean diagonal, which picks the smallest-norm step instead of failing.
     */
    private static double[] solve(RealMatrix hessian, RealVector gradient) {
        try {
            return new CholeskyDecomposition(hessian, 1e-12, 1e-14).getSolver().solve(gradient).toArray();
        } catch (MathIllegalArgumentException singular) {
            RealMatrix damped = hessian.copy();
            double jitter = 1e-6 * hessian.getTrace() / hessian.getRowDimension();
            for (int a = 0; a < damped.getRowDimension(); a++) {
                damped.addToEntry(a, a, jitter);
            }
            return new CholeskyDecomposition(damped, 1e-12, 1e-14).getSolver().solve(gradient).toArray();
        }
    }

    /** The linear predictor {@code β0 + Σ βj·xj}. */
    public static double linear(double[] beta, double[] x) {
        double s = beta[0];
        for (int j = 0; j < x.length; j++) {
            s += beta[j + 1] * x[j];
        }
        return s;
    }

    private static double loss(double[][] x, boolean[] y, double[] beta, double ridge) {
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            double eta = linear(beta, x[i]);
            // -log-likelihood: ln(1 + e^-eta) for y, ln(1 + e^eta) = eta + ln(1 + e^-eta) otherwise; finite for any eta
            loss += (y[i] ? 0 : eta) + Math.max(-eta, 0) + Math.log1p(Math.exp(-Math.abs(eta)));
        }
        double penalty = 0;
        for (int a = 1; a < beta.length; a++) {
            penalty += beta[a] * beta[a];
        }
        return loss + ridge * penalty / 2;
    }

    private static double sigmoid(double eta) {
        return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
