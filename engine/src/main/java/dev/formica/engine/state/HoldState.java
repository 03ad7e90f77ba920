package dev.formica.engine.state;

/** Hold lifecycle states as int constants, stored in {@link HoldBook}. Stateless; safe from any thread. */
public final class HoldState {

    public static final int ACTIVE = 1;
    public static final int CONFIRMED = 2;
    public static final int CANCELLED = 3;
    public static final int EXPIRED = 4;

    private HoldState() {
    }

    public static boolean isValid(int state) {
        return state >= ACTIVE && state <= EXPIRED;
    }

    /** The state's name, for logs and errors. */
    public static String name(int state) {
        switch (state) {
            case ACTIVE:
                return "ACTIVE";
            case CONFIRMED:
                return "CONFIRMED";
            case CANCELLED:
                return "CANCELLED";
            case EXPIRED:
                return "EXPIRED";
            default:
                return "UNKNOWN(" + state + ")";
        }
    }
}
