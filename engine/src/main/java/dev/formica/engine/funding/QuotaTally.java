package dev.formica.engine.funding;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * One shard's contribution to the funders' quota usage, kept by the snapshot builder: per funder slot the amount
 * originated and not released, and the usage of the newest day, with the same day rules as {@link FundingQuotas}.
 * Snapshots store it; start-up adds every shard's tally to the engine-wide table before replaying the logs after
 * the snapshots.
 *
 * <p>Thread contract: one thread (the snapshot builder, or start-up).
 */
public final class QuotaTally implements QuotaSink {
    private final long[] total = new long[FundingQuotas.CAPACITY];
    private final long[] day = new long[FundingQuotas.CAPACITY];
    private final long[] usedThatDay = new long[FundingQuotas.CAPACITY];
    private final boolean[] daily = new boolean[FundingQuotas.CAPACITY];

    @Override
    public void replayReserve(int funder, long amountMinor, long dayIndex) {
        if (amountMinor <= 0) {
            return;
        }
        total[funder] += amountMinor;
        if (dayIndex > day[funder]) {
            day[funder] = dayIndex;
            usedThatDay[funder] = amountMinor;
            daily[funder] = true;
        } else if (dayIndex == day[funder]) {
            usedThatDay[funder] += amountMinor;
            daily[funder] = true;
        }
    }

    @Override
    public void release(int funder, long amountMinor, long dayIndexOfReservation) {
        if (amountMinor <= 0) {
            return;
        }
        total[funder] = Math.max(0, total[funder] - amountMinor);
        if (dayIndexOfReservation == day[funder]) {
            usedThatDay[funder] = Math.max(0, usedThatDay[funder] - amountMinor);
        }
    }

    /** Adds this tally to the engine-wide table (start-up, before the logs after the snapshots are replayed). */
    public void addTo(FundingQuotas quotas) {
        for (int f = 0; f < total.length; f++) {
            if (total[f] != 0 || usedThatDay[f] != 0) {
                quotas.restore(f, total[f], day[f], usedThatDay[f]);
            }
        }
    }

    /** As {@link #addTo(FundingQuotas)} for a snapshot of Raft group {@code group}: its lease of the quotas too. */
    public void addTo(FundingQuotas quotas, int group) {
        for (int f = 0; f < total.length; f++) {
            if (total[f] != 0 || usedThatDay[f] != 0) {
                quotas.restore(f, total[f], day[f], usedThatDay[f], group);
            }
        }
    }

    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(total.length);
        for (int f = 0; f < total.length; f++) {
            out.writeLong(total[f]);
            out.writeLong(day[f]);
            out.writeLong(usedThatDay[f]);
        }
    }

    public QuotaTally readFrom(DataInput in) throws IOException {
        int n = in.readInt();
        if (n != total.length) {
            throw new IOException("quota tally of " + n + " funders; this build keeps " + total.length);
        }
        for (int f = 0; f < n; f++) {
            total[f] = in.readLong();
            day[f] = in.readLong();
            usedThatDay[f] = in.readLong();
        }
        return this;
    }
}
