package dev.formica.engine.risk;

import dev.formica.engine.rules.LinePolicy;
import dev.formica.engine.rules.LoanProduct;
import dev.formica.engine.rules.Money;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;

/**
 * Formica's credit policy in one place: the licence's regions, the line's freeze and the chain of caps ({@link Cap}),
 * which answers both questions the decision path asks. Decide asks "does this amount fit?" ({@link #fits}): the first
 * cap the borrower's balance plus the amount would pass binds. Apply asks "what line may be granted?"
 * ({@link #grant}): every cap below the line lowers it, and the last one that did is the reason. Each cap's number is
 * worked out once, in {@link #ceiling}, for both questions; changing a cap means editing that method (docs/rules.md,
 * "Where the policy lives"). {@link #resolve} turns the rules' action into the transaction's action, for the live
 * and the shadow rule set alike.
 *
 * <p>Set up, then ask: {@link #terms} (the rule set's line policy and the regulation in force), {@link #borrower}
 * (balances, income, own limit) and, for Decide, {@link #drawing}. After a question, {@link #code()},
 * {@link #text()}, {@link #value()} and {@link #limit()} describe what bound ({@code code() == null}: nothing did).
 *
 * <p>Thread contract: owned by the shard's single writer (one instance per {@link RiskEvaluator}). Allocation-free
 * until something binds; only then are the reason's text and value built.
 */
public final class CreditPolicy {
    /** The built-in decline of a borrower outside the licence's regions (issue 20, deliverable 3). */
    public static final String OUTSIDE_LICENSED_REGION = "OUTSIDE_LICENSED_REGION";
    /** The built-in decline of a drawing on a line an early-warning rule froze. */
    public static final String LINE_FROZEN = "LINE_FROZEN";
    /** The decline of an application whose capped line is below the product's minimum. */
    public static final String LINE_BELOW_MINIMUM = "LINE_BELOW_MINIMUM";

    /**
     * The caps in the order they are checked; the constant's name is the reason code. Some answer one question
     * only: the available line and the lender's net assets are about what a drawing adds to balances (Decide), the
     * product's maximum is about the size of a new line (Apply). The regulatory numbers come from the licence's
     * version in force (REGULATION.md); the ones named here are those of the shipped {@code cn-microlending.yaml}.
     */
    public enum Cap {
        /** Decide: the line (plus seasonal uplift and order-backed extra) minus what is held and drawn. */
        INSUFFICIENT_LINE,
        /** The product's risk-appetite factor below 10000 bps scales the line (AdminService.SetRiskAppetite). */
        RISK_APPETITE,
        /** Apply: the rule set's maximum line of the product ({@code lines.<product>.max_minor}). */
        CAP_PRODUCT,
        /** Business loans: the borrower's business-loan balance (NFRA 2025: ≤ 10,000,000 CNY per borrower). */
        CAP_REGULATORY_BUSINESS,
        /** Consumer products: the borrower's consumer balance (NFRA 2025: ≤ 200,000 CNY per household). */
        CAP_REGULATORY_HOUSEHOLD,
        /** Consumer products: consumer balance against income (2020 draft: ≤ 1/3 of average annual income). */
        CAP_REGULATORY_INCOME,
        /** Decide: one borrower's balance against the lender's net assets (NFRA 2025: ≤ 10 %). */
        CAP_REGULATORY_NET_ASSETS,
        /** All balances against the annual income: the rule set's {@code lines.<product>.income_ratio_cap_bps}. */
        CAP_INCOME_RATIO,
        /** All balances against the borrower's own limit (the rational-consumption setting of the profile). */
        CAP_SELF_LIMIT
    }

    private static final Cap[] CHAIN = Cap.values();
    /** "This cap does not apply": below any amount a cap or a line can have. */
    private static final long NONE = Long.MIN_VALUE;

    // the terms, set by terms()
    private LinePolicy lines;
    private RegulatoryParameters.Limits limits;
    private long netAssetsMinor = NONE;
    private int appetiteBps = RiskAppetite.NEUTRAL_BPS;

    // the borrower, set by borrower()
    private long consumerBalance;
    private long businessBalance;
    private long totalBalance;
    private long incomeMinor;
    private long selfLimitMinor = NONE;

    // the drawing, set by drawing()
    private boolean business;
    private long amountMinor;
    private long effectiveLine;
    private long usedMinor;

    // what bound
    private String code;
    private String text;
    private String value;
    private long limit;

    /**
     * Sets the terms the next questions are answered under.
     *
     * @param linePolicy     the rule set's policy for the product; null = none (Apply declines before asking)
     * @param regulation     the licence's regulatory limits in force at the decision's time; null = none
     * @param netAssets      the lender's net assets, minor units ({@code funding.platform_net_assets_minor});
     *                       -1 = unknown, so no net-assets cap
     * @param appetite       the product's risk-appetite factor, bps ({@link RiskAppetite#NEUTRAL_BPS} = none)
     */
    public CreditPolicy terms(LinePolicy linePolicy, RegulatoryParameters.Limits regulation, long netAssets,
            int appetite) {
        this.lines = linePolicy;
        this.limits = regulation;
        this.netAssetsMinor = netAssets >= 0 ? netAssets : NONE;
        this.appetiteBps = appetite;
        return this;
    }

