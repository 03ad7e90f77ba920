package dev.formica.engine.pipeline;

import dev.formica.engine.state.DecisionRecords;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RiskEvent;

/**
 * The scope of a request id, and the fingerprint of the request it named.
 *
 * <p>A request id is remembered per borrower (for Confirm and Cancel, the borrower of the hold): the same id sent
 * for two borrowers is two requests, and one caller can never be answered from (or confirm) another borrower's
 * decision; within one borrower an id acts once, whatever the call. The record keeps a 64-bit fingerprint of the
 * request's meaningful fields (for Decide: product, amount, currency, merchant, installments); a retry must carry
 * the same, and a reused id with other fields is refused with {@code INVALID_ARGUMENT} and changes nothing.
 *
 * <p>Thread contract: one instance per shard writer (reused key builder); the fingerprints are pure functions.
 */
final class IdempotencyKeys {
    private static final char SEPARATOR = '\u0001';
    private final StringBuilder key = new StringBuilder(2 * 64 + 2);

    /** The record key of a borrower-scoped request: the borrower id, a separator, the request id. */
    CharSequence borrower(CharSequence borrowerId, CharSequence requestId) {
        key.setLength(0);
        return key.append(borrowerId).append(SEPARATOR).append(requestId);
    }

    static long decide(DecisionRequest r) {
        return decide(r.getProductValue(), r.getAmountMinor(), r.getCurrency(), r.getMerchantId(), r.getInstallments(),
                r.getMarket());
    }

    /**
     * {@link #decide(DecisionRequest)} of a request with these fields: {@link ShardProcessor} also tries a request's
     * own fields with the currency or market spelled the other way (empty = the borrower's), which is the same request.
     */
    static long decide(int product, long amount, String currency, String merchant, int installments, String market) {
        long h = mix(1, product);
        h = mix(h, amount);
        h = mix(h, DecisionRecords.hash(currency));
        h = mix(h, DecisionRecords.hash(merchant));
        return market(mix(h, Math.max(1, installments)), market);
    }

    /** Mixes a named market in; an empty one leaves the fingerprint as it was before markets (stored records). */
    private static long market(long h, String market) {
        return market.isEmpty() ? h : mix(h, DecisionRecords.hash(market));
    }

    static long hold(int kind, long holdId) {
        return mix(mix(kind, holdId), 0);
    }

    static long repay(RepayRequest r) {
        return market(mix(mix(4, r.getProductValue()), r.getAmountMinor()), r.getMarket());
    }

    static long apply(CreditApplication a) {
        long h = mix(5, a.getProductValue());
        h = mix(h, a.getRequestedLineMinor());
        h = mix(h, a.getAnnualIncomeMinor());
        h = mix(h, a.getSelfLimitMinor());
        return market(mix(h, DecisionRecords.hash(a.getRegion())), a.getMarket());
    }

    static long riskEvent(RiskEvent e) {
        long h = mix(6, e.getTypeValue());
        h = mix(h, e.getProductValue());
        h = mix(h, e.getDaysPastDue());
        h = mix(h, e.getAmountMinor());
        h = mix(h, e.getChangeBps());
        return mix(h, e.getPeriodDays());
    }

    private static long mix(long h, long v) {
        long x = (h ^ v) * 0x9E3779B97F4A7C15L;
        x ^= x >>> 31;
        x *= 0xbf58476d1ce4e5b9L;
        return x ^ (x >>> 29);
    }
}
