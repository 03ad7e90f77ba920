package dev.formica.engine.risk;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.EarlyWarningRule;
import dev.formica.engine.rules.FeatureLayout;
import dev.formica.engine.rules.FeatureType;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Features;
import dev.formica.engine.rules.LinePolicy;
import dev.formica.engine.rules.LoanProduct;
import dev.formica.engine.rules.Money;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.rules.Scorecard;
import dev.formica.engine.state.BorrowerActivity;
import dev.formica.engine.state.BorrowerBook;
import dev.formica.engine.state.DecisionRecords;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.VelocityReading;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Profile;
import dev.formica.v1.RiskEvent;
import java.time.LocalDate;
import java.util.Map;

/**
 * One shard's risk evaluation: fills the {@link FeatureVector} for a decision or an application, runs the
 * fraud rules, the scorecard and the credit rules of a {@link CompiledRuleSet}, and checks the caps. The
 * results stay in this object (fired rules, score, grade, binding cap) until the next call, so building
 * the response reads them without copies.
 *
 * <p>Thread contract: owned by the shard's single writer; all scratch is reused, and evaluation itself
 * allocates nothing (reason texts are built by the caller only for rules that fired).
 */
public final class RiskEvaluator {
    static final String[] GRADE_NAMES = {"", "A", "B", "C", "D", "E"};
    private static final String[] CHANNELS = {"", "APP", "WEB", "MINI_PROGRAM", "POS", "API"};
    private static final VelocityWindows.Dimension[] DIMENSIONS = VelocityWindows.Dimension.values();
    private static final LoanProduct[] PRODUCTS = LoanProduct.values();

    private final RiskContext engine;
    private final VelocityReading reading = new VelocityReading();
    /** The borrower's lines and activity as this evaluator reads them; {@link #borrower} gives it one instead. */
    private final BorrowerBook.Reading own = new BorrowerBook.Reading();
    private BorrowerBook.Reading given;
    private BorrowerActivity.Reading activity = own.activity();
    private FeatureVector features = new FeatureVector(Features.BUILTIN_COUNT + 32);
    private boolean requestAttributes = true;
    private int[] fired = new int[64];
    private int firedCount;
    private int fraudFired;
    private int[] points = new int[16];
    private int[] bins = new int[16];
    private int score;
    private double pd;
    private int grade;
    private long ruleErrors;
    private long consumerBalance;
    private long businessBalance;
    private long totalBalance;
    private long effectiveLine;
    private final CreditPolicy policy = new CreditPolicy();
    private Rule.Action fraudAction = Rule.Action.TAG;
    private Rule.Action creditAction = Rule.Action.TAG;
    private long cachedDay = Long.MIN_VALUE;
    private int cachedMonth;
    private long offsetMs;
    /**
     * From this time on (epoch ms) the zone's offset is {@link #steadyOffsetMs} for good: a zone such as
     * Asia/Shanghai whose last transition is history and that has no rules for future ones. Long.MAX_VALUE = none.
     */
    private final long steadyFromMs;
    private final long steadyOffsetMs;

    public RiskEvaluator(RiskContext engine) {
        this.engine = engine;
        var rules = engine.zone().getRules();
        this.offsetMs = rules.isFixedOffset() ? rules.getOffset(java.time.Instant.EPOCH).getTotalSeconds() * 1000L
                : Long.MIN_VALUE;
        var transitions = rules.getTransitions();
        if (offsetMs == Long.MIN_VALUE && rules.getTransitionRules().isEmpty() && !transitions.isEmpty()) {
            var last = transitions.get(transitions.size() - 1);
            steadyFromMs = last.getInstant().toEpochMilli();
            steadyOffsetMs = last.getOffsetAfter().getTotalSeconds() * 1000L;
        } else {
            steadyFromMs = Long.MAX_VALUE;
            steadyOffsetMs = 0;
        }
    }

    public FeatureVector features() {
        return features;
    }

    // ---- features ---------------------------------------------------------------------------------

