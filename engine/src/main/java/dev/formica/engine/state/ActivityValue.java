package dev.formica.engine.state;

import net.openhft.chronicle.values.Array;

/**
 * Off-heap layout of one borrower's activity, implemented by chronicle-values at run time. Touch it only
 * inside a map context holding the entry's lock.
 */
interface ActivityValue {
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

    long getUpdatedMs();

    void setUpdatedMs(long updatedMs);
}
