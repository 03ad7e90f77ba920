package dev.formica.engine.funding;

/**
 * A funder of loans and its origination quotas. Immutable.
 *
 * @param id              {@code "platform"} for the platform's own balance sheet, otherwise the partner bank's id;
 *                        1..{@value #MAX_ID_LENGTH} printable ASCII characters
 * @param totalQuotaMinor the most this funder may originate in total, minor units, 0..{@value #MAX_TOTAL_QUOTA}
 * @param dailyQuotaMinor the most it may originate in one UTC day, minor units, 0..{@value #UNLIMITED_DAILY}
 *                        ({@link #UNLIMITED_DAILY} means no daily limit)
 */
public record FunderSpec(String id, long totalQuotaMinor, long dailyQuotaMinor) {
    /** Longest funder id, characters (it is stored in the quota file's slot). */
    public static final int MAX_ID_LENGTH = 40;
    /** The largest daily quota, which is also "no daily limit": 2^44 − 1 minor units (≈ 175 billion CNY). */
    public static final long UNLIMITED_DAILY = (1L << 44) - 1;
    /** The largest total quota, 2^60 minor units: leaves room so sums never overflow. */
    public static final long MAX_TOTAL_QUOTA = 1L << 60;

    /** Validates every field; a bad one throws {@link IllegalArgumentException} naming it. */
    public FunderSpec {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH || !id.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new IllegalArgumentException("funder id: must be 1.." + MAX_ID_LENGTH
                    + " printable ASCII characters, was '" + id + "'");
        }
        if (totalQuotaMinor < 0 || totalQuotaMinor > MAX_TOTAL_QUOTA) {
            throw new IllegalArgumentException("funder " + id + " total_quota_minor: must be 0.." + MAX_TOTAL_QUOTA
                    + ", was " + totalQuotaMinor);
        }
        if (dailyQuotaMinor < 0 || dailyQuotaMinor > UNLIMITED_DAILY) {
            throw new IllegalArgumentException("funder " + id + " daily_quota_minor: must be 0.." + UNLIMITED_DAILY
                    + " (the largest means unlimited), was " + dailyQuotaMinor);
        }
    }
}