    private void prepare(CompiledRuleSet rs) {
        int size = rs.layout().size();
        if (features.capacity() < size) {
            features = new FeatureVector(size + 16);
        }
        int attributes = rs.scorecard().attributeCount();
        if (points.length < attributes) {
            points = new int[attributes + 8];
            bins = new int[attributes + 8];
        }
        int rules = rs.fraudRuleCount() + rs.creditRuleCount();
        if (fired.length < rules) {
            fired = new int[rules + 16];
        }
        features.clear();
        firedCount = 0;
        fraudFired = 0;
        fraudAction = Rule.Action.TAG;
        creditAction = Rule.Action.TAG;
        score = 0;
        pd = 0;
        grade = 0;
    }

    /** Next {@link #decision} only: its borrower as the caller read it ({@link BorrowerBook#read}); null = it reads. */
    public void borrower(BorrowerBook.Reading read) {
        given = read;
    }

    /** Next {@link #decision} only: false = its request's bytes have no attributes; its (empty) map is not made. */
    public void requestAttributes(boolean present) {
        requestAttributes = present;
    }

    /**
     * Fills the features of a transaction: the request, the profile ({@code null} when none), the line,
     * the borrower's other lines, history, block lists and velocity. Counts this transaction in the
     * velocity windows first when {@code count} is set, so the windows include it (a shadow evaluation
     * of the same transaction passes false).
     */
    public void decision(CompiledRuleSet rs, DecisionRequest r, Profile profile, LedgerSnapshot line,
            ShardState state, long nowMs, boolean count) {
        boolean requestAttributes = this.requestAttributes;
        BorrowerBook.Reading read = given; // taken first: a decision that fails leaves none for the next one
        given = null;
        this.requestAttributes = true;
        prepare(rs);
        FeatureVector f = features;
        long eventMs = r.getEventTimeMs() > 0 ? r.getEventTimeMs() : nowMs;
        f.setInt(Features.AMOUNT_MINOR, r.getAmountMinor());
        f.setInt(Features.INSTALLMENTS, Math.max(1, r.getInstallments()));
        f.setString(Features.PRODUCT, LoanProduct.NAMES.get(r.getProductValue()));
        int channel = r.getChannelValue();
        if (channel > 0 && channel < CHANNELS.length) {
            f.setString(Features.CHANNEL, CHANNELS[channel]);
        }
        setIfPresent(Features.MERCHANT_CATEGORY, r.getMerchantCategory());
        setIfPresent(Features.REGION, r.getRegion());
        clock(eventMs);
        profile(profile);
        String region = r.getRegion();
        if (profile != null && !region.isEmpty() && !profile.getRegion().isEmpty()) {
            f.setBool(Features.REGION_MISMATCH, !region.equals(profile.getRegion()));
        }
        line(line);
        String borrowerId = r.getBorrowerId();
        borrowerFeatures(read != null ? read : state.borrowers().read(borrowerId, own));
        f.setDouble(Features.HISTORY_MEAN, activity.mean());
        double sd = activity.stddev();
        f.setDouble(Features.HISTORY_STDDEV, sd);
        f.setDouble(Features.AMOUNT_ZSCORE, sd > 0 ? (r.getAmountMinor() - activity.mean()) / sd : 0.0);
        String device = r.getDeviceId();
        f.setBool(Features.DEVICE_NEW, !device.isEmpty() && !activity.knowsDevice(DecisionRecords.hash(device)));
        BlockLists blocks = engine.blockLists();
        f.setBool(Features.BLOCKED_BORROWER, blocks.contains(BlockLists.Kind.BORROWER, borrowerId));
        f.setBool(Features.BLOCKED_DEVICE, blocks.contains(BlockLists.Kind.DEVICE, device));
        f.setBool(Features.BLOCKED_IP, blocks.contains(BlockLists.Kind.IP, r.getIp()));
        f.setBool(Features.BLOCKED_MERCHANT, blocks.contains(BlockLists.Kind.MERCHANT, r.getMerchantId()));
        long add = count ? r.getAmountMinor() : -1;
        dev.formica.engine.state.StateOps ops = state == null ? null : state.ops();
        velocity(0, borrowerId, nowMs, add, ops);
        velocity(1, device, nowMs, add, ops);
        velocity(2, r.getIp(), nowMs, add, ops);
        velocity(3, r.getMerchantId(), nowMs, add, ops);
        if (rs.layout().declaredCount() > 0) {
            declared(rs.layout(), requestAttributes ? r.getAttributesMap() : Map.of(),
                    profile == null ? null : profile.getAttributesMap());
        }
    }

