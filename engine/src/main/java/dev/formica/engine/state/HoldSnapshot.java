package dev.formica.engine.state;

import java.util.Arrays;

/**
 * A caller-owned, mutable copy of one hold: filled by {@link HoldBook#get}, read by {@link HoldBook#put}.
 * Not thread-safe: one instance per thread, reused across calls (the borrower id is a reused
 * {@link StringBuilder}) so neither direction allocates.
 */
public final class HoldSnapshot {

    /** Funders one hold can be split across. */
    public static final int MAX_FUNDING_SPLITS = 4;

    private final StringBuilder borrowerId = new StringBuilder(StateConfig.MAX_ID_CHARS);
    private int product;
    private long amountMinor;
    private long createdMs;
    private long expiresMs;
    private int state;
    private long requestIdHash;
    private int fundingCount;
    private final int[] funderIndex = new int[MAX_FUNDING_SPLITS];
    private final long[] fundingAmountMinor = new long[MAX_FUNDING_SPLITS];

    /** Clears every field, including the funding split. */
    public HoldSnapshot reset() {
        borrowerId.setLength(0);
        product = 0;
        amountMinor = 0;
        createdMs = 0;
        expiresMs = 0;
        state = 0;
        requestIdHash = 0;
        clearFunding();
        return this;
    }

    /** The borrower id; the returned builder is this snapshot's own and is overwritten by the next fill. */
    public StringBuilder borrowerId() {
        return borrowerId;
    }

    public HoldSnapshot borrowerId(CharSequence id) {
        borrowerId.setLength(0);
        borrowerId.append(id);
        return this;
    }

    public int product() {
        return product;
    }

    public HoldSnapshot product(int product) {
        this.product = product;
        return this;
    }

    public long amountMinor() {
        return amountMinor;
    }

    public HoldSnapshot amountMinor(long amountMinor) {
        this.amountMinor = amountMinor;
        return this;
    }

    public long createdMs() {
        return createdMs;
    }

    public HoldSnapshot createdMs(long createdMs) {
        this.createdMs = createdMs;
        return this;
    }

    public long expiresMs() {
        return expiresMs;
    }

    public HoldSnapshot expiresMs(long expiresMs) {
        this.expiresMs = expiresMs;
        return this;
    }

    /** One of the {@link HoldState} constants. */
    public int state() {
        return state;
    }

    public HoldSnapshot state(int state) {
        this.state = state;
        return this;
    }

    public long requestIdHash() {
        return requestIdHash;
    }

    public HoldSnapshot requestIdHash(long requestIdHash) {
        this.requestIdHash = requestIdHash;
        return this;
    }

    public int fundingCount() {
        return fundingCount;
    }

    public int funderIndex(int i) {
        checkSplit(i);
        return funderIndex[i];
    }

    public long fundingAmountMinor(int i) {
        checkSplit(i);
        return fundingAmountMinor[i];
    }

    public HoldSnapshot clearFunding() {
        fundingCount = 0;
        Arrays.fill(funderIndex, 0);
        Arrays.fill(fundingAmountMinor, 0);
        return this;
    }

    /** Appends one funder's share. @throws IllegalStateException past {@link #MAX_FUNDING_SPLITS} */
    public HoldSnapshot addFunding(int funder, long amount) {
        if (fundingCount == MAX_FUNDING_SPLITS) {
            throw new IllegalStateException("a hold has at most " + MAX_FUNDING_SPLITS + " funding splits");
        }
        funderIndex[fundingCount] = funder;
        fundingAmountMinor[fundingCount] = amount;
        fundingCount++;
        return this;
    }

    private void checkSplit(int i) {
        if (i < 0 || i >= fundingCount) {
            throw new IndexOutOfBoundsException("funding split " + i + " of " + fundingCount);
        }
    }
}
