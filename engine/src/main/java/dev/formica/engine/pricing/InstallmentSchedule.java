package dev.formica.engine.pricing;

import java.time.Instant;
import java.time.ZoneOffset;

/**
 * A computed installment plan as plain numbers: a reusable scratch object that
 * {@link InstallmentPlanner#plan(long, int, int, long, java.util.List, InstallmentSchedule)} fills, so the hot path
 * can read totals without building protobuf. All amounts are minor units; periods are numbered from 1.
 *
 * <p>Thread contract: not thread-safe; one instance per thread (or per shard), reused call after call.
 */
public final class InstallmentSchedule {
    final long[] principal = new long[InstallmentPlanner.MAX_INSTALLMENTS + 1];
    final long[] interest = new long[InstallmentPlanner.MAX_INSTALLMENTS + 1];
    final long[] fee = new long[InstallmentPlanner.MAX_INSTALLMENTS + 1];
    final long[] total = new long[InstallmentPlanner.MAX_INSTALLMENTS + 1];
    final long[] feeAmounts = new long[InstallmentPlanner.MAX_FEES];
    int installments;
    int feeCount;
    long principalMinor;
    int aprBps;
    long startMs;
    long installmentMinor;
    long upfrontFeesMinor;
    long totalInterestMinor;
    long totalFeesMinor;
    double monthlyIrr;
    int annualisedRateBps;

    public int installments() {
        return installments;
    }

    public long principalMinor() {
        return principalMinor;
    }

    public int aprBps() {
        return aprBps;
    }

    /** The level installment (principal + interest) of every period but the last, before fees. */
    public long installmentMinor() {
        return installmentMinor;
    }

    public long principalMinor(int period) {
        return principal[check(period)];
    }

    public long interestMinor(int period) {
        return interest[check(period)];
    }

    /** Per-installment fees due in this period (upfront fees are not in any period). */
    public long feeMinor(int period) {
        return fee[check(period)];
    }

    /** principal + interest + fee of the period. */
    public long totalMinor(int period) {
        return total[check(period)];
    }

    /**
     * Due date of the period, epoch ms: the start plus {@code period} calendar months in UTC, the day of month
     * clamped to the month's length (a start on 31 January is due on 28 or 29 February, then 31 March).
     * Computed on demand with {@code java.time} (allocates; not needed for totals).
     */
    public long dueMs(int period) {
        return Instant.ofEpochMilli(startMs).atOffset(ZoneOffset.UTC).plusMonths(check(period))
                .toInstant().toEpochMilli();
    }

    /** When the plan starts, epoch ms: period {@code k} is due {@code k} calendar months later in UTC. */
    public long startMs() {
        return startMs;
    }

    /** Number of fees in the order of the fee list given to the planner. */
    public int feeCount() {
        return feeCount;
    }

    /** Total of fee {@code index} (position in the fee list given to the planner), minor units. */
    public long feeAmountMinor(int index) {
        if (index < 0 || index >= feeCount) {
            throw new IndexOutOfBoundsException("fee " + index + " of " + feeCount);
        }
        return feeAmounts[index];
    }

    /** Upfront fees, withheld at disbursement: the borrower receives principal − this. */
    public long upfrontFeesMinor() {
        return upfrontFeesMinor;
    }

    public long totalInterestMinor() {
        return totalInterestMinor;
    }

    /** Every fee, upfront and per installment. */
    public long totalFeesMinor() {
        return totalFeesMinor;
    }

    /** Interest + fees. */
    public long totalCostMinor() {
        return totalInterestMinor + totalFeesMinor;
    }

    /** Principal + total cost: everything the borrower pays, the upfront fees included. */
    public long totalRepaymentMinor() {
        return principalMinor + totalCostMinor();
    }

    /** Monthly internal rate of return of the borrower's cash flows (a rate, not money). */
    public double monthlyIrr() {
        return monthlyIrr;
    }

    /**
     * Effective annual rate of the borrower's actual cash flows, basis points: {@code (1 + monthly IRR)^12 − 1}
     * (compound). This is what goes to {@code InstallmentPlan.annualised_rate_bps}.
     */
    public int annualisedRateBps() {
        return annualisedRateBps;
    }

    /** Nominal annual rate (simple, monthly IRR × 12), basis points; for comparison with the APR only. */
    public int nominalAnnualRateBps() {
        return AnnualisedRate.toBps(monthlyIrr * 12);
    }

    private int check(int period) {
        if (period < 1 || period > installments) {
            throw new IndexOutOfBoundsException("period " + period + " of " + installments);
        }
        return period;
    }
}
