package dev.formica.engine.pipeline;

import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.engine.pricing.FeeSpec;
import dev.formica.engine.pricing.InstallmentSchedule;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.rules.Scorecard;
import java.util.Arrays;
import java.util.List;

/**
 * One shard's answer to a Decide, in plain fields, reused from decision to decision: what the shard kernel writes
 * instead of building a {@code DecisionResponse}. {@link #encode} writes it as the response's wire bytes (the
 * idempotency record, the journal and the caller's answer); the message itself is parsed from those bytes off the
 * shard thread, for fresh and replayed answers alike.
 *
 * <p>Reason values of fired rules are rendered while encoding, into the wire buffer through one reused builder:
 * no String per reason. The plan is read from the shard's schedule at encoding time, so {@link #encode} runs
 * before the shard plans again (the end of the same Decide).
 *
 * <p>Thread contract: one per shard writer.
 */
final class DecisionResult implements DecisionMetrics.ReasonCodes {
    static final int APPROVE = 1;
    static final int DECLINE = 2;
    static final int REVIEW = 3;

    private CharSequence requestId;
    private int outcome;
    private long holdId;
    private boolean hasHold;
    private long approvedAmountMinor;
    private long availableAfterMinor;
    private int score;
    private double pd;
    private int grade;
    private int aprBps;
    private String ruleSetVersion;
    private String regulatoryVersion;
    private long serverNanos;
    private long holdExpiresMs;
    // reasons: a rule's (value rendered from the features at encoding) or plain text
    private int reasonCount;
    private Rule[] reasonRules = new Rule[16];
    private FeatureVector reasonFeatures;
    private CharSequence[] reasonCodes = new CharSequence[16];
    private CharSequence[] reasonTexts = new CharSequence[16];
    private CharSequence[] reasonValues = new CharSequence[16];
    private final StringBuilder capText = new StringBuilder(160);
    private final StringBuilder capValue = new StringBuilder(160);
    private final StringBuilder rendered = new StringBuilder(160);
    // contributions
    private Scorecard card;
    private int contributionCount;
    private final int[] contributionAttributes = new int[3];
    private final int[] contributionBins = new int[3];
    private final int[] contributionPoints = new int[3];
    // funding
    private int fundingCount;
    private String[] funderIds = new String[4];
    private long[] fundingAmounts = new long[4];
    private int[] fundingShares = new int[4];
    // plan
    private InstallmentSchedule plan;
    private List<FeeSpec> fees;

    /** Starts the answer to request {@code id}, decided by rule set {@code version}. */
    DecisionResult reset(CharSequence id, String version) {
        requestId = id;
        ruleSetVersion = version;
        outcome = 0;
        hasHold = false;
        holdId = 0;
        approvedAmountMinor = 0;
        availableAfterMinor = 0;
        score = 0;
        pd = 0;
        grade = 0;
        aprBps = 0;
        regulatoryVersion = null;
        serverNanos = 0;
        holdExpiresMs = 0;
        Arrays.fill(reasonRules, 0, reasonCount, null);
        Arrays.fill(reasonCodes, 0, reasonCount, null);
        Arrays.fill(reasonTexts, 0, reasonCount, null);
        Arrays.fill(reasonValues, 0, reasonCount, null);
        reasonCount = 0;
        reasonFeatures = null;
        capText.setLength(0);
        capValue.setLength(0);
        card = null;
        contributionCount = 0;
        Arrays.fill(funderIds, 0, fundingCount, null);
        fundingCount = 0;
        plan = null;
        fees = null;
        return this;
    }

    int outcome() {
        return outcome;
    }

    void outcome(int o) {
        outcome = o;
    }

    void regulatoryVersion(String v) {
        regulatoryVersion = v;
    }

    void scored(int s, double p, int g, long availableAfter) {
        score = s;
        pd = p;
        grade = g >= 0 && g <= 5 ? g : 0;
        availableAfterMinor = availableAfter;
    }

    void availableAfterMinor(long v) {
        availableAfterMinor = v;
    }

    void serverNanos(long v) {
        serverNanos = v;
    }

    void approved(long hold, long amountMinor, long expiresMs) {
        outcome = APPROVE;
        hasHold = true;
        holdId = hold;
        approvedAmountMinor = amountMinor;
        holdExpiresMs = expiresMs;
    }

