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
 * <p>A replicated group's tally also keeps the group's transfers of total-quota headroom to and from the other
 * groups ({@link #give}, {@link #accept}: cumulative amounts per group and funder). Its section in a snapshot is
 * then followed by them, flagged in the funder count's top bits; without transfers the section is as before, so
 * a snapshot without them is read by older builds and every snapshot of an older build is read by this one. The
 * group's transfers of daily-quota headroom ({@link #giveDaily}, {@link #acceptDaily}: per group and funder the
 * newest day's cumulative amount with its day, as the leases keep them) follow those, flagged by another bit, only
 * when there are any.
 *
 * <p>Thread contract: one thread (the snapshot builder, or start-up).
 */
public final class QuotaTally implements QuotaSink {
    /** Set in the written funder count when the transfers follow the funders' words. */
    private static final int WITH_TRANSFERS = 0x4000_0000;
    /** Set in the written funder count when the daily transfers follow (after the total ones, if any). */
    private static final int WITH_DAILY_TRANSFERS = 0x2000_0000;
    private final long[] total = new long[FundingQuotas.CAPACITY];
    private final long[] day = new long[FundingQuotas.CAPACITY];
    private final long[] usedThatDay = new long[FundingQuotas.CAPACITY];
    private final boolean[] daily = new boolean[FundingQuotas.CAPACITY];
    /** {@code [group][funder]}: cumulative given to, accepted from the group; null until the first transfer. */
    private long[][] givenTo;
    private long[][] acceptedFrom;
    /** {@code [group][funder]}: the daily words ({@link QuotaLeases#dailyWord}); null until the first one. */
    private long[][] givenDailyTo;
    private long[][] acceptedDailyFrom;

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

    @Override
    public void give(int funder, int toGroup, long cumulativeMinor) {
        transfers();
        givenTo[toGroup][funder] = Math.max(givenTo[toGroup][funder], cumulativeMinor);
    }

    @Override
    public void accept(int funder, int fromGroup, long cumulativeMinor) {
        transfers();
        acceptedFrom[fromGroup][funder] = Math.max(acceptedFrom[fromGroup][funder], cumulativeMinor);
    }

    @Override
    public void giveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
        dailyTransfers();
        givenDailyTo[toGroup][funder] = Math.max(givenDailyTo[toGroup][funder],
                QuotaLeases.dailyWord(dayIndex, cumulativeMinor));
    }

    @Override
    public void acceptDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
        dailyTransfers();
        acceptedDailyFrom[fromGroup][funder] = Math.max(acceptedDailyFrom[fromGroup][funder],
                QuotaLeases.dailyWord(dayIndex, cumulativeMinor));
    }

    private void dailyTransfers() {
        if (givenDailyTo == null) {
            givenDailyTo = new long[QuotaLeases.MAX_TRANSFER_GROUPS][FundingQuotas.CAPACITY];
            acceptedDailyFrom = new long[QuotaLeases.MAX_TRANSFER_GROUPS][FundingQuotas.CAPACITY];
        }
    }

    private void transfers() {
        if (givenTo == null) {
            givenTo = new long[QuotaLeases.MAX_TRANSFER_GROUPS][FundingQuotas.CAPACITY];
            acceptedFrom = new long[QuotaLeases.MAX_TRANSFER_GROUPS][FundingQuotas.CAPACITY];
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

    /**
     * As {@link #addTo(FundingQuotas)} for a snapshot of Raft group {@code group}: its lease of the quotas too, with
     * its transfers (as committed, a snapshot holds only committed entries).
     */
    public void addTo(FundingQuotas quotas, int group) {
        for (int f = 0; f < total.length; f++) {
            if (total[f] != 0 || usedThatDay[f] != 0) {
                quotas.restore(f, total[f], day[f], usedThatDay[f], group);
            }
        }
        if (givenTo != null) {
            QuotaSink lane = quotas.lane(group);
            for (int g = 0; g < givenTo.length; g++) {
                for (int f = 0; f < total.length; f++) {
                    if (givenTo[g][f] > 0) {
                        lane.give(f, g, givenTo[g][f]);
                    }
                    if (acceptedFrom[g][f] > 0) {
                        lane.accept(f, g, acceptedFrom[g][f]);
                    }
                }
            }
        }
        if (givenDailyTo != null) {
            QuotaSink lane = quotas.lane(group);
            for (int g = 0; g < givenDailyTo.length; g++) {
                for (int f = 0; f < total.length; f++) {
                    long given = givenDailyTo[g][f];
                    if (given != 0) {
                        lane.giveDaily(f, g, QuotaLeases.dayOf(given), QuotaLeases.amountOf(given));
                    }
                    long accepted = acceptedDailyFrom[g][f];
                    if (accepted != 0) {
                        lane.acceptDaily(f, g, QuotaLeases.dayOf(accepted), QuotaLeases.amountOf(accepted));
                    }
                }
            }
        }
    }

    /** What the tally's group gave {@code toGroup} of the funder's total quota (0 without transfers). */
    public long givenTo(int funder, int toGroup) {
        return givenTo == null ? 0 : givenTo[toGroup][funder];
    }

    /** What the tally's group accepted from {@code fromGroup} of the funder's total quota. */
    public long acceptedFrom(int funder, int fromGroup) {
        return acceptedFrom == null ? 0 : acceptedFrom[fromGroup][funder];
    }

    /** What the tally's group gave {@code toGroup} of the funder's daily quota on {@code dayIndex}. */
    public long givenDailyTo(int funder, int toGroup, long dayIndex) {
        return givenDailyTo == null ? 0 : QuotaLeases.amountOn(givenDailyTo[toGroup][funder], dayIndex);
    }

    /** What the tally's group accepted from {@code fromGroup} of the funder's daily quota on {@code dayIndex}. */
    public long acceptedDailyFrom(int funder, int fromGroup, long dayIndex) {
        return acceptedDailyFrom == null ? 0 : QuotaLeases.amountOn(acceptedDailyFrom[fromGroup][funder], dayIndex);
    }

    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(total.length | (givenTo == null ? 0 : WITH_TRANSFERS)
                | (givenDailyTo == null ? 0 : WITH_DAILY_TRANSFERS));
        for (int f = 0; f < total.length; f++) {
            out.writeLong(total[f]);
            out.writeLong(day[f]);
            out.writeLong(usedThatDay[f]);
        }
        if (givenTo != null) {
            out.writeInt(givenTo.length);
            for (int g = 0; g < givenTo.length; g++) {
                for (int f = 0; f < total.length; f++) {
                    out.writeLong(givenTo[g][f]);
                    out.writeLong(acceptedFrom[g][f]);
                }
            }
        }
        if (givenDailyTo != null) {
            out.writeInt(givenDailyTo.length);
            for (int g = 0; g < givenDailyTo.length; g++) {
                for (int f = 0; f < total.length; f++) {
                    out.writeLong(givenDailyTo[g][f]);
                    out.writeLong(acceptedDailyFrom[g][f]);
                }
            }
        }
    }

    public QuotaTally readFrom(DataInput in) throws IOException {
        int flagged = in.readInt();
        int n = flagged & ~(WITH_TRANSFERS | WITH_DAILY_TRANSFERS);
        if (n != total.length) {
            throw new IOException("quota tally of " + n + " funders; this build keeps " + total.length);
        }
        for (int f = 0; f < n; f++) {
            total[f] = in.readLong();
            day[f] = in.readLong();
            usedThatDay[f] = in.readLong();
        }
        if ((flagged & WITH_TRANSFERS) != 0) {
            int groups = in.readInt();
            if (groups != QuotaLeases.MAX_TRANSFER_GROUPS) {
                throw new IOException("quota transfers among " + groups + " groups; this build keeps "
                        + QuotaLeases.MAX_TRANSFER_GROUPS);
            }
            transfers();
            for (int g = 0; g < groups; g++) {
                for (int f = 0; f < n; f++) {
                    givenTo[g][f] = in.readLong();
                    acceptedFrom[g][f] = in.readLong();
                }
            }
        }
        if ((flagged & WITH_DAILY_TRANSFERS) != 0) {
            int groups = in.readInt();
            if (groups != QuotaLeases.MAX_TRANSFER_GROUPS) {
                throw new IOException("daily quota transfers among " + groups + " groups; this build keeps "
                        + QuotaLeases.MAX_TRANSFER_GROUPS);
            }
            dailyTransfers();
            for (int g = 0; g < groups; g++) {
                for (int f = 0; f < n; f++) {
                    givenDailyTo[g][f] = in.readLong();
                    acceptedDailyFrom[g][f] = in.readLong();
                }
            }
        }
        return this;
    }
}
