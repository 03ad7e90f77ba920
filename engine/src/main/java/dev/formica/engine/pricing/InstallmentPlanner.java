package dev.formica.engine.pricing;

import dev.formica.v1.Fee;
import dev.formica.v1.Installment;
import dev.formica.v1.InstallmentPlan;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Equal-installment (annuity, 等额本息) plans computed exactly in minor units, with every fee itemised and the
 * annualised rate of the borrower's actual cash flows.
 *
 * <p>Thread contract: stateless and thread-safe; any thread may call any method at once. The only shared state
 * is a lock-free memo of annuity factors per (APR, n): immutable entries in an {@link AtomicReferenceArray}.
 * {@link #plan(long, int, int, long, List, InstallmentSchedule)} into a reused {@link InstallmentSchedule}
 * allocates nothing once the factor of its (APR, n) is memoised; {@link #toProto} builds the protobuf.
 *
 * <p>Arithmetic (all exact, {@code long} or {@link BigInteger}; {@code double} only for the IRR, a rate):
 * <ul>
 *   <li>monthly rate {@code r = aprBps / 120,000} (the APR is nominal: 12 equal monthly periods);</li>
 *   <li>installment {@code A = roundHalfEven(P · r(1+r)^n / ((1+r)^n − 1))}; with APR 0, {@code A = floor(P / n)};</li>
 *   <li>period {@code k < n}: interest {@code I_k = roundHalfEven(O_{k−1} · aprBps / 120,000)} on the outstanding
 *       principal {@code O_{k−1}}, principal {@code min(A − I_k, O_{k−1})};</li>
 *   <li>period {@code n}: principal = everything still outstanding (so principals add up to {@code P} exactly),
 *       interest as above — the rounding remainder lands on the last installment;</li>
 *   <li>fees: see {@link FeeSpec}; per-installment fees add to each period's total;</li>
 *   <li>periods are calendar months in UTC from the start (see {@link InstallmentSchedule#dueMs(int)});
 *       the IRR counts periods, so it does not depend on month lengths;</li>
 *   <li>annualised rate: effective (compound) annual rate {@code (1 + i)^12 − 1} of the monthly IRR {@code i}
 *       of: the borrower receives {@code P − upfront fees} at the start and pays each period's total at its due
 *       date. The PBoC 2021 announcement on rate disclosure allows a compound or a simple annualisation and asks
 *       a simple one to be labelled; Formica reports the compound one. The simple {@code i × 12} is
 *       {@link InstallmentSchedule#nominalAnnualRateBps()}.</li>
 * </ul>
 */
public final class InstallmentPlanner {
    /** Longest plan, months. */
    public static final int MAX_INSTALLMENTS = 36;
    /** Most fees on one product. */
    public static final int MAX_FEES = 16;
    /** Largest principal, minor units (100 billion CNY): keeps every product of the arithmetic inside a long. */
    public static final long MAX_PRINCIPAL_MINOR = 10_000_000_000_000L;
    /** Highest APR accepted, basis points (1,000 %): a bound for the arithmetic, not a price. */
    public static final int MAX_APR_BPS = 100_000;

    private static final long MONTHLY_DENOMINATOR = 120_000L; // basis points × 12 months
    private static final BigInteger BIG_DENOMINATOR = BigInteger.valueOf(MONTHLY_DENOMINATOR);
    private static final long HALF = Long.MIN_VALUE; // 2^63 as an unsigned 64-bit fraction
    /**
     * Direct-mapped by {@code 37 × APR + n}: the APRs of one n below 8,192 bps never share a slot (37 is odd), so the
     * cap's APR bisection, whose probes for one plan length lie below the grade's APR, computes each factor once (at
     * 1,024 slots, APRs 1,024 bps apart evicted each other: the last 3 B/op of ShardProcessorBenchmark).
     */
    private static final int FACTOR_SLOTS = 8192;

    /** Annuity factor F = r(1+r)^n/((1+r)^n − 1) as floor(F · 2^64) = hi · 2^64 + unsigned lo. */
    private record Factor(int aprBps, int installments, long hi, long lo) {
    }

    private final AtomicReferenceArray<Factor> factors = new AtomicReferenceArray<>(FACTOR_SLOTS);
    /** False: every probe of the cap's bisection solves its IRR (tests compare the two; see {@link #fits}). */
    private final boolean screenProbes;

    public InstallmentPlanner() {
        this(true);
    }

    /** A planner whose cap bisection screens its probes or not (tests: the screened answer equals the full one). */
    InstallmentPlanner(boolean screenProbes) {
        this.screenProbes = screenProbes;
    }

    /**
     * Computes the plan into {@code out} and returns it.
     *
     * @param principalMinor the amount lent, 1..{@link #MAX_PRINCIPAL_MINOR}
     * @param aprBps         nominal APR, basis points, 0..{@link #MAX_APR_BPS}
     * @param installments   monthly installments, 1..36 (1 = everything due one month after the start; a request's
     *                       0 means 1)
     * @param startMs        disbursement time, epoch ms; installment k is due k calendar months later (UTC)
     * @param fees           the product's fees (at most {@link #MAX_FEES}); upfront fees must stay below the principal
     * @throws IllegalArgumentException naming the field when an input is out of range
     */
    public InstallmentSchedule plan(long principalMinor, int aprBps, int installments, long startMs,
            List<FeeSpec> fees, InstallmentSchedule out) {
        return plan(principalMinor, aprBps, installments, startMs, fees, FULL_FEES, out);
    }

    /** What {@link #planWithin} did to keep the annualised rate at or below the cap. */
    public enum CapResult {
        /** No cap, or the plan at the asked price is within it: nothing changed. */
        WITHIN,
        /** Fees were lowered (APR unchanged) until the plan fits. */
        FEES_LOWERED,
        /** Every fee was waived and the APR lowered until the plan fits. */
        APR_LOWERED,
        /** Above the cap and lowering was not asked for: {@code out} holds the plan at the asked price. */
        ABOVE_CAP
    }

    /**
     * Plans the loan so that its {@link InstallmentSchedule#annualisedRateBps()} is at most {@code capBps}.
     * With {@code lower}, a price above the cap is lowered, fees first (every fee scaled down by the same factor,
     * in steps of 1 bp of itself, rounded down), then the APR with no fee at all, each to the highest value that
     * fits (found by bisection; with APR 0 and no fee the rate is 0, so a plan always fits). Without it, the plan
     * at the asked price is left in {@code out} and {@link CapResult#ABOVE_CAP} answered.
     *
     * @param capBps the cap on the annualised rate, basis points; negative = no cap
     * @throws IllegalArgumentException as {@link #plan(long, int, int, long, List, InstallmentSchedule)}
     */
    public CapResult planWithin(long principalMinor, int aprBps, int installments, long startMs, List<FeeSpec> fees,
            long capBps, boolean lower, InstallmentSchedule out) {
        plan(principalMinor, aprBps, installments, startMs, fees, FULL_FEES, out);
        if (capBps < 0 || out.annualisedRateBps <= capBps) {
            return CapResult.WITHIN;
        }
        if (!lower) {
            return CapResult.ABOVE_CAP;
        }
        // the monthly rates at the edges of the band around the cap's rounding boundary (NaN: no screening)
        boolean screened = screenProbes && capBps <= SCREENED_CAP_BPS;
        double low = screened ? monthlyRateOf(capBps + 0.5 - BAND_BPS) : Double.NaN;
        double high = screened ? monthlyRateOf(capBps + 0.5 + BAND_BPS) : Double.NaN;
        if (fits(principalMinor, aprBps, installments, startMs, fees, 0, capBps, low, high, out)) {
            int fits = 0; // invariant: the fee scale `fits` is within the cap, `over` is not
            int over = FULL_FEES;
            while (over - fits > 1) {
                int mid = (fits + over) >>> 1;
                if (fits(principalMinor, aprBps, installments, startMs, fees, mid, capBps, low, high, out)) {
                    fits = mid;
                } else {
                    over = mid;
                }
            }
            plan(principalMinor, aprBps, installments, startMs, fees, fits, out);
            return CapResult.FEES_LOWERED;
        }
        int fits = 0;
        int over = aprBps;
        while (over - fits > 1) {
            int mid = (fits + over) >>> 1;
            if (fits(principalMinor, mid, installments, startMs, fees, 0, capBps, low, high, out)) {
                fits = mid;
            } else {
                over = mid;
            }
        }
        plan(principalMinor, fits, installments, startMs, fees, 0, out);
        return CapResult.APR_LOWERED;
    }

    /**
     * Below this cap (a 100,000 % annual rate) a probe may be screened ({@link #fits}); above it every probe is
     * planned in full, so {@link AnnualisedRate#toBps}'s saturation never has to be reasoned about.
     */
    private static final long SCREENED_CAP_BPS = 10_000_000L;
    /**
     * Half the width of the band of annual rates around the cap's rounding boundary ({@code cap + 0.5} bp: a rate
     * below it rounds to at most the cap, above it to more) in which a probe is planned in full, basis points:
     * 10^-2 bp is about 10^-8 in the monthly rate, five orders of magnitude above the IRR's tolerance (10^-13)
     * and its floating-point error, so outside the band the sign of the NPV at the band's edge
     * decides the comparison exactly as the full IRR would.
     */
    private static final double BAND_BPS = 0.01;

    /** The monthly rate whose effective annual rate is {@code annualBps}: {@code (1 + bps/10^4)^(1/12) − 1}. */
    private static double monthlyRateOf(double annualBps) {
        return Math.pow(1 + annualBps / 10_000, 1.0 / 12) - 1;
    }

    /**
     * Whether the plan at this price is within the cap, as {@code out.annualisedRateBps <= capBps} after a full
     * {@link #plan} would say, for the bisection's probes, whose plan is not kept ({@code out} is left with the probe's
     * schedule but not its rate). The IRR is solved (five to ten passes over the periods, and a {@code pow}) only when
     * it lies within {@link #BAND_BPS} of the cap's rounding boundary; elsewhere one pass, the NPV at the band's edge,
     * decides: the NPV rises with the rate and is zero at the IRR, so a positive NPV at the low edge puts the IRR
     * (and the full plan's rate, within 10^-13 of it) below the boundary, a negative one at the high edge above it.
     */
    private boolean fits(long principalMinor, int aprBps, int installments, long startMs, List<FeeSpec> fees,
            int feeScaleBps, long capBps, double low, double high, InstallmentSchedule out) {
        if (Double.isNaN(low)) {
            plan(principalMinor, aprBps, installments, startMs, fees, feeScaleBps, out);
            return out.annualisedRateBps <= capBps;
        }
        schedule(principalMinor, aprBps, installments, startMs, fees, feeScaleBps, out);
        long advance = principalMinor - out.upfrontFeesMinor;
        if (AnnualisedRate.npv(advance, out.total, installments, low) > 0) {
            return true;
        }
        if (AnnualisedRate.npv(advance, out.total, installments, high) < 0) {
            return false;
        }
        rate(out);
        return out.annualisedRateBps <= capBps;
    }

    /** A fee scale of 10,000 bps: every fee at its full amount. */
    private static final int FULL_FEES = 10_000;

    /**
     * As {@link #plan(long, int, int, long, List, InstallmentSchedule)} with every fee's amount scaled to
     * {@code floor(amount × feeScaleBps / 10,000)}.
     */
    private InstallmentSchedule plan(long principalMinor, int aprBps, int installments, long startMs,
            List<FeeSpec> fees, int feeScaleBps, InstallmentSchedule out) {
        schedule(principalMinor, aprBps, installments, startMs, fees, feeScaleBps, out);
        rate(out);
        return out;
    }

    /** The plan's periods, fees and totals into {@code out}, without its rate ({@link #rate}). */
    private void schedule(long principalMinor, int aprBps, int installments, long startMs,
            List<FeeSpec> fees, int feeScaleBps, InstallmentSchedule out) {
        validate(principalMinor, aprBps, installments, fees);
        int n = installments;
        out.installments = n;
        out.principalMinor = principalMinor;
        out.aprBps = aprBps;
        out.startMs = startMs;

        long level = aprBps == 0 ? principalMinor / n : annuity(principalMinor, aprBps, n);
        out.installmentMinor = level;
        long outstanding = principalMinor;
        long interestSum = 0;
        for (int k = 1; k <= n; k++) {
            long interest = Rounding.divideHalfEven(outstanding * aprBps, MONTHLY_DENOMINATOR);
            long principal = k == n ? outstanding : Math.min(level - interest, outstanding);
            out.interest[k] = interest;
            out.principal[k] = principal;
            out.fee[k] = 0;
            outstanding -= principal;
            interestSum += interest;
        }
        out.totalInterestMinor = interestSum;

        int feeCount = fees.size();
        long upfront = 0;
        long feeSum = 0;
        for (int f = 0; f < feeCount; f++) {
            FeeSpec spec = fees.get(f);
            long amount = spec.amountFor(principalMinor);
            if (feeScaleBps != FULL_FEES) {
                amount = amount * feeScaleBps / FULL_FEES; // amount <= 2·10^13: the product fits a long
            }
            out.feeAmounts[f] = amount;
            feeSum += amount;
            if (spec.timing() == FeeSpec.Timing.UPFRONT) {
                upfront += amount;
            } else {
                long each = amount / n;
                for (int k = 1; k <= n; k++) {
                    out.fee[k] += each;
                }
                out.fee[n] += amount - each * n;
            }
        }
        if (upfront >= principalMinor) {
            throw new IllegalArgumentException("fees: upfront fees of " + upfront
                    + " minor units leave nothing of a principal of " + principalMinor);
        }
        out.feeCount = feeCount;
        out.upfrontFeesMinor = upfront;
        out.totalFeesMinor = feeSum;
        for (int k = 1; k <= n; k++) {
            out.total[k] = out.principal[k] + out.interest[k] + out.fee[k];
        }
    }

    /** The monthly IRR and the annualised rate of the schedule in {@code out}. */
    private static void rate(InstallmentSchedule out) {
        out.monthlyIrr = AnnualisedRate.monthlyIrr(out.principalMinor - out.upfrontFeesMinor, out.total,
                out.installments);
        out.annualisedRateBps = AnnualisedRate.toBps(AnnualisedRate.effectiveAnnual(out.monthlyIrr));
    }

    /** Computes the plan and returns it as protobuf (allocates; for the response edge). */
    public InstallmentPlan plan(long principalMinor, int aprBps, int installments, long startMs, List<FeeSpec> fees) {
        return toProto(plan(principalMinor, aprBps, installments, startMs, fees, new InstallmentSchedule()), fees);
    }

    /** The schedule as {@code InstallmentPlan}; {@code fees} must be the list the schedule was planned with. */
    public static InstallmentPlan toProto(InstallmentSchedule schedule, List<FeeSpec> fees) {
        if (fees.size() != schedule.feeCount) {
            throw new IllegalArgumentException("fees: " + fees.size() + " given, the schedule was planned with "
                    + schedule.feeCount);
        }
        InstallmentPlan.Builder plan = InstallmentPlan.newBuilder().setInstallments(schedule.installments);
        for (int k = 1; k <= schedule.installments; k++) {
            plan.addPeriods(Installment.newBuilder()
                    .setNumber(k)
                    .setDueMs(schedule.dueMs(k))
                    .setPrincipalMinor(schedule.principal[k])
                    .setInterestMinor(schedule.interest[k])
                    .setFeeMinor(schedule.fee[k])
                    .setTotalMinor(schedule.total[k]));
        }
        for (int f = 0; f < schedule.feeCount; f++) {
            FeeSpec spec = fees.get(f);
            plan.addFees(Fee.newBuilder().setCode(spec.code()).setText(spec.text())
                    .setAmountMinor(schedule.feeAmounts[f]));
        }
        return plan.setTotalInterestMinor(schedule.totalInterestMinor())
                .setTotalFeesMinor(schedule.totalFeesMinor())
                .setTotalCostMinor(schedule.totalCostMinor())
                .setTotalRepaymentMinor(schedule.totalRepaymentMinor())
                .setAnnualisedRateBps(schedule.annualisedRateBps())
                .build();
    }

    private static void validate(long principalMinor, int aprBps, int installments, List<FeeSpec> fees) {
        if (principalMinor < 1 || principalMinor > MAX_PRINCIPAL_MINOR) {
            throw new IllegalArgumentException("principal_minor: must be 1.." + MAX_PRINCIPAL_MINOR + ", was "
                    + principalMinor);
        }
        if (aprBps < 0 || aprBps > MAX_APR_BPS) {
            throw new IllegalArgumentException("apr_bps: must be 0.." + MAX_APR_BPS + ", was " + aprBps);
        }
        if (installments < 1 || installments > MAX_INSTALLMENTS) {
            throw new IllegalArgumentException("installments: must be 1.." + MAX_INSTALLMENTS + ", was "
                    + installments);
        }
        if (fees == null || fees.size() > MAX_FEES) {
            throw new IllegalArgumentException("fees: at most " + MAX_FEES + " fees, was "
                    + (fees == null ? "null" : fees.size()));
        }
    }

    /**
     * {@code roundHalfEven(P · F)} from the memoised 64-bit fraction of F: the truncation of F costs less than
     * {@code P · 2^-64} of a minor unit, so the rounding is decided exactly unless the product lies within that
     * much of a half, where the exact quotient decides (in a long for one installment, else {@link BigInteger}).
     */
    long annuity(long principalMinor, int aprBps, int n) {
        Factor factor = factor(aprBps, n);
        long lo = factor.lo();
        long high = Math.multiplyHigh(principalMinor, lo) + ((lo >> 63) & principalMinor); // unsigned P × lo
        long fraction = principalMinor * lo;
        long whole = principalMinor * factor.hi() + high;
        long distanceFromHalf = fraction - HALF; // unsigned fraction − 2^63, as a signed distance
        if (distanceFromHalf > -principalMinor - 2 && distanceFromHalf < 2) {
            // over one month F = (120,000 + APR) / 120,000 and P · F is near a half for one principal in a few hundred
            // (an exact tie): exact in a long (P · 220,000 < 2^63), no BigDecimal
            return n == 1
                    ? Rounding.divideHalfEven(principalMinor * (MONTHLY_DENOMINATOR + aprBps), MONTHLY_DENOMINATOR)
                    : exactAnnuity(principalMinor, aprBps, n);
        }
        return Long.compareUnsigned(fraction, HALF) >= 0 ? whole + 1 : whole;
    }

    private Factor factor(int aprBps, int n) {
        int slot = (aprBps * 37 + n) & (FACTOR_SLOTS - 1);
        Factor factor = factors.get(slot);
        if (factor == null || factor.aprBps() != aprBps || factor.installments() != n) {
            BigInteger[] fraction = factorFraction(aprBps, n);
            BigInteger scaled = fraction[0].shiftLeft(64).divide(fraction[1]);
            factor = new Factor(aprBps, n, scaled.shiftRight(64).longValue(), scaled.longValue());
            factors.set(slot, factor);
        }
        return factor;
    }

    /** F = a·B^n / (120,000 · (B^n − C^n)) with B = 120,000 + a, C = 120,000, as {numerator, denominator}. */
    private static BigInteger[] factorFraction(int aprBps, int n) {
        BigInteger b = BigInteger.valueOf(MONTHLY_DENOMINATOR + aprBps).pow(n);
        BigInteger c = BIG_DENOMINATOR.pow(n);
        return new BigInteger[] {BigInteger.valueOf(aprBps).multiply(b), BIG_DENOMINATOR.multiply(b.subtract(c))};
    }

    static long exactAnnuity(long principalMinor, int aprBps, int n) {
        BigInteger[] fraction = factorFraction(aprBps, n);
        return new BigDecimal(BigInteger.valueOf(principalMinor).multiply(fraction[0]))
                .divide(new BigDecimal(fraction[1]), 0, RoundingMode.HALF_EVEN).longValueExact();
    }
}
