package dev.formica.engine.risk;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.ConcentrationPolicy;
import dev.formica.engine.rules.ConcentrationPolicy.Dimension;
import dev.formica.engine.rules.Money;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.state.ExposureRecord;

/**
 * One shard's access to the engine-wide {@link ConcentrationTable}: the limits of a decision, the reservation of its
 * amount on its four keys (region, industry, merchant, related-party group), and the releases of Cancel, expiry and
 * Repay. A key that is empty (no merchant, no group, not a BUSINESS_LOAN for the industry) is not counted.
 *
 * <p>Limits, per dimension, in minor units: the rule set's {@code concentration.<dimension>_bps} of the platform's net
 * assets ({@code funding.platform_net_assets_minor}); for the group also the regulatory
 * {@code related_party_net_assets_bps} of the version in force; the lower binds.
 *
 * <p>Thread contract: one per shard, used by its single writer (and by start-up before the shards run). Allocation-
 * free except the texts of a decline.
 */
public final class ConcentrationGuard {
    private static final Dimension[] DIMENSIONS = Dimension.values();

    private final ConcentrationTable table;
    private final long[] limits = new long[DIMENSIONS.length];
    private final int[] reserved = new int[DIMENSIONS.length];
    private int reservedCount;
    private long reservedAmount;
    private Dimension failed;
    private boolean failedFull;
    private long failedExposure;
    private long failedLimit;
    private String failedSource;
    private final StringBuilder failedKey = new StringBuilder(ExposureRecord.MAX_KEY_CHARS);
    private final CharSequence[] keys = new CharSequence[DIMENSIONS.length];

    public ConcentrationGuard(ConcentrationTable table) {
        this.table = table;
    }

    public ConcentrationTable table() {
        return table;
    }

    /**
     * The limits in force for a decision under {@code rules} and the regulatory {@code regulatory} limits (null =
     * none), minor units per dimension; -1 = no limit. Allocation-free.
     */
    public static void limits(CompiledRuleSet rules, RegulatoryParameters.Limits regulatory, long[] out) {
        long netAssets = rules.funding() == null ? -1 : rules.funding().platformNetAssetsMinor();
        ConcentrationPolicy policy = rules.concentration();
        for (Dimension d : DIMENSIONS) {
            long bps = policy.bps(d);
            if (d == Dimension.GROUP && regulatory != null && regulatory.relatedPartyNetAssetsBps() >= 0
                    && (bps < 0 || regulatory.relatedPartyNetAssetsBps() < bps)) {
                bps = regulatory.relatedPartyNetAssetsBps();
            }
            out[d.ordinal()] = bps < 0 || netAssets < 0 ? -1 : Money.applyBps(netAssets, bps);
        }
    }

    /** Where a dimension's limit comes from, for a decline's text and GetConcentration. */
    public static String source(CompiledRuleSet rules, RegulatoryParameters.Limits regulatory, Dimension d) {
        long own = rules.concentration().bps(d);
        if (d == Dimension.GROUP && regulatory != null && regulatory.relatedPartyNetAssetsBps() >= 0
                && (own < 0 || regulatory.relatedPartyNetAssetsBps() < own)) {
            return "regulatory related-party limit " + regulatory.relatedPartyNetAssetsBps() + " bps of net assets ("
                    + regulatory.version() + ")";
        }
        return "rule set concentration." + d.label() + "_bps " + own + " bps of net assets";
    }

