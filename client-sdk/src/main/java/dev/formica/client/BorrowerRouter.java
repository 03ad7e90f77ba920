package dev.formica.client;

/**
 * Picks the target that serves a borrower: {@code floorMod(fmix32(borrowerId.hashCode()), n)}.
 *
 * <p>Stateless and thread-safe. {@link String#hashCode()} is fixed by the Java spec, so the mapping
 * is the same in every JVM and easy to reproduce in another language (31-based hash over UTF-16
 * code units, then MurmurHash3's 32-bit finaliser). The finaliser spreads ids that differ only in
 * their last characters ("b-1001", "b-1002"), which plain {@code hashCode} would put on
 * neighbouring targets in lockstep.
 */
final class BorrowerRouter {
    private BorrowerRouter() {
    }

    /** The index in [0, targets) for this borrower. */
    static int index(String borrowerId, int targets) {
        if (targets == 1) {
            return 0;
        }
        return Math.floorMod(fmix32(borrowerId.hashCode()), targets);
    }

    /** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
    static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
