package dev.formica.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import org.junit.jupiter.api.Test;

/**
 * The Decide fingerprint of plain values ({@link ShardProcessor}'s check of a retry with the currency or market
 * spelled another way) is the fingerprint of the message with those values; and each field still counts.
 */
class IdempotencyKeysTest {
    @Test
    void shouldFingerprintPlainValuesAsTheMessageWithThem() {
        DecisionRequest r = DecisionRequest.newBuilder().setRequestId("r1").setBorrowerId("alice")
                .setProduct(Product.CASH_LOAN).setAmountMinor(329_900).setCurrency("CNY").setMerchantId("m-7")
                .setInstallments(6).setMarket("CN").build();
        assertEquals(IdempotencyKeys.decide(r), IdempotencyKeys.decide(Product.CASH_LOAN_VALUE, 329_900, "CNY", "m-7",
                6, "CN"));
        DecisionRequest plain = r.toBuilder().clearCurrency().clearMarket().clearInstallments().build();
        assertEquals(IdempotencyKeys.decide(plain), IdempotencyKeys.decide(Product.CASH_LOAN_VALUE, 329_900, "", "m-7",
                0, ""));
        assertEquals(IdempotencyKeys.decide(plain), IdempotencyKeys.decide(plain.toBuilder().setInstallments(1)
                .build()), "0 and 1 installments are both one payment");
        assertNotEquals(IdempotencyKeys.decide(r), IdempotencyKeys.decide(Product.CASH_LOAN_VALUE, 329_901, "CNY",
                "m-7", 6, "CN"));
        assertNotEquals(IdempotencyKeys.decide(plain), IdempotencyKeys.decide(Product.CASH_LOAN_VALUE, 329_900, "CNY",
                "m-7", 0, ""), "the currency counts: the shard tries the other spelling itself");
    }
}