    /**
     * Reserves {@code amountMinor} on each non-empty key, in the order region, industry, merchant, group; each
     * reservation is exact (a compare-and-set against the key's limit). When one does not fit, the ones before are
     * given back and nothing stays reserved; {@link #failed()} and the failed* accessors say which and by how much.
     *
     * @return true when every key took the amount ({@link #undo} gives it back, e.g. when funding then fails)
     */
    public boolean reserve(CompiledRuleSet rules, RegulatoryParameters.Limits regulatory, CharSequence region,
            CharSequence industry, CharSequence merchant, CharSequence group, long amountMinor) {
        limits(rules, regulatory, limits);
        keys[Dimension.REGION.ordinal()] = region;
        keys[Dimension.INDUSTRY.ordinal()] = industry;
        keys[Dimension.MERCHANT.ordinal()] = merchant;
        keys[Dimension.GROUP.ordinal()] = group;
        reservedCount = 0;
        reservedAmount = amountMinor;
        failed = null;
        for (Dimension d : DIMENSIONS) {
            CharSequence key = keys[d.ordinal()];
            if (key.length() == 0) {
                continue;
            }
            int slot = table.claim(d, key);
            long limit = limits[d.ordinal()];
            if (slot < 0 || !table.tryAdd(slot, amountMinor, limit)) {
                failed = d;
                failedFull = slot < 0;
                failedExposure = slot < 0 ? 0 : table.exposure(slot);
                failedLimit = limit;
                failedSource = source(rules, regulatory, d);
                failedKey.setLength(0);
                failedKey.append(key);
                undo();
                return false;
            }
            reserved[reservedCount++] = slot;
        }
        return true;
    }

    /** Gives back what the last successful {@link #reserve} took. */
    public void undo() {
        for (int i = 0; i < reservedCount; i++) {
            table.add(reserved[i], -reservedAmount);
        }
        reservedCount = 0;
    }

    /**
     * Whether {@code amountMinor} would fit every key's limit now, reserving nothing (a shadow rule set's view).
     */
    public boolean fits(CompiledRuleSet rules, RegulatoryParameters.Limits regulatory, CharSequence region,
            CharSequence industry, CharSequence merchant, CharSequence group, long amountMinor) {
        limits(rules, regulatory, limits);
        return fits(Dimension.REGION, region, amountMinor) && fits(Dimension.INDUSTRY, industry, amountMinor)
                && fits(Dimension.MERCHANT, merchant, amountMinor) && fits(Dimension.GROUP, group, amountMinor);
    }

    private boolean fits(Dimension d, CharSequence key, long amountMinor) {
        long limit = limits[d.ordinal()];
        if (key.length() == 0 || limit < 0) {
            return true;
        }
        int slot = table.find(d, key);
        return (slot < 0 ? 0 : table.exposure(slot)) + amountMinor <= limit;
    }

    /** Takes {@code amountMinor} off each non-empty key (Cancel, expiry, Repay, the old keys of a move). */
    public void release(CharSequence region, CharSequence industry, CharSequence merchant, CharSequence group,
            long amountMinor) {
        change(Dimension.REGION, region, -amountMinor);
        change(Dimension.INDUSTRY, industry, -amountMinor);
        change(Dimension.MERCHANT, merchant, -amountMinor);
        change(Dimension.GROUP, group, -amountMinor);
    }

    /** Adds {@code amountMinor} to each non-empty key with no limit check (start-up, the new keys of a move). */
    public void add(CharSequence region, CharSequence industry, CharSequence merchant, CharSequence group,
            long amountMinor) {
        change(Dimension.REGION, region, amountMinor);
        change(Dimension.INDUSTRY, industry, amountMinor);
        change(Dimension.MERCHANT, merchant, amountMinor);
        change(Dimension.GROUP, group, amountMinor);
    }

    private void change(Dimension d, CharSequence key, long delta) {
        if (key.length() == 0 || delta == 0) {
            return;
        }
        int slot = delta > 0 ? table.claim(d, key) : table.find(d, key);
        if (slot < 0) {
            table.countUntracked();
            return;
        }
        table.add(slot, delta);
    }

    /** The dimension the last {@link #reserve} failed on; null when it succeeded. */
    public Dimension failed() {
        return failed;
    }

    /** The decline's reason text. */
    public String failedText() {
        return failedFull ? "the concentration table is full: the " + failed.label() + " cannot be counted (raise"
                + " concentrationKeys)" : "the " + failed.label() + " concentration limit (" + failedSource + ")";
    }

    /** The decline's reason value: the key, the headroom left, the limit and the exposure, minor units. */
    public String failedValue() {
        return failed.label() + "=" + failedKey + ", headroom_minor=" + Math.max(0, failedLimit - failedExposure)
                + ", limit_minor=" + failedLimit + ", exposure_minor=" + failedExposure;
    }

    /** Headroom left on the failed key, minor units. */
    public long failedHeadroom() {
        return Math.max(0, failedLimit - failedExposure);
    }
}
