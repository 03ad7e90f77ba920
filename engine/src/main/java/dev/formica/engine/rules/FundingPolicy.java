package dev.formica.engine.rules;

import java.util.List;
import java.util.Map;

/**
 * Who funds each product: the platform's own balance sheet and partner banks, with shares and quotas.
 *
 * @param platformNetAssetsMinor the platform's net assets; its own funded exposure may not pass the
 *     regulatory leverage multiple of this
 * @param funders partner banks with their origination quotas
 * @param products per product number, the funders and their shares (adding up to 10000 bps)
 */
public record FundingPolicy(long platformNetAssetsMinor, List<Funder> funders, Map<Integer, List<Share>> products) {
    /** The platform's own funder id. */
    public static final String PLATFORM = "platform";

    /** A partner bank: total and daily origination quota, minor units. */
    public record Funder(String id, long totalQuotaMinor, long dailyQuotaMinor) {
    }

    /** One funder's share of a product's loans. */
    public record Share(String funderId, int shareBps) {
    }
}
