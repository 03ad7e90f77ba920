package dev.formica.engine.rules;

import dev.formica.engine.pricing.FeeSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated, type-checked rule set ready to evaluate: what {@code formica rules validate} and
 * {@code AdminService.PublishRuleSet} produce, and what every shard reads through one volatile reference
 * when it is active, so a swap takes effect between requests.
 *
 * <p>Thread contract: immutable; shared by every shard.
 */
public final class CompiledRuleSet {
    private final String version;
    private final com.google.protobuf.ByteString versionBytes;
    private final String description;
    private final String yaml;
    private final String licence;
    private final FeatureLayout layout;
    private final Rule[] fraud;
    private final Rule[] credit;
    private final Scorecard scorecard;
    private final LinePolicy[] lines;
    private final PricingPolicy pricing;
    private final FundingPolicy funding;
    private final ConcentrationPolicy concentration;
    private final List<RuleProblem> warnings;
    private final EarlyWarningRule[] earlyWarning;
    private final List<List<FeeSpec>> feesByProduct;

    CompiledRuleSet(String version, String description, String yaml, String licence, FeatureLayout layout,
            Rule[] fraud, Rule[] credit, Scorecard scorecard, LinePolicy[] lines, PricingPolicy pricing,
            FundingPolicy funding, ConcentrationPolicy concentration, EarlyWarningRule[] earlyWarning,
            List<RuleProblem> warnings) {
        this.version = version;
        this.versionBytes = com.google.protobuf.ByteString.copyFromUtf8(version);
        this.description = description;
        this.yaml = yaml;
        this.licence = licence;
        this.layout = layout;
        this.fraud = fraud;
        this.credit = credit;
        this.scorecard = scorecard;
        this.lines = lines;
        this.pricing = pricing;
        this.funding = funding;
        this.concentration = concentration == null ? ConcentrationPolicy.NONE : concentration;
        this.warnings = List.copyOf(warnings);
        this.earlyWarning = earlyWarning;
        List<List<FeeSpec>> fees = new ArrayList<>();
        for (int product = 0; product <= LoanProduct.HIGHEST; product++) {
            List<FeeSpec> list = new ArrayList<>();
            if (pricing != null) {
                for (PricingPolicy.FeeRule f : pricing.fees()) {
                    if (f.appliesTo(product)) {
                        list.add(new FeeSpec(f.code(), f.text(), f.fixedMinor(), (int) f.bps(),
                                f.upfront() ? FeeSpec.Timing.UPFRONT : FeeSpec.Timing.PER_INSTALLMENT));
                    }
                }
            }
            fees.add(List.copyOf(list));
        }
        this.feesByProduct = List.copyOf(fees);
    }

    /** The fees that apply to a product number, ready for the installment planner. */
    public List<FeeSpec> feesFor(int product) {
        return feesByProduct.get(product);
    }

    public String version() {
        return version;
    }

    /** {@link #version()} as UTF-8, encoded once for every response. */
    public com.google.protobuf.ByteString versionBytes() {
        return versionBytes;
    }

    public String description() {
        return description;
    }

    /** The YAML text it was compiled from. */
    public String yaml() {
        return yaml;
    }

    /** The licence type whose regulatory limits apply. */
    public String licence() {
        return licence;
    }

    public FeatureLayout layout() {
        return layout;
    }

    public int fraudRuleCount() {
        return fraud.length;
    }

    public Rule fraudRule(int i) {
        return fraud[i];
    }

    public int creditRuleCount() {
        return credit.length;
    }

    public Rule creditRule(int i) {
        return credit[i];
    }

    public Scorecard scorecard() {
        return scorecard;
    }

    /** The line policy of a product number, or null when the rule set does not lend on it. */
    public LinePolicy lines(int product) {
        return product > 0 && product < lines.length ? lines[product] : null;
    }

    public int earlyWarningRuleCount() {
        return earlyWarning.length;
    }

    public EarlyWarningRule earlyWarningRule(int i) {
        return earlyWarning[i];
    }

    public PricingPolicy pricing() {
        return pricing;
    }

    /** The concentration limits (never null; {@link ConcentrationPolicy#NONE} when the rule set sets none). */
    public ConcentrationPolicy concentration() {
        return concentration;
    }

    public FundingPolicy funding() {
        return funding;
    }

    public List<RuleProblem> warnings() {
        return warnings;
    }
}
