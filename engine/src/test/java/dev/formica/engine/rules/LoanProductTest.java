package dev.formica.engine.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.v1.Product;
import org.junit.jupiter.api.Test;

/** {@link LoanProduct}: the table agrees with the API's {@code Product} enum and says which loans are a business's. */
class LoanProductTest {
    @Test
    void shouldCarryTheApisNumberAndNameForEveryProduct() {
        int known = 0;
        for (Product api : Product.values()) {
            if (api == Product.UNRECOGNIZED || api == Product.PRODUCT_UNSPECIFIED) {
                continue;
            }
            LoanProduct product = LoanProduct.of(api.getNumber());
            assertEquals(api.name(), product.name());
            assertEquals(api.getNumber(), product.number());
            assertEquals(api.name(), LoanProduct.NAMES.get(api.getNumber()));
            known++;
        }
        assertEquals(known, LoanProduct.values().length, "one row per API product, no more");
        assertEquals(LoanProduct.HIGHEST + 1, LoanProduct.NAMES.size());
        assertEquals(Product.PRODUCT_UNSPECIFIED.name(), LoanProduct.NAMES.get(0));
    }

    @Test
    void shouldKnowNoProductForUnspecifiedOrUnknownNumbers() {
        assertNull(LoanProduct.of(0));
        assertNull(LoanProduct.of(-1));
        assertNull(LoanProduct.of(LoanProduct.HIGHEST + 1));
        assertFalse(LoanProduct.isBusiness(0));
        assertFalse(LoanProduct.isBusiness(LoanProduct.HIGHEST + 1));
    }

    @Test
    void shouldTreatOnlyTheSmeLoanAsABusinessBorrowersLoan() {
        assertTrue(LoanProduct.BUSINESS_LOAN.business());
        assertTrue(LoanProduct.isBusiness(Product.BUSINESS_LOAN_VALUE));
        assertFalse(LoanProduct.CONSUMER_CREDIT.business(), "buy now, pay later is a household's");
        assertFalse(LoanProduct.isBusiness(Product.CASH_LOAN_VALUE));
        assertSame(LoanProduct.CASH_LOAN, LoanProduct.of(Product.CASH_LOAN_VALUE));
    }
}
