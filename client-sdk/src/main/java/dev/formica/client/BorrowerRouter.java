package dev.formica.client;

/**
 * Borrowers and hold ids to partitions, with the engine's placement function, and partitions to targets when no
 * partition map is known.
 *
 * <p>Stateless and thread-safe. {@code partition = mix(borrowerId.hashCode()) & 255} with
 * {@code mix(h) = m ^ (m >>> 16)}, {@code m = h * 0x9E3779B9}: {@link String#hashCode()} is fixed by the Java spec
 * (31-based over UTF-16 code units), so the mapping is the same in every JVM and easy to reproduce in another
 * language (the {@code PartitionMap} message in decision.proto spells it out). A hold id names its partition in its
 * first two of 16 hex digits. Without a map, partition {@code p} goes to target {@code p * n / 256}: the ranges a
 * cluster of the same node list assigns (docs/cluster.md).
 */
final class BorrowerRouter {
    /** The engine's fixed partition count. */
    static final int PARTITIONS = 256;

    private BorrowerRouter() {
    }

    /** The target index in [0, targets) for this borrower when no partition map is known. */
    static int index(String borrowerId, int targets) {
        return rangeOwner(partition(borrowerId), targets);
    }

    /** The node of {@code nodes} that owns {@code partition} by the range assignment. */
    static int rangeOwner(int partition, int nodes) {
        return partition * nodes / PARTITIONS;
    }

    /** The borrower's partition, 0..255, as the engine computes it. */
    static int partition(String borrowerId) {
        int mixed = borrowerId.hashCode() * 0x9E3779B9;
        mixed ^= mixed >>> 16;
        return mixed & (PARTITIONS - 1);
    }

    /**
     * The partition a hold id names (its top 8 bits: {@code "h"} + up to 16 lower-case hex digits), or -1 when the
     * text is not a hold id (the call then goes to the first target, which refuses it).
     */
    static int holdPartition(String holdId) {
        int n = holdId.length();
        if (n < 2 || n > 17 || holdId.charAt(0) != 'h') {
            return -1;
        }
        long value = 0;
        for (int i = 1; i < n; i++) {
            int digit = Character.digit(holdId.charAt(i), 16);
            if (digit < 0 || Character.isUpperCase(holdId.charAt(i))) {
                return -1;
            }
            value = (value << 4) | digit;
        }
        return (int) (value >>> 56);
    }
}
