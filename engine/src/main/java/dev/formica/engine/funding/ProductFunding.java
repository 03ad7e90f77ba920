package dev.formica.engine.funding;

import dev.formica.v1.Product;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How one product's loans are split between funders. Immutable. Checked against the funders and the minimum
 * platform share by {@link FundingAllocator}; checked on its own here.
 *
 * @param product             the product
 * @param shares              the funders' shares, the platform's included; partners in order of preference (the
 *                            first partner with quota takes over a partner's part when that one runs out)
 * @param maxPlatformShareBps how far the platform may go above its configured share to absorb a shortfall the
 *                            partners cannot take, basis points of the loan; equal to the platform's share (the
 *                            two-argument constructor) means it never absorbs
 */
public record ProductFunding(Product product, List<Share> shares, int maxPlatformShareBps) {
    /**
     * One funder's configured share of each loan.
     *
     * @param funderId a {@link FunderSpec#id()} or {@value FundingAllocator#PLATFORM}
     * @param shareBps basis points of the loan, 0..10,000 (0 = only takes over other partners' shortfalls)
     */
    public record Share(String funderId, int shareBps) {
        /** Validates the share. */
        public Share {
            if (funderId == null || funderId.isEmpty()) {
                throw new IllegalArgumentException("funding share funder_id: must not be empty");
            }
            if (shareBps < 0 || shareBps > 10_000) {
                throw new IllegalArgumentException("funding share of " + funderId + " share_bps: must be 0..10000, was "
                        + shareBps);
            }
        }
    }

    /** Validates the split; a bad one throws {@link IllegalArgumentException} naming the product and field. */
    public ProductFunding {
        if (product == null || product == Product.PRODUCT_UNSPECIFIED || product == Product.UNRECOGNIZED) {
            throw new IllegalArgumentException("funding product: must be a product, was " + product);
        }
        if (shares == null || shares.isEmpty() || shares.size() > FundingAllocation.MAX_SHARES) {
            throw new IllegalArgumentException("funding " + product + " shares: 1.." + FundingAllocation.MAX_SHARES
                    + " funders, was " + (shares == null ? 0 : shares.size()));
        }
        shares = List.copyOf(shares);
        Set<String> seen = new HashSet<>();
        int sum = 0;
        Share platform = null;
        for (Share share : shares) {
            if (!seen.add(share.funderId())) {
                throw new IllegalArgumentException("funding " + product + " shares: " + share.funderId()
                        + " is listed twice");
            }
            sum += share.shareBps();
            if (FundingAllocator.PLATFORM.equals(share.funderId())) {
                platform = share;
            }
        }
        if (sum != 10_000) {
            throw new IllegalArgumentException("funding " + product + " shares: must add up to 10000 bps, add up to "
                    + sum);
        }
        if (platform == null) {
            throw new IllegalArgumentException("funding " + product + " shares: the platform ("
                    + FundingAllocator.PLATFORM + ") must fund a share");
        }
        if (maxPlatformShareBps < platform.shareBps() || maxPlatformShareBps > 10_000) {
            throw new IllegalArgumentException("funding " + product + " max_platform_share_bps: must be "
                    + platform.shareBps() + " (the platform's share)..10000, was " + maxPlatformShareBps);
        }
    }

    /** A split in which the platform never goes above its configured share. */
    public ProductFunding(Product product, List<Share> shares) {
        this(product, shares, platformShare(shares));
    }

    /** The platform's configured share, basis points; 0 when it has none. */
    public int platformShareBps() {
        return platformShare(shares);
    }

    private static int platformShare(List<Share> shares) {
        if (shares != null) {
            for (Share share : shares) {
                if (share != null && FundingAllocator.PLATFORM.equals(share.funderId())) {
                    return share.shareBps();
                }
            }
        }
        return 0;
    }
}
