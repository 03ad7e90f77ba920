package dev.formica.engine.rules;

/**
 * A rule set's concentration limits (its {@code concentration} section): the most exposure (held + drawn) one key
 * of a dimension may carry, in basis points of the platform's net assets ({@code funding.platform_net_assets_minor}).
 * The regulatory file adds its own limit on related parties ({@code related_party_net_assets_bps}); the lower of the
 * two binds. A dimension without a limit is still counted.
 *
 * <p>Thread contract: immutable.
 *
 * @param bpsByDimension per {@link Dimension#ordinal()}; -1 = no limit in the rule set
 */
public record ConcentrationPolicy(long[] bpsByDimension) {
    /** No limits. */
    public static final ConcentrationPolicy NONE = new ConcentrationPolicy(new long[] {-1, -1, -1, -1});

    /** The four dimensions exposure is aggregated by. */
    public enum Dimension {
        /** The borrower's registered region (profile; the request's when the profile has none). */
        REGION,
        /** The merchant category of a BUSINESS_LOAN (the SME's industry). */
        INDUSTRY,
        /** The merchant a loan was originated through ({@code merchant_id}). */
        MERCHANT,
        /** The borrower's related-party group ({@code Profile.group_id}). */
        GROUP;

        private static final Dimension[] ALL = values();

        /** The reason code of a decision this dimension's limit declined. */
        public String code() {
            return "CONCENTRATION_" + name();
        }

        /** Lower-case name (metrics labels, the rule-set keys without {@code _bps}). */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Dimension of(int ordinal) {
            return ALL[ordinal];
        }
    }

    /** The rule set's limit of a dimension, basis points of net assets; -1 = none. */
    public long bps(Dimension d) {
        return bpsByDimension[d.ordinal()];
    }
}