    /** The plan of an approval: {@code schedule} as planned with {@code feeList}, read when encoding. */
    void plan(InstallmentSchedule schedule, List<FeeSpec> feeList) {
        plan = schedule;
        fees = feeList;
        aprBps = schedule.aprBps();
    }

    /** A reason of fixed texts, at the end. */
    void reason(CharSequence code, CharSequence text, CharSequence value) {
        insertReason(reasonCount, null, code, text, value);
    }

    /** A reason of fixed texts, before every other. */
    void reasonFirst(CharSequence code, CharSequence text, CharSequence value) {
        insertReason(0, null, code, text, value);
    }

    /** A fired rule's reason, its value rendered from {@code features} when encoding (they must not change). */
    void ruleReason(Rule rule, FeatureVector features) {
        reasonFeatures = features;
        insertReason(reasonCount, rule, null, null, null);
    }

    /** The all-in cap's reason text and value, written into by the caller ({@code AllInRateCap.describe}). */
    StringBuilder capText() {
        return capText;
    }

    StringBuilder capValue() {
        return capValue;
    }

    @Override
    public int reasonCount() {
        return reasonCount;
    }

    /** The rule of reason {@code i}; null for a reason of fixed texts. */
    Rule reasonRule(int i) {
        return reasonRules[i];
    }

    /** Reason {@code i}'s code. */
    @Override
    public String reasonCode(int i) {
        Rule rule = reasonRules[i];
        return rule != null ? rule.code() : reasonCodes[i].toString();
    }

    private void insertReason(int at, Rule rule, CharSequence code, CharSequence text, CharSequence value) {
        if (reasonCount == reasonRules.length) {
            int n = reasonCount * 2;
            reasonRules = Arrays.copyOf(reasonRules, n);
            reasonCodes = Arrays.copyOf(reasonCodes, n);
            reasonTexts = Arrays.copyOf(reasonTexts, n);
            reasonValues = Arrays.copyOf(reasonValues, n);
        }
        int move = reasonCount - at;
        System.arraycopy(reasonRules, at, reasonRules, at + 1, move);
        System.arraycopy(reasonCodes, at, reasonCodes, at + 1, move);
        System.arraycopy(reasonTexts, at, reasonTexts, at + 1, move);
        System.arraycopy(reasonValues, at, reasonValues, at + 1, move);
        reasonRules[at] = rule;
        reasonCodes[at] = code;
        reasonTexts[at] = text;
        reasonValues[at] = value;
        reasonCount++;
    }

    /** Attribute {@code attribute} of {@code scorecard}, in bin {@code bin}, moved the score by {@code points}. */
    void contribution(Scorecard scorecard, int attribute, int bin, int points) {
        card = scorecard;
        contributionAttributes[contributionCount] = attribute;
        contributionBins[contributionCount] = bin;
        contributionPoints[contributionCount] = points;
        contributionCount++;
    }

    void funding(String funderId, long amountMinor, int shareBps) {
        if (fundingCount == funderIds.length) {
            int n = fundingCount * 2;
            funderIds = Arrays.copyOf(funderIds, n);
            fundingAmounts = Arrays.copyOf(fundingAmounts, n);
            fundingShares = Arrays.copyOf(fundingShares, n);
        }
        funderIds[fundingCount] = funderId;
        fundingAmounts[fundingCount] = amountMinor;
        fundingShares[fundingCount] = shareBps;
        fundingCount++;
    }

    /** Writes the answer as a {@code DecisionResponse}'s wire bytes (not replayed) into {@code w}, from its start. */
    void encode(WireWriter w) {
        w.reset();
        w.stringField(1, requestId);
        w.varintField(2, outcome);
        if (hasHold) {
            w.holdIdField(3, holdId);
        }
        w.varintField(4, approvedAmountMinor);
        w.varintField(5, availableAfterMinor);
        for (int i = 0; i < reasonCount; i++) {
            encodeReason(w, i);
        }
        w.varintField(7, score);
        w.doubleField(8, pd);
        w.varintField(9, grade);
        w.varintField(10, aprBps);
        if (plan != null) {
            encodePlan(w);
        }
        for (int i = 0; i < fundingCount; i++) {
            int share = w.begin(12);
            w.stringField(1, funderIds[i]);
            w.varintField(2, fundingAmounts[i]);
            w.varintField(3, fundingShares[i]);
            w.end(share);
        }
        w.stringField(13, ruleSetVersion);
        w.varintField(15, serverNanos);
        w.stringField(17, regulatoryVersion);
        w.varintField(18, holdExpiresMs);
        for (int i = 0; i < contributionCount; i++) {
            int c = w.begin(19);
            w.stringField(1, card.attributeName(contributionAttributes[i]));
            w.stringField(2, card.binLabel(contributionAttributes[i], contributionBins[i]));
            w.varintField(3, contributionPoints[i]);
            w.end(c);
        }
    }