    /** Fills the features of a credit application; {@code profile} is the stored one or null. */
    public void application(CompiledRuleSet rs, CreditApplication a, Profile profile, ShardState state, long nowMs) {
        prepare(rs);
        FeatureVector f = features;
        f.setString(Features.PRODUCT, LoanProduct.NAMES.get(a.getProductValue()));
        f.setInt(Features.REQUESTED_LINE, a.getRequestedLineMinor());
        clock(a.getEventTimeMs() > 0 ? a.getEventTimeMs() : nowMs);
        f.setBool(Features.PROFILE_EXISTS, profile != null);
        String region = !a.getRegion().isEmpty() ? a.getRegion() : profile == null ? "" : profile.getRegion();
        setIfPresent(Features.PROFILE_REGION, region);
        long income = a.getAnnualIncomeMinor() > 0 || profile == null ? a.getAnnualIncomeMinor()
                : profile.getAnnualIncomeMinor();
        f.setInt(Features.PROFILE_INCOME, income);
        long selfLimit = a.getSelfLimitMinor() > 0 || profile == null ? a.getSelfLimitMinor()
                : profile.getSelfLimitMinor();
        if (selfLimit > 0) {
            f.setInt(Features.PROFILE_SELF_LIMIT, selfLimit);
        }
        borrowerFeatures(state.borrowers().read(a.getBorrowerId(), own));
        f.setBool(Features.BLOCKED_BORROWER, engine.blockLists().contains(BlockLists.Kind.BORROWER,
                a.getBorrowerId()));
        declared(rs.layout(), a.getAttributesMap(), profile == null ? null : profile.getAttributesMap());
    }

    /** Fills the features of a risk event (event.*, profile, history, declared attributes); no line yet. */
    public void event(CompiledRuleSet rs, RiskEvent e, Profile profile, ShardState state, long nowMs) {
        prepare(rs);
        FeatureVector f = features;
        f.setString(Features.EVENT_TYPE, eventType(e));
        f.setInt(Features.EVENT_DAYS_PAST_DUE, e.getDaysPastDue());
        f.setInt(Features.EVENT_AMOUNT, e.getAmountMinor());
        f.setInt(Features.EVENT_CHANGE, e.getChangeBps());
        f.setInt(Features.EVENT_PERIOD, e.getPeriodDays());
        clock(e.getEventTimeMs() > 0 ? e.getEventTimeMs() : nowMs);
        profile(profile);
        borrowerFeatures(state.borrowers().read(e.getBorrowerId(), own));
        declared(rs.layout(), e.getAttributesMap(), profile == null ? null : profile.getAttributesMap());
    }

    /** The rule-set spelling of the event's type (OVERDUE, ...). */
    public static String eventType(RiskEvent e) {
        return e.getType().name().substring("RISK_EVENT_TYPE_".length());
    }

    /** Sets the line features of one product before {@link #earlyWarning}. */
    public void eventLine(LedgerSnapshot line, int product) {
        features.setString(Features.PRODUCT, LoanProduct.NAMES.get(product));
        line(line);
    }

    /**
     * Runs the early-warning rules for {@code eventType}; returns the strongest action that fired, or null.
     * The fired rules are then {@link #firedWarningCount()} / {@link #firedWarning}.
     */
    public EarlyWarningRule.Action earlyWarning(CompiledRuleSet rs, String eventType) {
        EarlyWarningRule.Action strongest = null;
        firedCount = 0;
        for (int i = 0; i < rs.earlyWarningRuleCount(); i++) {
            EarlyWarningRule rule = rs.earlyWarningRule(i);
            if (!rule.eventType().equals(eventType)) {
                continue;
            }
            try {
                if (rule.fires(features)) {
                    if (firedCount == fired.length) {
                        fired = java.util.Arrays.copyOf(fired, fired.length * 2);
                    }
                    fired[firedCount++] = i;
                    if (strongest == null || rule.action().compareTo(strongest) > 0) {
                        strongest = rule.action();
                    }
                }
            } catch (ArithmeticException ex) {
                ruleErrors++;
            }
        }
        return strongest;
    }

