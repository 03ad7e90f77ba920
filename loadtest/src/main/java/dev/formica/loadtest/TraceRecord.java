package dev.formica.loadtest;

import dev.formica.v1.Product;

/**
 * One transaction of a recorded trace. Immutable. Money is minor units (fen for CNY).
 *
 * @param tsMs when it happened, epoch ms (only differences matter for replay)
 * @param borrowerId the borrower
 * @param product the credit product
 * @param amountMinor the amount asked for, minor units, &gt; 0
 * @param deviceId the device fingerprint, may be empty
 * @param merchantId the merchant, may be empty
 */
public record TraceRecord(long tsMs, String borrowerId, Product product, long amountMinor, String deviceId,
        String merchantId) {
}