    /**
     * Sets the borrower: balances (held + drawn, minor units) on consumer products and on business loans, declared
     * annual income (0 = none), and their own limit ({@code -1} = none set).
     */
    public CreditPolicy borrower(long consumerBalanceMinor, long businessBalanceMinor, long annualIncomeMinor,
            long selfLimit) {
        this.consumerBalance = consumerBalanceMinor;
        this.businessBalance = businessBalanceMinor;
        this.totalBalance = consumerBalanceMinor + businessBalanceMinor;
        this.incomeMinor = annualIncomeMinor;
        this.selfLimitMinor = selfLimit >= 0 ? selfLimit : NONE;
        return this;
    }

    /**
     * Sets the drawing Decide asks about: {@code amount} on the product number's line, whose effective size is
     * {@code effectiveLineMinor} (the line plus seasonal uplift and order-backed extra) and of which
     * {@code usedMinor} is held or drawn.
     */
    public CreditPolicy drawing(int productNumber, long amount, long effectiveLineMinor, long used) {
        this.business = LoanProduct.isBusiness(productNumber);
        this.amountMinor = amount;
        this.effectiveLine = effectiveLineMinor;
        this.usedMinor = used;
        return this;
    }

    /**
     * The action of a drawing, the same resolver for the live and the shadow rule set: the rules' strongest action,
     * turned into a decline when the licence does not lend in {@code region}, the line is frozen, or (unless the
     * rules already declined) the amount does not fit. When one of these built-in checks declined, {@link #code()}
     * names it; it is null when the action is the rules' own.
     */
    public Rule.Action resolve(Rule.Action ruled, String region, boolean frozen) {
        if (!lendsIn(region) || !lineOpen(frozen)) {
            return Rule.Action.DECLINE;
        }
        if (ruled != Rule.Action.DECLINE && !fits()) {
            return Rule.Action.DECLINE;
        }
        return ruled;
    }

    /**
     * Whether the licence lends in the borrower's region ({@link RegulatoryParameters.Limits#lendsIn}); when it
     * does not, {@link #OUTSIDE_LICENSED_REGION} binds. Every region is allowed when no regulation is in force.
     */
    public boolean lendsIn(String region) {
        clear();
        if (limits == null || limits.lendsIn(region)) {
            return true;
        }
        return bind(OUTSIDE_LICENSED_REGION, "the licence does not lend in the borrower's region ("
                + limits.version() + ")", "region=" + (region.isEmpty() ? "unknown" : region) + ", licensed="
                + limits.regions().describe(), 0);
    }

    /** Whether a line may be drawn on: not when an early-warning rule froze it ({@link #LINE_FROZEN} binds). */
    public boolean lineOpen(boolean frozen) {
        clear();
        return !frozen || bind(LINE_FROZEN, "the line is frozen after an early-warning event", "frozen=true", 0);
    }

    /**
     * Decide: whether the drawing fits the line and every cap. When it does not, the first binding cap is
     * {@link #code()} and {@link #limit()} is the headroom it left (minor units, never negative).
     */
    public boolean fits() {
        clear();
        for (Cap cap : CHAIN) {
            long ceiling = ceiling(cap, false, effectiveLine);
            if (ceiling == NONE) {
                continue;
            }
            long headroom = ceiling - counted(cap);
            if (amountMinor > headroom) {
                long left = Math.max(0, headroom);
                return bind(cap.name(), text(cap, false), (cap == Cap.INSUFFICIENT_LINE ? "available_minor="
                        : "headroom_minor=") + left, left);
            }
        }
        return true;
    }

    /**
     * Apply: the line an eligible grade may be granted on a product (the terms' line policy must be that product's,
     * and {@code grade} eligible for it). Starts from the income × multiple of the grade, lowers it to every cap
     * below it, then to {@code requestedMinor} when the applicant asked for less (no cap is the reason then).
     * Existing balances are not subtracted: the line is what the borrower may hold on this product, and Decide
     * checks the balances at each drawing. When the result is below the product's minimum the application is
     * declined ({@link #LINE_BELOW_MINIMUM}, {@link #belowMinimum()}) and the line is 0.
     *
     * @return the line, minor units; {@link #code()} is the cap that lowered it last, or null
     */
    public long grant(int productNumber, int grade, long requestedMinor) {
        clear();
        business = LoanProduct.isBusiness(productNumber);
        long line = lines.baseLine(grade, incomeMinor);
        Cap bound = null;
        long before = 0;
        for (Cap cap : CHAIN) {
            long ceiling = ceiling(cap, true, line);
            if (ceiling != NONE && ceiling < line) {
                bound = cap;
                before = line;
                line = ceiling;
            }
        }
        if (requestedMinor > 0 && requestedMinor < line) {
            line = requestedMinor;
            bound = null;
        }
        if (line < lines.minMinor()) {
            bind(LINE_BELOW_MINIMUM, "the line the policy allows is below the product minimum",
                    "line_minor=" + line + ", min_minor=" + lines.minMinor(), lines.minMinor());
            return 0;
        }
        if (bound != null) {
            bind(bound.name(), text(bound, true), "cap_minor=" + line + ", line_before_minor=" + before, line);
        }
        return line;
    }

