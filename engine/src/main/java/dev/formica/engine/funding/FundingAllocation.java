package dev.formica.engine.funding;

/**
 * Who funds one loan: a reusable scratch object that {@link FundingAllocator#allocate} fills. Entries are the
 * funders with a non-zero part, the platform first; their amounts add up to {@link #amountMinor()}.
 *
 * <p>Thread contract: not thread-safe; one instance per thread (or per shard), reused call after call. To keep
 * an allocation beyond the next call (in a hold), copy it with {@link #copyFrom} or store its entries.
 */
public final class FundingAllocation {
    /** Most funders in one product's split, the platform included: as many as a hold stores (4). */
    public static final int MAX_SHARES = 4;
    private static final int DAY_SHIFT = 8;

    final int[] funder = new int[MAX_SHARES];
    final long[] amount = new long[MAX_SHARES];
    final int[] shareBps = new int[MAX_SHARES];
    final long[] day = new long[MAX_SHARES];
    final long[] partnerDay = new long[MAX_SHARES]; // working space of the allocator
    final long[] partnerGot = new long[MAX_SHARES]; // working space of the allocator
    int count;
    long amountMinor;
    long dayIndex;
    long shortfallMinor;
    String[] funderIds;
    /** The Raft group whose quota lease the owner's reservations count in; -1 = none (not replicated). */
    int lane = -1;

    /**
     * Makes the reservations {@link FundingAllocator#allocate} fills this scratch with count in Raft group
     * {@code group}'s lease of the quotas ({@link FundingQuotas#leases}); -1 (the default) = no lease. Set once by
     * the owner (a replicated node's shard: its group); not copied by {@link #copyFrom}.
     */
    public FundingAllocation lane(int group) {
        this.lane = group;
        return this;
    }

    /** The Raft group whose lease this scratch's reservations count in, -1 for none. */
    public int lane() {
        return lane;
    }

    /** Funders in this allocation (0 after a refusal). */
    public int count() {
        return count;
    }

    /** The funder's stable slot in {@link FundingQuotas} (store this with a hold). */
    public int funderIndex(int entry) {
        return funder[check(entry)];
    }

    /** The funder's id: {@value FundingAllocator#PLATFORM} or the partner's id. */
    public String funderId(int entry) {
        return funderIds[funder[check(entry)]];
    }

    /** The funder's part, minor units. */
    public long amountMinor(int entry) {
        return amount[check(entry)];
    }

    /**
     * The funder's share of the loan, basis points: partners {@code floor(part × 10,000 / amount)}, the platform
     * the rest, so the shares add up to 10,000 and the platform's is never reported below its true share.
     */
    public int shareBps(int entry) {
        return shareBps[check(entry)];
    }

    /**
     * The entry's funder and charged day in one int for a hold's funder-index field: the funder slot in the low
     * 8 bits, the days between the decision's UTC day and the charged day above them (0 but for a decision racing
     * midnight). Give it back to {@link FundingAllocator#releaseStored} with the decision time.
     */
    public int storedFunder(int entry) {
        return funder[check(entry)] | (int) (day[entry] - dayIndex) << DAY_SHIFT;
    }

    public static int funderOf(int storedFunder) {
        return storedFunder & ((1 << DAY_SHIFT) - 1);
    }

    public static long dayOf(int storedFunder, long decisionDayIndex) {
        return decisionDayIndex + (storedFunder >>> DAY_SHIFT);
    }

    /** The loan amount that was asked for, minor units. */
    public long amountMinor() {
        return amountMinor;
    }

    /** The UTC day index of the decision time. */
    public long dayIndex() {
        return dayIndex;
    }

    /**
     * The UTC day the entry's quota was charged to (the decision's day, or the next one for a decision racing
     * midnight): store it with the entry and pass it to {@link FundingAllocator#release(int, long, long)}.
     */
    public long chargedDayIndex(int entry) {
        return day[check(entry)];
    }

    /** After a refusal: the part no funder could take, minor units (for the reason's value); 0 when funded. */
    public long shortfallMinor() {
        return shortfallMinor;
    }

    /** Copies another allocation into this one. */
    public FundingAllocation copyFrom(FundingAllocation other) {
        System.arraycopy(other.funder, 0, funder, 0, other.count);
        System.arraycopy(other.amount, 0, amount, 0, other.count);
        System.arraycopy(other.shareBps, 0, shareBps, 0, other.count);
        System.arraycopy(other.day, 0, day, 0, other.count);
        count = other.count;
        amountMinor = other.amountMinor;
        dayIndex = other.dayIndex;
        shortfallMinor = other.shortfallMinor;
        funderIds = other.funderIds;
        return this;
    }

    void reset(long amountMinor, long dayIndex, String[] funderIds) {
        this.count = 0;
        this.amountMinor = amountMinor;
        this.dayIndex = dayIndex;
        this.shortfallMinor = 0;
        this.funderIds = funderIds;
    }

    void add(int funderIndex, long amountMinor, long chargedDay) {
        funder[count] = funderIndex;
        amount[count] = amountMinor;
        day[count] = chargedDay;
        count++;
    }

    private int check(int entry) {
        if (entry < 0 || entry >= count) {
            throw new IndexOutOfBoundsException("entry " + entry + " of " + count);
        }
        return entry;
    }
}
