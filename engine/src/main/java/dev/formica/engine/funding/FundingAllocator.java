package dev.formica.engine.funding;

import dev.formica.v1.Product;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Splits each loan between the platform's own balance sheet and partner banks (joint lending), reserving the
 * partners' origination quotas and the platform's leverage room in the shared {@link FundingQuotas}.
 *
 * <p>Thread contract: immutable after construction; {@link #allocate} and {@link #release} may run on every shard
 * thread at once (lock-free through {@link FundingQuotas}), each with its own {@link FundingAllocation}, and
 * allocate nothing. A refusal is a result, not an exception.
 *
 * <p>Split policy, for a loan of {@code A} minor units:
 * <ol>
 *   <li>each partner's part is {@code floor(A × share / 10,000)}; the platform's is the rest, so it carries the
 *       rounding and its part is never below its share (and so never below the minimum share);</li>
 *   <li>the platform's part is reserved against its leverage room ({@code platformCapMinor}, leverage × net
 *       assets, counting originations not released); if it does not fit, the loan is refused — the platform's part
 *       cannot move to partners without breaking the minimum share;</li>
 *   <li>each partner, in the listed order, reserves as much of its part as its total and daily quotas allow;</li>
 *   <li>whatever partners could not take is offered to the partners again in the listed order (a partner may go
 *       above its configured share; the platform's share does not change, so the minimum holds);</li>
 *   <li>what is still left goes to the platform only up to the product's {@code maxPlatformShareBps} and its
 *       leverage room (by default the platform does not absorb: {@code maxPlatformShareBps} = its share);</li>
 *   <li>if anything is still left, every reservation of this loan is released and the answer is
 *       {@link Result#FUNDING_UNAVAILABLE} with the shortfall.</li>
 * </ol>
 */
public final class FundingAllocator {
    /** The funder id of the platform's own balance sheet. */
    public static final String PLATFORM = "platform";
    /** The default minimum own share of the platform in each loan (30 %, REGULATION.md). */
    public static final int DEFAULT_MIN_PLATFORM_SHARE_BPS = 3000;
    /** Largest loan the allocator splits, minor units (keeps amount × bps inside a long). */
    public static final long MAX_AMOUNT_MINOR = 1L << 48;

    /** What {@link #allocate} answers. */
    public enum Result {
        /** Funded: the allocation lists who pays what, and their quotas are reserved. */
        FUNDED,
        /** Not funded: nothing is reserved; decline with reason {@code FUNDING_UNAVAILABLE}. */
        FUNDING_UNAVAILABLE
    }

    /** A product's split compiled to quota slots. */
    private record Split(int platform, int platformBps, int maxPlatformBps, int[] partners, int[] partnerBps) {
    }

    /**
     * A regulatory minimum own share that comes into force later: from {@code fromMs} (epoch ms) on, each
     * product's split is adjusted so the platform funds at least {@code minShareBps}.
     */
    public record LaterMinimum(long fromMs, int minShareBps) {
    }

    private final FundingQuotas quotas;
    /** The splits in force now (regime 0) and from each later minimum's date, by product number. */
    private final Split[][] regimes;
    private final long[] regimeFromMs;
    private final String[] funderIds = new String[FundingQuotas.CAPACITY];
    private final int platformSlot;

    /**
     * Validates the configuration and sets the quota limits: the platform gets a total quota of
     * {@code platformCapMinor} and no daily limit, each partner its {@link FunderSpec} quotas.
     *
     * @param quotas              the engine's shared quota table (not closed by this allocator)
     * @param partners            the partner banks (not the platform)
     * @param products            the split per product
     * @param minPlatformShareBps the least share the platform must fund of each loan, from the regulatory file
     * @param platformCapMinor    the platform's leverage limit (leverage × net assets), minor units
     * @throws IllegalArgumentException naming the product or funder and the field when the configuration is invalid
     */
    public FundingAllocator(FundingQuotas quotas, List<FunderSpec> partners, List<ProductFunding> products,
            int minPlatformShareBps, long platformCapMinor) {
        this(quotas, partners, products, minPlatformShareBps, platformCapMinor, List.of());
    }

    /**
     * As {@link #FundingAllocator(FundingQuotas, List, List, int, long)}, and from each later minimum's date on
     * (a regulatory version loaded ahead of its date) the split moves so the platform funds at least that
     * minimum: a product whose platform share is below it gets the minimum, the difference taken from its
     * partners' shares, the last listed first. Nothing is rebuilt at that date; {@link #allocate} picks the
     * split by its {@code nowMs}.
     *
     * @param later later minimums, any order; their {@code minShareBps} 0..10000
     */
    public FundingAllocator(FundingQuotas quotas, List<FunderSpec> partners, List<ProductFunding> products,
            int minPlatformShareBps, long platformCapMinor, List<LaterMinimum> later) {
        this(quotas, partners, products, minPlatformShareBps, platformCapMinor, later, "");
    }

    /**
     * As {@link #FundingAllocator(FundingQuotas, List, List, int, long, List)} for one market of several: its
     * funders (the platform too) take their quota slots as {@code slotPrefix + id} (e.g. {@code "ID:platform"}), so
     * each market's lender and partners have quotas of their own in the shared table (in the market's currency);
     * responses name the funders without the prefix. {@code ""} = the default market, slots named as before.
     */
    public FundingAllocator(FundingQuotas quotas, List<FunderSpec> partners, List<ProductFunding> products,
            int minPlatformShareBps, long platformCapMinor, List<LaterMinimum> later, String slotPrefix) {
        if (minPlatformShareBps < 0 || minPlatformShareBps > 10_000) {
            throw new IllegalArgumentException("funding min_platform_share_bps: must be 0..10000, was "
                    + minPlatformShareBps);
        }
        if (platformCapMinor < 0 || platformCapMinor > FunderSpec.MAX_TOTAL_QUOTA) {
            throw new IllegalArgumentException("funding platform_cap_minor: must be 0.." + FunderSpec.MAX_TOTAL_QUOTA
                    + ", was " + platformCapMinor);
        }
        List<FunderSpec> all = new ArrayList<>();
        all.add(new FunderSpec(PLATFORM, platformCapMinor, FunderSpec.UNLIMITED_DAILY));
        Set<String> known = new HashSet<>();
        known.add(PLATFORM);
        for (FunderSpec partner : partners) {
            if (!known.add(partner.id())) {
                throw new IllegalArgumentException("funders: " + partner.id()
                        + (PLATFORM.equals(partner.id()) ? " is reserved for the platform" : " is listed twice"));
            }
            all.add(partner);
        }
        Set<Product> configured = new HashSet<>();
        for (ProductFunding product : products) {
            if (!configured.add(product.product())) {
                throw new IllegalArgumentException("funding " + product.product() + ": configured twice");
            }
            if (product.platformShareBps() < minPlatformShareBps) {
                throw new IllegalArgumentException("funding " + product.product() + " shares: the platform funds "
                        + product.platformShareBps() + " bps, below the minimum own share of " + minPlatformShareBps
                        + " bps");
            }
            for (ProductFunding.Share share : product.shares()) {
                if (!known.contains(share.funderId())) {
                    throw new IllegalArgumentException("funding " + product.product() + " shares: unknown funder "
                            + share.funderId());
                }
            }
        }
        Split[] splits = new Split[Product.values().length];
        this.quotas = quotas;
        int[] slots = quotas.configure(slotPrefix, slotPrefix.isEmpty() ? all : all.stream().map(f -> new FunderSpec(
                slotPrefix + f.id(), f.totalQuotaMinor(), f.dailyQuotaMinor())).toList());
        this.platformSlot = slots[0];
        for (int i = 0; i < all.size(); i++) {
            funderIds[slots[i]] = all.get(i).id();
        }
        for (ProductFunding product : products) {
            int partnerCount = product.shares().size() - 1;
            int[] partnerSlots = new int[partnerCount];
            int[] partnerBps = new int[partnerCount];
            int p = 0;
            for (ProductFunding.Share share : product.shares()) {
                if (!PLATFORM.equals(share.funderId())) {
                    partnerSlots[p] = slots[indexOf(all, share.funderId())];
                    partnerBps[p] = share.shareBps();
                    p++;
                }
            }
            splits[product.product().getNumber()] = new Split(platformSlot, product.platformShareBps(),
                    product.maxPlatformShareBps(), partnerSlots, partnerBps);
        }
        List<LaterMinimum> sorted = new ArrayList<>(later);
        sorted.sort((a, b) -> Long.compare(a.fromMs(), b.fromMs()));
        this.regimes = new Split[sorted.size() + 1][];
        this.regimeFromMs = new long[sorted.size() + 1];
        regimes[0] = splits;
        regimeFromMs[0] = Long.MIN_VALUE;
        for (int i = 0; i < sorted.size(); i++) {
            LaterMinimum m = sorted.get(i);
            if (m.minShareBps() < 0 || m.minShareBps() > 10_000) {
                throw new IllegalArgumentException("funding later min_platform_share_bps: must be 0..10000, was "
                        + m.minShareBps());
            }
            Split[] adjusted = new Split[splits.length];
            for (int p = 0; p < splits.length; p++) {
                adjusted[p] = splits[p] == null ? null : raised(splits[p], m.minShareBps());
            }
            regimes[i + 1] = adjusted;
            regimeFromMs[i + 1] = m.fromMs();
        }
    }

    /** The split with the platform's share raised to {@code minBps}, taken from the partners, last first. */
    private static Split raised(Split s, int minBps) {
        if (s.platformBps() >= minBps) {
            return s;
        }
        int[] bps = s.partnerBps().clone();
        int missing = minBps - s.platformBps();
        for (int p = bps.length - 1; p >= 0 && missing > 0; p--) {
            int take = Math.min(missing, bps[p]);
            bps[p] -= take;
            missing -= take;
        }
        return new Split(s.platform(), minBps, Math.max(minBps, s.maxPlatformBps()), s.partners(), bps);
    }

    /** The platform's share of {@code product} at {@code nowMs}, basis points (for tests and tools). */
    public int platformShareBps(Product product, long nowMs) {
        Split split = funds(product) ? splitsAt(nowMs)[product.getNumber()] : null;
        return split == null ? 0 : split.platformBps();
    }

    private Split[] splitsAt(long nowMs) {
        int i = regimeFromMs.length - 1;
        while (nowMs < regimeFromMs[i]) {
            i--;
        }
        return regimes[i];
    }

    private static int indexOf(List<FunderSpec> funders, String id) {
        for (int i = 0; i < funders.size(); i++) {
            if (funders.get(i).id().equals(id)) {
                return i;
            }
        }
        throw new IllegalStateException(id);
    }

    /** The quota table (for metrics: remaining quota per funder). */
    public FundingQuotas quotas() {
        return quotas;
    }

    /** The platform's slot in the quota table. */
    public int platformIndex() {
        return platformSlot;
    }

    /** True when the product has a split configured. */
    public boolean funds(Product product) {
        return product != Product.UNRECOGNIZED && regimes[0][product.getNumber()] != null;
    }

    /**
     * Splits a loan and reserves the funders' quotas on the UTC day of {@code nowMs}.
     *
     * @param product     the loan's product; one without a split answers {@link Result#FUNDING_UNAVAILABLE}
     * @param amountMinor the loan, 1..{@link #MAX_AMOUNT_MINOR} minor units
     * @param nowMs       the decision time, epoch ms (its UTC day is the daily quota's day)
     * @param out         filled with the split (or emptied, with the shortfall, on refusal)
     */
    public Result allocate(Product product, long amountMinor, long nowMs, FundingAllocation out) {
        return allocate(product, amountMinor, nowMs, nowMs, out);
    }

    /**
     * As {@link #allocate(Product, long, long, FundingAllocation)}, with the split (the regulatory minimum own share)
     * chosen at {@code regulatoryMs}, the time the decision's regulation is looked up at
     * ({@code RegulatoryParameters.decisionTime}); the quota day stays the UTC day of {@code nowMs}.
     */
    public Result allocate(Product product, long amountMinor, long nowMs, long regulatoryMs, FundingAllocation out) {
        if (amountMinor < 1 || amountMinor > MAX_AMOUNT_MINOR) {
            throw new IllegalArgumentException("amount_minor: must be 1.." + MAX_AMOUNT_MINOR + ", was " + amountMinor);
        }
        long day = FundingQuotas.dayIndex(nowMs);
        out.reset(amountMinor, day, funderIds);
        Split split = funds(product) ? splitsAt(regulatoryMs)[product.getNumber()] : null;
        if (split == null) {
            out.shortfallMinor = amountMinor;
            return Result.FUNDING_UNAVAILABLE;
        }
        int[] partners = split.partners();
        long[] got = out.partnerGot;
        long[] charged = out.partnerDay;
        long platformPart = amountMinor;
        for (int p = 0; p < partners.length; p++) {
            long part = amountMinor * split.partnerBps()[p] / 10_000;
            got[p] = part; // the target, for now
            charged[p] = day;
            platformPart -= part;
        }
        long platformReservation = quotas.reserve(split.platform(), platformPart, day, true, out.lane);
        if (FundingQuotas.amountOf(platformReservation) != platformPart) {
            out.shortfallMinor = platformPart;
            return Result.FUNDING_UNAVAILABLE;
        }
        long platformDay = FundingQuotas.dayOf(platformReservation);
        long shortfall = 0;
        for (int p = 0; p < partners.length; p++) {
            long target = got[p];
            long reservation = quotas.reserve(partners[p], target, day, false, out.lane);
            got[p] = FundingQuotas.amountOf(reservation);
            charged[p] = got[p] > 0 ? FundingQuotas.dayOf(reservation) : day;
            shortfall += target - got[p];
        }
        for (int p = 0; p < partners.length && shortfall > 0; p++) {
            long reservation = quotas.reserve(partners[p], shortfall, charged[p], false, out.lane);
            long extra;
            if (got[p] == 0) {
                extra = FundingQuotas.amountOf(reservation);
                charged[p] = FundingQuotas.dayOf(reservation);
            } else {
                extra = sameDay(partners[p], reservation, charged[p], out.lane);
            }
            got[p] += extra;
            shortfall -= extra;
        }
        if (shortfall > 0) {
            long room = amountMinor * split.maxPlatformBps() / 10_000 - platformPart;
            long reservation = quotas.reserve(split.platform(), Math.min(room, shortfall), platformDay, false,
                    out.lane);
            long extra = sameDay(split.platform(), reservation, platformDay, out.lane);
            platformPart += extra;
            shortfall -= extra;
        }
        if (shortfall > 0) {
            quotas.release(split.platform(), platformPart, platformDay, out.lane);
            for (int p = 0; p < partners.length; p++) {
                quotas.release(partners[p], got[p], charged[p], out.lane);
            }
            out.shortfallMinor = shortfall;
            return Result.FUNDING_UNAVAILABLE;
        }
        int partnerBps = 0;
        out.add(split.platform(), platformPart, platformDay);
        for (int p = 0; p < partners.length; p++) {
            if (got[p] > 0) {
                int bps = (int) (got[p] * 10_000 / amountMinor);
                out.shareBps[out.count] = bps;
                out.add(partners[p], got[p], charged[p]);
                partnerBps += bps;
            }
        }
        out.shareBps[0] = 10_000 - partnerBps;
        return Result.FUNDED;
    }

    /**
     * The amount of a second reservation for a funder whose entry is charged to {@code day}; one that midnight
     * moved to the next day is given back (an entry keeps one day, so its release returns the right daily quota).
     */
    private long sameDay(int funder, long reservation, long day, int lane) {
        long amount = FundingQuotas.amountOf(reservation);
        if (amount > 0 && FundingQuotas.dayOf(reservation) != day) {
            quotas.release(funder, amount, FundingQuotas.dayOf(reservation), lane);
            return 0;
        }
        return amount;
    }

    /** Gives back every reservation of a funded allocation (Cancel, hold expiry); see {@link FundingQuotas#release}. */
    public void release(FundingAllocation allocation) {
        for (int i = 0; i < allocation.count; i++) {
            quotas.release(allocation.funder[i], allocation.amount[i], allocation.day[i], allocation.lane);
        }
    }

    /**
     * Gives back one stored entry of an allocation: {@link FundingAllocation#funderIndex}, {@code amountMinor} and
     * {@link FundingAllocation#chargedDayIndex}.
     */
    public void release(int funderIndex, long amountMinor, long dayIndex) {
        quotas.release(funderIndex, amountMinor, dayIndex);
    }

    /**
     * Gives back one entry stored in a hold as {@link FundingAllocation#storedFunder} and its amount, with the
     * decision time that was passed to {@link #allocate} (the hold's creation time).
     */
    public void releaseStored(int storedFunder, long amountMinor, long decisionMs) {
        releaseStored(storedFunder, amountMinor, decisionMs, -1);
    }

    /**
     * As {@link #releaseStored(int, long, long)}, giving the amount back to Raft group {@code lane}'s lease too (a
     * replicated node's shard: the group that reserved it); -1 = no lease.
     */
    public void releaseStored(int storedFunder, long amountMinor, long decisionMs, int lane) {
        quotas.release(FundingAllocation.funderOf(storedFunder), amountMinor,
                FundingAllocation.dayOf(storedFunder, FundingQuotas.dayIndex(decisionMs)), lane);
    }
}