    public int firedWarningCount() {
        return firedCount;
    }

    public EarlyWarningRule firedWarning(CompiledRuleSet rs, int i) {
        return rs.earlyWarningRule(fired[i]);
    }

    private void setIfPresent(int slot, String value) {
        if (!value.isEmpty()) {
            features.setString(slot, value);
        }
    }

    private void clock(long eventMs) {
        long local;
        if (offsetMs != Long.MIN_VALUE) {
            local = eventMs + offsetMs;
        } else if (eventMs >= steadyFromMs) {
            local = eventMs + steadyOffsetMs; // what the zone's rules say, without an Instant per decision
        } else {
            local = eventMs + engine.zone().getRules().getOffset(java.time.Instant.ofEpochMilli(eventMs))
                    .getTotalSeconds() * 1000L;
        }
        long day = Math.floorDiv(local, 86_400_000L);
        if (day != cachedDay) {
            cachedDay = day;
            cachedMonth = LocalDate.ofEpochDay(day).getMonthValue();
        }
        features.setInt(Features.HOUR_OF_DAY, Math.floorMod(local, 86_400_000L) / 3_600_000L);
        features.setInt(Features.MONTH, cachedMonth);
    }

    private void profile(Profile p) {
        FeatureVector f = features;
        f.setBool(Features.PROFILE_EXISTS, p != null);
        if (p == null) {
            return;
        }
        setIfPresent(Features.PROFILE_REGION, p.getRegion());
        f.setInt(Features.PROFILE_INCOME, p.getAnnualIncomeMinor());
        if (p.getSelfLimitMinor() > 0) {
            f.setInt(Features.PROFILE_SELF_LIMIT, p.getSelfLimitMinor());
        }
    }

    private void line(LedgerSnapshot s) {
        FeatureVector f = features;
        f.setInt(Features.LINE_MINOR, s.lineMinor());
        f.setInt(Features.LINE_AVAILABLE, Math.max(0, s.availableMinor()));
        f.setInt(Features.LINE_HELD, s.heldMinor());
        f.setInt(Features.LINE_DRAWN, s.drawnMinor());
        long used = s.heldMinor() + s.drawnMinor();
        f.setInt(Features.LINE_UTILISATION, s.lineMinor() > 0 ? Math.min(1_000_000L, used * 10_000L / s.lineMinor())
                : used > 0 ? 1_000_000L : 0);
        f.setBool(Features.LINE_FROZEN, s.frozen());
        if (s.grade() > 0 && s.grade() <= 5) {
            f.setString(Features.LINE_GRADE, GRADE_NAMES[s.grade()]);
        }
    }

    /** The borrower's features: balance (held + drawn over its lines), history count, watch ({@link #activity}). */
    private void borrowerFeatures(BorrowerBook.Reading b) {
        activity = b.activity();
        features.setInt(Features.HISTORY_COUNT, activity.count());
        features.setBool(Features.BORROWER_WATCH, activity.watch());
        consumerBalance = 0;
        businessBalance = 0;
        for (LoanProduct product : PRODUCTS) {
            long used = b.usedMinor(product.number());
            if (product.business()) {
                businessBalance += used;
            } else {
                consumerBalance += used;
            }
        }
        totalBalance = consumerBalance + businessBalance;
        features.setInt(Features.BORROWER_BALANCE, totalBalance);
    }

    /** Reads one dimension's windows, first counting the transaction when {@code amount} >= 0. */
    private void velocity(int dimension, String id, long nowMs, long amount, dev.formica.engine.state.StateOps ops) {
        if (id.isEmpty()) {
            return;
        }
        VelocityWindows windows = engine.velocity();
        long hash = VelocityWindows.keyHash(DIMENSIONS[dimension], id); // once for the table, the log and the shares
        if (amount >= 0) {
            windows.addAndRead(hash, nowMs, amount, reading);
            if (ops != null) {
                ops.velocityAdd(hash, amount); // the shard log carries it for replay
            }
        } else {
            windows.read(hash, nowMs, reading);
        }
        if (windows.shares() != null && dimension > 0) { // the other nodes' counts: docs/cluster.md
            windows.shares().counted(hash, nowMs, reading, amount >= 0);
        }
        features.setInt(Features.velocity(dimension, false, 0), reading.countMinute());
        features.setInt(Features.velocity(dimension, false, 1), reading.countHour());
        features.setInt(Features.velocity(dimension, false, 2), reading.countDay());
        features.setInt(Features.velocity(dimension, true, 0), reading.sumMinute());
        features.setInt(Features.velocity(dimension, true, 1), reading.sumHour());
        features.setInt(Features.velocity(dimension, true, 2), reading.sumDay());
    }

