package dev.formica.engine.state;

import net.openhft.chronicle.values.Array;

/**
 * Off-heap layout of one borrower's entry in {@link BorrowerBook}, implemented by chronicle-values (pregenerated
 * {@code BorrowerValue$$Native} / {@code $$Heap}): the borrower's credit lines, one slot per product (index
 * {@code product - 1}), and its activity. Which of them exist is {@link #getHas}'s bits. Not thread-safe on its
 * own: touch it only inside a map context holding the entry's lock.
 */
interface BorrowerValue {
    /** Bit 0: the borrower has activity; bit {@code p} (1..3): a line on product {@code p}. */
    int getHas();

    void setHas(int has);

    /** Bit {@code p} (1..3): the line on product {@code p} is frozen. */
    int getFrozen();

    void setFrozen(int frozen);

    @Array(length = 3)
    void setLineMinorAt(int index, long lineMinor);

    long getLineMinorAt(int index);

    @Array(length = 3)
    void setHeldMinorAt(int index, long heldMinor);

    long getHeldMinorAt(int index);

    @Array(length = 3)
    void setDrawnMinorAt(int index, long drawnMinor);

    long getDrawnMinorAt(int index);

    @Array(length = 3)
    void setGradeAt(int index, int grade);

    int getGradeAt(int index);

    @Array(length = 3)
    void setVersionAt(int index, long version);

    long getVersionAt(int index);

    @Array(length = 3)
    void setUpdatedMsAt(int index, long updatedMs);

    long getUpdatedMsAt(int index);

    long getCount();

    void setCount(long count);

    double getMean();

    void setMean(double mean);

    double getM2();

    void setM2(double m2);

    int getNextDevice();

    void setNextDevice(int nextDevice);

    @Array(length = BorrowerActivity.DEVICES)
    void setDeviceHashAt(int index, long hash);

    long getDeviceHashAt(int index);

    boolean getWatch();

    void setWatch(boolean watch);

    long getActivityMs();

    void setActivityMs(long activityMs);
}