    private void encodeReason(WireWriter w, int i) {
        int reason = w.begin(6);
        Rule rule = reasonRules[i];
        if (rule != null) {
            w.stringField(1, rule.code());
            w.stringField(2, rule.text());
            rendered.setLength(0);
            rule.renderValue(reasonFeatures, rendered);
            w.stringField(3, rendered);
        } else {
            w.stringField(1, reasonCodes[i]);
            w.stringField(2, reasonTexts[i]);
            w.stringField(3, reasonValues[i]);
        }
        w.end(reason);
    }

    private void encodePlan(WireWriter w) {
        InstallmentSchedule s = plan;
        int p = w.begin(11);
        w.varintField(1, s.installments());
        for (int k = 1; k <= s.installments(); k++) {
            int period = w.begin(2);
            w.varintField(1, k);
            w.varintField(2, Calendar.plusMonthsUtc(s.startMs(), k));
            w.varintField(3, s.principalMinor(k));
            w.varintField(4, s.interestMinor(k));
            w.varintField(5, s.feeMinor(k));
            w.varintField(6, s.totalMinor(k));
            w.end(period);
        }
        for (int f = 0; f < s.feeCount(); f++) {
            FeeSpec spec = fees.get(f);
            int fee = w.begin(3);
            w.stringField(1, spec.code());
            w.stringField(2, spec.text());
            w.varintField(3, s.feeAmountMinor(f));
            w.end(fee);
        }
        w.varintField(4, s.totalInterestMinor());
        w.varintField(5, s.totalFeesMinor());
        w.varintField(6, s.totalCostMinor());
        w.varintField(7, s.totalRepaymentMinor());
        w.varintField(8, s.annualisedRateBps());
        w.end(p);
    }

    /** Calendar arithmetic in UTC without {@code java.time} objects. */
    static final class Calendar {
        private static final long DAY_MS = 86_400_000L;

        private Calendar() {
        }

        /**
         * {@code startMs} plus {@code months} calendar months in UTC, the day clamped to the month's length, the time
         * of day kept: what {@code Instant.ofEpochMilli(startMs).atOffset(UTC).plusMonths(months)} gives.
         */
        static long plusMonthsUtc(long startMs, int months) {
            long day = Math.floorDiv(startMs, DAY_MS);
            long timeOfDay = startMs - day * DAY_MS;
            // civil from days (H. Hinnant's algorithm, as java.time.LocalDate.ofEpochDay)
            long z = day + 719_468;
            long era = Math.floorDiv(z, 146_097);
            long doe = z - era * 146_097;
            long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
            long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            long mp = (5 * doy + 2) / 153;
            int d = (int) (doy - (153 * mp + 2) / 5 + 1);
            int m = (int) (mp < 10 ? mp + 3 : mp - 9);
            long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
            long monthIndex = y * 12 + (m - 1) + months;
            long year = Math.floorDiv(monthIndex, 12);
            int month = (int) Math.floorMod(monthIndex, 12) + 1;
            int dom = Math.min(d, lengthOfMonth(year, month));
            return epochDay(year, month, dom) * DAY_MS + timeOfDay;
        }

        private static int lengthOfMonth(long year, int month) {
            switch (month) {
                case 2:
                    boolean leap = (year % 4 == 0) && (year % 100 != 0 || year % 400 == 0);
                    return leap ? 29 : 28;
                case 4:
                case 6:
                case 9:
                case 11:
                    return 30;
                default:
                    return 31;
            }
        }

        private static long epochDay(long year, int month, int day) {
            long y = month <= 2 ? year - 1 : year;
            long era = Math.floorDiv(y, 400);
            long yoe = y - era * 400;
            long mp = month > 2 ? month - 3 : month + 9;
            long doy = (153 * mp + 2) / 5 + day - 1;
            long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            return era * 146_097 + doe - 719_468;
        }
    }
}