    private void declared(FeatureLayout layout, Map<String, AttributeValue> request,
            Map<String, AttributeValue> profile) {
        int n = layout.declaredCount();
        if (n == 0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            FeatureLayout.Slot slot = layout.declaredAt(i);
            AttributeValue v = request.get(slot.name());
            if (v == null && profile != null) {
                v = profile.get(slot.name());
            }
            if (v != null) {
                attribute(slot, v);
            }
        }
    }

    private void attribute(FeatureLayout.Slot slot, AttributeValue v) {
        FeatureVector f = features;
        int i = slot.index();
        FeatureType type = slot.type();
        switch (v.getKindCase()) {
            case INT_VALUE:
                if (type == FeatureType.INT) {
                    f.setInt(i, v.getIntValue());
                } else if (type == FeatureType.DOUBLE) {
                    f.setDouble(i, v.getIntValue());
                }
                break;
            case DOUBLE_VALUE:
                if (type == FeatureType.DOUBLE) {
                    f.setDouble(i, v.getDoubleValue());
                }
                break;
            case BOOL_VALUE:
                if (type == FeatureType.BOOL) {
                    f.setBool(i, v.getBoolValue());
                }
                break;
            case STRING_VALUE:
                if (type == FeatureType.STRING) {
                    f.setString(i, v.getStringValue());
                }
                break;
            default:
                break;
        }
    }

    // ---- rules and score --------------------------------------------------------------------------

    /** Runs every fraud rule; returns the strongest action that fired (TAG when none). */
    public Rule.Action fraud(CompiledRuleSet rs) {
        Rule.Action worst = Rule.Action.TAG;
        for (int i = 0; i < rs.fraudRuleCount(); i++) {
            worst = run(rs.fraudRule(i), i, worst);
        }
        fraudFired = firedCount;
        fraudAction = worst;
        return worst;
    }

    /** Scores, sets score / pd / grade features, then runs the credit rules; returns the strongest action. */
    public Rule.Action credit(CompiledRuleSet rs) {
        Scorecard card = rs.scorecard();
        score = card.score(features, points, bins);
        pd = card.pd(score);
        grade = card.grade(score);
        features.setInt(Features.SCORE, score);
        features.setDouble(Features.PD, pd);
        features.setString(Features.GRADE, GRADE_NAMES[grade]);
        Rule.Action worst = Rule.Action.TAG;
        int base = rs.fraudRuleCount();
        for (int i = 0; i < rs.creditRuleCount(); i++) {
            worst = run(rs.creditRule(i), base + i, worst);
        }
        creditAction = worst;
        return worst;
    }

    private Rule.Action run(Rule rule, int index, Rule.Action worst) {
        try {
            if (rule.fires(features)) {
                fired[firedCount++] = index;
                return rule.action().compareTo(worst) > 0 ? rule.action() : worst;
            }
        } catch (ArithmeticException e) {
            ruleErrors++;
        }
        return worst;
    }

    /** Rules that fired, fraud first then credit, in rule order. */
    public int firedCount() {
        return firedCount;
    }

    /** The i-th fired rule. */
    public Rule fired(CompiledRuleSet rs, int i) {
        int index = fired[i];
        return index < rs.fraudRuleCount() ? rs.fraudRule(index) : rs.creditRule(index - rs.fraudRuleCount());
    }

    /** How many of the fired rules are fraud rules. */
    public int fraudFiredCount() {
        return fraudFired;
    }

    public int score() {
        return score;
    }

    public double pd() {
        return pd;
    }

    /** Grade number 1 (A) .. 5 (E); 0 before {@link #credit}. */
    public int grade() {
        return grade;
    }

