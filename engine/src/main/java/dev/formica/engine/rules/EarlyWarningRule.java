package dev.formica.engine.rules;

/**
 * An early-warning rule: on a risk event of its type whose condition holds, it changes the borrower's lines
 * (freeze, cut by a share, watch, restore).
 *
 * <p>Thread contract: immutable.
 */
public final class EarlyWarningRule {
    /** What a fired rule does; the strongest fired action wins, in this order from weakest. */
    public enum Action {
        /** Undo: unfreeze, give back the assigned line, end the watch. */
        RESTORE,
        /** REVIEW on the borrower's next decisions (credit rules read {@code borrower.watch}). */
        WATCH,
        /** Lower the line by {@code cut_bps} of the assigned line. */
        CUT,
        /** New decisions decline with LINE_FROZEN. */
        FREEZE
    }

    private final String code;
    private final String text;
    private final String eventType;
    private final Action action;
    private final long cutBps;
    private final Expr when;
    private final FeatureLayout.Slot[] reported;

    EarlyWarningRule(String code, String text, String eventType, Action action, long cutBps, Expr when,
            FeatureLayout.Slot[] reported) {
        this.code = code;
        this.text = text;
        this.eventType = eventType;
        this.action = action;
        this.cutBps = cutBps;
        this.when = when;
        this.reported = reported;
    }

    public String code() {
        return code;
    }

    public String text() {
        return text;
    }

    /** The event type it listens to, e.g. OVERDUE. */
    public String eventType() {
        return eventType;
    }

    public Action action() {
        return action;
    }

    public long cutBps() {
        return cutBps;
    }

    public boolean fires(FeatureVector f) {
        return when == null || when.bool(f);
    }

    /** The values that made it fire (allocates: call only when fired). */
    public String renderValue(FeatureVector f) {
        return Rule.render(reported, f);
    }
}
