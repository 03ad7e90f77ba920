package dev.formica.engine.rules;

import java.util.List;

/**
 * The products Formica lends on, with the number the API gives them ({@code formica.v1.Product}) and what each one
 * means for the policy. Code that used to say {@code product == 3} or loop {@code product = 1..3} asks this table.
 * Named {@code LoanProduct} so it never hides the API's {@code Product} enum in the classes that use both.
 *
 * <p>Thread contract: immutable; the lookups by number allocate nothing, so the decision path may call them.
 */
public enum LoanProduct {
    /** Revolving consumer line used at checkout (buy now, pay later). */
    CONSUMER_CREDIT(1, false),
    /** Cash loan drawn to the borrower's wallet or bank card. */
    CASH_LOAN(2, false),
    /** Small-business (SME) working-capital loan. */
    BUSINESS_LOAN(3, true);

    /** Product names as the API and the rule-set files spell them, indexed by product number (0 = unspecified). */
    public static final List<String> NAMES = List.of("PRODUCT_UNSPECIFIED", "CONSUMER_CREDIT", "CASH_LOAN",
            "BUSINESS_LOAN");

    /** The highest product number; numbers run 1..{@code HIGHEST}, so per-product arrays have HIGHEST + 1 slots. */
    public static final int HIGHEST = 3;

    private static final LoanProduct[] BY_NUMBER = {null, CONSUMER_CREDIT, CASH_LOAN, BUSINESS_LOAN};

    private final int number;
    private final boolean business;

    LoanProduct(int number, boolean business) {
        this.number = number;
        this.business = business;
    }

    /** The API's number of this product ({@code formica.v1.Product}). */
    public int number() {
        return number;
    }

    /**
     * Whether the borrower is a business: its balance counts against the licence's business-loan cap
     * ({@code business_balance_cap_minor}) instead of the household consumer-loan cap, the regulatory income-ratio
     * cap (an individual's income) does not apply, and its merchant category is the industry of the industry
     * concentration limit.
     */
    public boolean business() {
        return business;
    }

    /** The product of an API number; null for 0 (unspecified) and for numbers Formica does not know. */
    public static LoanProduct of(int number) {
        return number > 0 && number <= HIGHEST ? BY_NUMBER[number] : null;
    }

    /** Whether the product number is a business loan (false for unknown numbers). */
    public static boolean isBusiness(int number) {
        LoanProduct p = of(number);
        return p != null && p.business;
    }
}