    public int points(int attribute) {
        return points[attribute];
    }

    public int bin(int attribute) {
        return bins[attribute];
    }

    /** Conditions that raised an error (overflow, division by zero) and were treated as not fired. */
    public long ruleErrors() {
        return ruleErrors;
    }

    // ---- policy -----------------------------------------------------------------------------------

    /** The strongest action of the fraud and credit rules run since the features were filled. */
    public Rule.Action ruled() {
        return creditAction.compareTo(fraudAction) > 0 ? creditAction : fraudAction;
    }

    /**
     * The action of a transaction ({@link CreditPolicy#resolve}, the one resolver of the live and the shadow rule
     * set): the rules' strongest action ({@link #ruled()}), turned into a decline when the licence does not lend in
     * {@code region}, the line is frozen, or the amount does not fit ({@link #fits}). Run after {@link #fraud} and
     * {@link #credit}. When a built-in check declined, {@link #capCode()} names it (null otherwise).
     */
    public Rule.Action resolve(CompiledRuleSet rs, int product, long amount, LedgerSnapshot line, int appetiteBps,
            RegulatoryParameters.Limits limits, String region) {
        return drawing(rs, product, amount, line, appetiteBps, limits).resolve(ruled(), region, line.frozen());
    }

    /**
     * Checks whether {@code amount} fits the line and every cap ({@link CreditPolicy#fits}). Returns true when it
     * fits; otherwise {@link #capCode()} names the binding cap, {@link #capText()} says why, {@link #capLimit()} is
     * the headroom it left (minor units). {@code limits} are the regulatory limits in force for the rule set's
     * licence (null when none are), which the caller has already looked up for the response.
     */
    public boolean fits(CompiledRuleSet rs, int product, long amount, LedgerSnapshot line, int appetiteBps,
            RegulatoryParameters.Limits limits) {
        return drawing(rs, product, amount, line, appetiteBps, limits).fits();
    }

    /** The policy set up for a drawing on {@code line}: effective line (seasonal, order-backed), borrower, terms. */
    private CreditPolicy drawing(CompiledRuleSet rs, int product, long amount, LedgerSnapshot line, int appetiteBps,
            RegulatoryParameters.Limits limits) {
        LinePolicy lines = rs.lines(product);
        long extras = 0;
        if (lines != null) {
            extras = Money.add(lines.seasonalUplift(line.lineMinor(), features), lines.orderBacked(features));
        }
        effectiveLine = Money.add(line.lineMinor(), extras);
        return policy(rs, product, appetiteBps, limits).drawing(product, amount, effectiveLine,
                line.heldMinor() + line.drawnMinor());
    }

    /**
     * The credit policy under the rule set's terms for {@code product} and the regulation in force, for the borrower
     * just evaluated (balances, declared income, own limit); Apply asks it {@link CreditPolicy#lendsIn} and
     * {@link CreditPolicy#grant}.
     */
    public CreditPolicy policy(CompiledRuleSet rs, int product, int appetiteBps, RegulatoryParameters.Limits limits) {
        long self = features.isPresent(Features.PROFILE_SELF_LIMIT) ? features.getInt(Features.PROFILE_SELF_LIMIT)
                : -1;
        long netAssets = rs.funding() == null ? -1 : rs.funding().platformNetAssetsMinor();
        return policy.terms(rs.lines(product), limits, netAssets, appetiteBps)
                .borrower(consumerBalance, businessBalance, features.getInt(Features.PROFILE_INCOME), self);
    }

    public String capCode() {
        return policy.code();
    }

    public String capText() {
        return policy.text();
    }

    /** The reason's value of what bound ("available_minor=...", "headroom_minor=...", ...). */
    public String capValue() {
        return policy.value();
    }

    public long capLimit() {
        return policy.limit();
    }

    /** Line plus seasonal uplift and order-backed extra, as of the last {@link #fits} or {@link #resolve} call. */
    public long effectiveLine() {
        return effectiveLine;
    }

    public long consumerBalance() {
        return consumerBalance;
    }

    public long businessBalance() {
        return businessBalance;
    }

    public long totalBalance() {
        return totalBalance;
    }
}
