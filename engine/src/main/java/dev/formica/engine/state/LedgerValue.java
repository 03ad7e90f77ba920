package dev.formica.engine.state;

/**
 * Off-heap layout of one credit ledger line, implemented by chronicle-values at run time. Not thread-safe on
 * its own: touch it only inside a map context holding the entry's lock.
 */
interface LedgerValue {

    long getLineMinor();

    void setLineMinor(long lineMinor);

    long getHeldMinor();

    void setHeldMinor(long heldMinor);

    long getDrawnMinor();

    void setDrawnMinor(long drawnMinor);

    boolean getFrozen();

    void setFrozen(boolean frozen);

    int getGrade();

    void setGrade(int grade);

    long getVersion();

    void setVersion(long version);

    long getUpdatedMs();

    void setUpdatedMs(long updatedMs);
}
