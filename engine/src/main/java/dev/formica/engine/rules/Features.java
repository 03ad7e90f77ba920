package dev.formica.engine.rules;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The built-in features every rule set can use, each at a fixed slot of the {@link FeatureVector}.
 * Declared features (bureau data and other attributes) take the slots after {@link #BUILTIN_COUNT}.
 * docs/rules.md lists them with their meaning.
 */
public final class Features {
    /** A built-in feature: name, type, slot, and whether only the credit stage may read it. */
    public record Builtin(String name, FeatureType type, int slot, boolean creditStage, String description) {
    }

    private static final List<Builtin> BUILTINS = new ArrayList<>();

    public static final int AMOUNT_MINOR = add("amount_minor", FeatureType.INT, "amount asked for, minor units");
    public static final int INSTALLMENTS = add("installments", FeatureType.INT,
            "installments asked for (1 = pay in one go)");
    public static final int PRODUCT = add("product", FeatureType.STRING, "CONSUMER_CREDIT, CASH_LOAN or BUSINESS_LOAN");
    public static final int CHANNEL = add("channel", FeatureType.STRING, "APP, WEB, MINI_PROGRAM, POS, API or absent");
    public static final int MERCHANT_CATEGORY = add("merchant_category", FeatureType.STRING,
            "ISO 18245 MCC, e.g. 7995");
    public static final int REGION = add("region", FeatureType.STRING, "region of the transaction, e.g. CN-31");
    public static final int HOUR_OF_DAY = add("hour_of_day", FeatureType.INT, "0..23 in the engine's time zone");
    public static final int MONTH = add("month", FeatureType.INT, "1..12 in the engine's time zone");
    public static final int PROFILE_EXISTS = add("profile.exists", FeatureType.BOOL, "the borrower has a profile");
    public static final int PROFILE_REGION = add("profile.region", FeatureType.STRING, "registered region");
    public static final int PROFILE_INCOME = add("profile.annual_income_minor", FeatureType.INT,
            "declared annual income (business: revenue), minor units");
    public static final int PROFILE_SELF_LIMIT = add("profile.self_limit_minor", FeatureType.INT,
            "the borrower's own cap across products, minor units (absent = none)");
    public static final int REGION_MISMATCH = add("region_mismatch", FeatureType.BOOL,
            "transaction region and registered region are both known and differ");
    public static final int LINE_MINOR = add("line.line_minor", FeatureType.INT, "assigned line on this product");
    public static final int LINE_AVAILABLE = add("line.available_minor", FeatureType.INT, "line - held - drawn");
    public static final int LINE_HELD = add("line.held_minor", FeatureType.INT, "active holds on this product");
    public static final int LINE_DRAWN = add("line.drawn_minor", FeatureType.INT, "drawn balance on this product");
    public static final int LINE_UTILISATION = add("line.utilisation_bps", FeatureType.INT,
            "(held + drawn) / line, basis points");
    public static final int LINE_FROZEN = add("line.frozen", FeatureType.BOOL, "frozen by an early-warning event");
    public static final int LINE_GRADE = add("line.grade", FeatureType.STRING, "grade assigned with the line, A..E");
    public static final int BORROWER_BALANCE = add("borrower.balance_minor", FeatureType.INT,
            "held + drawn over all the borrower's products");
    public static final int BORROWER_WATCH = add("borrower.watch", FeatureType.BOOL,
            "on watch after an early-warning event");
    public static final int HISTORY_COUNT = add("history.count", FeatureType.INT, "approved transactions so far");
    public static final int HISTORY_MEAN = add("history.mean_minor", FeatureType.DOUBLE, "their mean amount");
    public static final int HISTORY_STDDEV = add("history.stddev_minor", FeatureType.DOUBLE,
            "their standard deviation");
    public static final int AMOUNT_ZSCORE = add("amount_zscore", FeatureType.DOUBLE,
            "(amount - mean) / stddev; 0 with fewer than 2 transactions or no spread");
    public static final int DEVICE_NEW = add("device.new", FeatureType.BOOL,
            "a device id is given and this borrower was never approved on it");
    public static final int BLOCKED_BORROWER = add("blocked.borrower", FeatureType.BOOL, "borrower on the block list");
    public static final int BLOCKED_DEVICE = add("blocked.device", FeatureType.BOOL, "device on the block list");
    public static final int BLOCKED_IP = add("blocked.ip", FeatureType.BOOL, "IP on the block list");
    public static final int BLOCKED_MERCHANT = add("blocked.merchant", FeatureType.BOOL, "merchant on the block list");
    /** First of 24 velocity slots: dimension-major (borrower, device, ip, merchant), then count/sum × 1m/1h/24h. */
    public static final int VELOCITY_BASE = addVelocity();
    public static final int EVENT_TYPE = add("event.type", FeatureType.STRING,
            "ReportRiskEvent only: OVERDUE, REPAID, SALES_CHANGE, BUREAU_HIT or BLOCKLIST_HIT");
    public static final int EVENT_DAYS_PAST_DUE = add("event.days_past_due", FeatureType.INT,
            "ReportRiskEvent only: days past due (OVERDUE)");
    public static final int EVENT_AMOUNT = add("event.amount_minor", FeatureType.INT,
            "ReportRiskEvent only: the amount concerned (OVERDUE, REPAID)");
    public static final int EVENT_CHANGE = add("event.change_bps", FeatureType.INT,
            "ReportRiskEvent only: sales change, basis points (SALES_CHANGE)");
    public static final int EVENT_PERIOD = add("event.period_days", FeatureType.INT,
            "ReportRiskEvent only: the period compared, days (SALES_CHANGE)");
    public static final int REQUESTED_LINE = add("application.requested_line_minor", FeatureType.INT,
            "Apply only: line asked for, 0 = as much as policy allows");
    public static final int SCORE = addCredit("score", FeatureType.INT, "scorecard points (credit stage)");
    public static final int PD = addCredit("pd", FeatureType.DOUBLE, "probability of default (credit stage)");
    public static final int GRADE = addCredit("grade", FeatureType.STRING, "A..E from the score (credit stage)");

    /** Slots 0..BUILTIN_COUNT-1 are built in. */
    public static final int BUILTIN_COUNT = BUILTINS.size();

    private Features() {
    }

    public static List<Builtin> builtins() {
        return Collections.unmodifiableList(BUILTINS);
    }

    /** Slot of {@code velocity.<dimension>.<count|sum>_<window>}: dimension 0..3, window 0..2. */
    public static int velocity(int dimension, boolean sum, int window) {
        return VELOCITY_BASE + dimension * 6 + (sum ? 3 : 0) + window;
    }

    private static int add(String name, FeatureType type, String description) {
        BUILTINS.add(new Builtin(name, type, BUILTINS.size(), false, description));
        return BUILTINS.size() - 1;
    }

    private static int addCredit(String name, FeatureType type, String description) {
        BUILTINS.add(new Builtin(name, type, BUILTINS.size(), true, description));
        return BUILTINS.size() - 1;
    }

    private static int addVelocity() {
        int first = BUILTINS.size();
        String[] dims = {"borrower", "device", "ip", "merchant"};
        String[] windows = {"1m", "1h", "24h"};
        for (String d : dims) {
            for (String kind : new String[] {"count", "sum"}) {
                for (String w : windows) {
                    add("velocity." + d + "." + kind + "_" + w, FeatureType.INT,
                            kind.equals("count") ? "transactions by this " + d + " in the last " + w
                                    : "amount by this " + d + " in the last " + w + ", minor units");
                }
            }
        }
        return first;
    }
}
