package dev.formica.engine.state;

/**
 * Sizes and lifetimes of one shard's state maps. Immutable; safe to share between threads.
 *
 * <p>Every map is sized up front (Chronicle Map does not grow freely): a map holds {@code expected × maxBloatFactor}
 * entries before inserts fail. Invalid combinations fail in the constructor with a message naming the setting.
 *
 * @param expectedBorrowers          borrowers per shard; the borrowers' entries (lines and activity, one per
 *                                   borrower) and the profiles are sized for this
 * @param productsPerBorrower        average ledger lines (products) per borrower, 1..3: sizes the exposure records
 * @param expectedHolds              holds alive at once per shard
 * @param expectedDecisionRecords    idempotency records per shard per generation
 * @param decisionGenerationMillis   length of one idempotency generation; a record lives 1 to 2 generations
 * @param averageDecisionRecordBytes average serialized response size
 * @param averageProfileBytes        average serialized profile size
 * @param averageBorrowerIdChars     average borrower id length, used to size keys
 * @param maxBloatFactor             how far past the expected entries a map may grow, 1.0..100.0
 */
public record StateConfig(
        long expectedBorrowers,
        int productsPerBorrower,
        long expectedHolds,
        long expectedDecisionRecords,
        long decisionGenerationMillis,
        int averageDecisionRecordBytes,
        int averageProfileBytes,
        int averageBorrowerIdChars,
        double maxBloatFactor) {

    public static final long DEFAULT_EXPECTED_BORROWERS = 200_000;
    public static final int DEFAULT_PRODUCTS_PER_BORROWER = 2;
    public static final long DEFAULT_EXPECTED_HOLDS = 200_000;
    public static final long DEFAULT_EXPECTED_DECISION_RECORDS = 1_000_000;
    public static final long DEFAULT_DECISION_GENERATION_MILLIS = 24L * 60 * 60 * 1000;
    public static final int DEFAULT_AVERAGE_DECISION_RECORD_BYTES = 256;
    public static final int DEFAULT_AVERAGE_PROFILE_BYTES = 200;
    public static final int DEFAULT_AVERAGE_BORROWER_ID_CHARS = 24;
    public static final double DEFAULT_MAX_BLOAT_FACTOR = 2.0;

    /** Longest borrower id or request id, in chars. */
    public static final int MAX_ID_CHARS = 64;
    /** Largest serialized profile or decision response. */
    public static final int MAX_PAYLOAD_BYTES = 16 * 1024;

    public StateConfig {
        positive("expectedBorrowers", expectedBorrowers);
        if (productsPerBorrower < 1 || productsPerBorrower > 3) {
            throw new IllegalArgumentException("productsPerBorrower must be 1..3, was " + productsPerBorrower);
        }
        positive("expectedHolds", expectedHolds);
        positive("expectedDecisionRecords", expectedDecisionRecords);
        positive("decisionGenerationMillis", decisionGenerationMillis);
        if (averageDecisionRecordBytes < 1 || averageDecisionRecordBytes > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("averageDecisionRecordBytes must be 1.." + MAX_PAYLOAD_BYTES
                    + ", was " + averageDecisionRecordBytes);
        }
        if (averageProfileBytes < 1 || averageProfileBytes > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("averageProfileBytes must be 1.." + MAX_PAYLOAD_BYTES
                    + ", was " + averageProfileBytes);
        }
        if (averageBorrowerIdChars < 1 || averageBorrowerIdChars > MAX_ID_CHARS) {
            throw new IllegalArgumentException("averageBorrowerIdChars must be 1.." + MAX_ID_CHARS
                    + ", was " + averageBorrowerIdChars);
        }
        if (!(maxBloatFactor >= 1.0 && maxBloatFactor <= 100.0)) {
            throw new IllegalArgumentException("maxBloatFactor must be 1.0..100.0, was " + maxBloatFactor
                    + "; raise the expected* sizes instead of the bloat factor");
        }
    }

    /** The named defaults: 200k borrowers, 200k holds, 1M decision records per 24 h generation. */
    public static StateConfig defaults() {
        return new StateConfig(DEFAULT_EXPECTED_BORROWERS, DEFAULT_PRODUCTS_PER_BORROWER, DEFAULT_EXPECTED_HOLDS,
                DEFAULT_EXPECTED_DECISION_RECORDS, DEFAULT_DECISION_GENERATION_MILLIS,
                DEFAULT_AVERAGE_DECISION_RECORD_BYTES, DEFAULT_AVERAGE_PROFILE_BYTES,
                DEFAULT_AVERAGE_BORROWER_ID_CHARS, DEFAULT_MAX_BLOAT_FACTOR);
    }

    /** A copy with other map sizes, for tests, benchmarks and small deployments. */
    public StateConfig withSizes(long borrowers, long holds, long decisionRecords) {
        return new StateConfig(borrowers, productsPerBorrower, holds, decisionRecords, decisionGenerationMillis,
                averageDecisionRecordBytes, averageProfileBytes, averageBorrowerIdChars, maxBloatFactor);
    }

    /** A copy with another idempotency generation length. */
    public StateConfig withDecisionGenerationMillis(long millis) {
        return new StateConfig(expectedBorrowers, productsPerBorrower, expectedHolds, expectedDecisionRecords,
                millis, averageDecisionRecordBytes, averageProfileBytes, averageBorrowerIdChars, maxBloatFactor);
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }
}
