package dev.formica.engine.pricing;

/**
 * One fee of a product, as disclosed to the borrower. Immutable.
 *
 * <p>The fee's total is {@code fixedMinor + roundHalfEven(principal × bps / 10,000)}. An {@link Timing#UPFRONT}
 * fee is charged once at disbursement (withheld from what the borrower receives); a
 * {@link Timing#PER_INSTALLMENT} fee's total is spread over the installments, {@code floor(total / n)} on each and
 * the remainder on the last.
 *
 * @param code   stable code shown to clients, e.g. {@code SERVICE_FEE}
 * @param text   human-readable description
 * @param fixedMinor fixed part, minor units, ≥ 0
 * @param bps    part proportional to the principal, basis points of the principal, 0..10,000
 * @param timing when the borrower pays it
 */
public record FeeSpec(String code, String text, long fixedMinor, int bps, Timing timing) {
    /** When a fee is paid. */
    public enum Timing {
        /** Once, at disbursement: the borrower receives the principal minus this fee. */
        UPFRONT,
        /** Spread over the installments, the rounding remainder on the last. */
        PER_INSTALLMENT
    }

    /** Validates every field; a bad one throws {@link IllegalArgumentException} naming it. */
    public FeeSpec {
        if (code == null || code.isEmpty()) {
            throw new IllegalArgumentException("fee code: must not be empty");
        }
        if (text == null) {
            throw new IllegalArgumentException("fee " + code + " text: must not be null");
        }
        if (fixedMinor < 0 || fixedMinor > InstallmentPlanner.MAX_PRINCIPAL_MINOR) {
            throw new IllegalArgumentException("fee " + code + " fixed_minor: must be 0.."
                    + InstallmentPlanner.MAX_PRINCIPAL_MINOR + ", was " + fixedMinor);
        }
        if (bps < 0 || bps > 10_000) {
            throw new IllegalArgumentException("fee " + code + " bps: must be 0..10000, was " + bps);
        }
        if (timing == null) {
            throw new IllegalArgumentException("fee " + code + " timing: must be UPFRONT or PER_INSTALLMENT");
        }
    }

    /** This fee's total for a loan of {@code principalMinor}, minor units. */
    public long amountFor(long principalMinor) {
        return fixedMinor + Rounding.divideHalfEven(principalMinor * bps, 10_000);
    }
}
