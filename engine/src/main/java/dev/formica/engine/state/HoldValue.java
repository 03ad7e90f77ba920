package dev.formica.engine.state;

import net.openhft.chronicle.values.Array;
import net.openhft.chronicle.values.MaxUtf8Length;

/**
 * Off-heap layout of one hold, implemented by chronicle-values at run time. Touch it only inside a map context
 * holding the entry's lock.
 */
interface HoldValue {

    CharSequence getBorrowerId();

    StringBuilder getUsingBorrowerId(StringBuilder using);

    void setBorrowerId(@MaxUtf8Length(StateConfig.MAX_ID_CHARS) CharSequence borrowerId);

    int getProduct();

    void setProduct(int product);

    long getAmountMinor();

    void setAmountMinor(long amountMinor);

    long getCreatedMs();

    void setCreatedMs(long createdMs);

    long getExpiresMs();

    void setExpiresMs(long expiresMs);

    int getState();

    void setState(int state);

    long getRequestIdHash();

    void setRequestIdHash(long requestIdHash);

    int getFundingCount();

    void setFundingCount(int fundingCount);

    @Array(length = HoldSnapshot.MAX_FUNDING_SPLITS)
    void setFunderIndexAt(int index, int funderIndex);

    int getFunderIndexAt(int index);

    @Array(length = HoldSnapshot.MAX_FUNDING_SPLITS)
    void setFundingAmountMinorAt(int index, long amountMinor);

    long getFundingAmountMinorAt(int index);
}