    /**
     * What {@code cap} allows on the balance it counts, or {@link #NONE} when it does not apply to this product or
     * question. {@code line} is the effective line (Decide) or the line being granted (Apply).
     */
    private long ceiling(Cap cap, boolean grant, long line) {
        RegulatoryParameters.Limits l = limits;
        switch (cap) {
            case INSUFFICIENT_LINE:
                return grant ? NONE : line;
            case RISK_APPETITE:
                return appetiteBps < RiskAppetite.NEUTRAL_BPS ? Money.applyBps(line, appetiteBps) : NONE;
            case CAP_PRODUCT:
                return grant ? orNone(lines.maxMinor()) : NONE;
            case CAP_REGULATORY_BUSINESS:
                return l != null && business ? orNone(l.businessBalanceCapMinor()) : NONE;
            case CAP_REGULATORY_HOUSEHOLD:
                return l != null && !business ? orNone(l.consumerBalanceCapMinor()) : NONE;
            case CAP_REGULATORY_INCOME:
                return l != null && !business ? ofIncome(l.incomeRatioCapBps()) : NONE;
            case CAP_REGULATORY_NET_ASSETS:
                return !grant && l != null && l.singleBorrowerNetAssetsBps() >= 0 && netAssetsMinor != NONE
                        ? Money.applyBps(netAssetsMinor, l.singleBorrowerNetAssetsBps()) : NONE;
            case CAP_INCOME_RATIO:
                return lines != null ? ofIncome(lines.incomeRatioCapBps()) : NONE;
            case CAP_SELF_LIMIT:
                return selfLimitMinor;
            default:
                throw new IllegalStateException("no ceiling for " + cap);
        }
    }

    /** The balance a cap counts (Decide); the line's own use for the line and appetite caps. */
    private long counted(Cap cap) {
        switch (cap) {
            case INSUFFICIENT_LINE:
            case RISK_APPETITE:
                return usedMinor;
            case CAP_REGULATORY_BUSINESS:
                return businessBalance;
            case CAP_REGULATORY_HOUSEHOLD:
            case CAP_REGULATORY_INCOME:
                return consumerBalance;
            default:
                return totalBalance;
        }
    }

    /** Income × {@code bps}; none without a ratio or without a declared income. */
    private long ofIncome(long bps) {
        return bps >= 0 && incomeMinor > 0 ? Money.applyBps(incomeMinor, bps) : NONE;
    }

    private static long orNone(long cap) {
        return cap >= 0 ? cap : NONE;
    }

    private String text(Cap cap, boolean grant) {
        String version = limits == null ? "" : limits.version();
        switch (cap) {
            case INSUFFICIENT_LINE:
                return "the amount exceeds the available line";
            case RISK_APPETITE:
                return "the risk-appetite factor (" + appetiteBps + " bps) "
                        + (grant ? "lowers new lines" : "limits new approvals on this product");
            case CAP_PRODUCT:
                return "the product's maximum line";
            case CAP_REGULATORY_BUSINESS:
                return (grant ? "the regulatory balance cap (" : "the business-loan balance cap (") + version + ")";
            case CAP_REGULATORY_HOUSEHOLD:
                return (grant ? "the regulatory balance cap (" : "the consumer-loan balance cap per borrower (")
                        + version + ")";
            case CAP_REGULATORY_INCOME:
                return "the regulatory income-ratio cap (" + version + ")";
            case CAP_REGULATORY_NET_ASSETS:
                return "one borrower's balance against the lender's net assets (" + version + ")";
            case CAP_INCOME_RATIO:
                return grant ? "the rule set's income-ratio cap" : "all balances against the annual income (rule set)";
            default:
                return (grant ? "the applicant's" : "the borrower's") + " own limit (rational-consumption setting)";
        }
    }

    private void clear() {
        code = null;
        text = null;
        value = null;
        limit = 0;
    }

    private boolean bind(String bindingCode, String bindingText, String bindingValue, long bindingLimit) {
        code = bindingCode;
        text = bindingText;
        value = bindingValue;
        limit = bindingLimit;
        return false;
    }

    /** The reason code of what bound in the last call, or null when nothing did. */
    public String code() {
        return code;
    }

    /** Why it bound, for the reason's text. */
    public String text() {
        return text;
    }

    /** The numbers behind it, for the reason's value ("headroom_minor=...", "cap_minor=..., line_before_minor=..."). */
    public String value() {
        return value;
    }

    /** Decide: the headroom the binding cap left; Apply: the cap the line was lowered to (or the minimum). */
    public long limit() {
        return limit;
    }

    /** Whether the last {@link #grant} declined because the capped line is below the product's minimum. */
    public boolean belowMinimum() {
        return LINE_BELOW_MINIMUM.equals(code);
    }
}
