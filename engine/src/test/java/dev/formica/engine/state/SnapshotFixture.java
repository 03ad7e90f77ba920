package dev.formica.engine.state;

import dev.formica.engine.funding.QuotaTally;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A small shard state built the same way by every build: {@code snapshot-format2.snap} (a test resource) is this
 * state written by the build before snapshot format 3 ({@code a9d8e24}), with this class copied next to that build's
 * jar and run as {@code java -cp benchmarks.jar:. dev.formica.engine.state.SnapshotFixture <file>}.
 * Public API only, so the copy compiles against that build.
 */
public final class SnapshotFixture {
    public static final long T0 = 1_700_000_000_000L;
    public static final long GENERATION_MS = 1_000;

    private SnapshotFixture() {
    }

    public static StateConfig config() {
        return StateConfig.defaults().withSizes(10_000, 10_000, 10_000).withDecisionGenerationMillis(GENERATION_MS);
    }

    static byte[] bytes(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    static String key(int i) {
        // a scope, a NUL separator and a request id, some with characters beyond Latin-1
        return "b" + (i % 50) + "\u0000" + (i % 7 == 0 ? "r\u00e9q-\u20ac" : "req-") + i;
    }

    /** Fills the empty {@code s} and {@code velocity}: records in two generations (some put twice), lines, holds. */
    public static void fill(ShardState s, VelocityWindows velocity) {
        DecisionRecords records = s.decisions();
        for (int i = 0; i < 300; i++) {
            records.put(key(i), (byte) (1 + i % 3), T0 + i, i * 7919L, bytes(i % 41, i));
        }
        records.put(key(17), (byte) 2, T0 + 400, 5L, bytes(9, 99)); // replaced in the same generation
        records.rotateIfDue(T0 + GENERATION_MS);
        for (int i = 300; i < 600; i++) {
            records.put(key(i), (byte) (1 + i % 3), T0 + GENERATION_MS + i, -i, bytes((i * 13) % 97, i));
        }
        records.put(key(5), (byte) 3, T0 + GENERATION_MS + 700, 11L, bytes(3, 1)); // in both generations
        records.put(key(301), (byte) 1, T0 + GENERATION_MS + 701, 12L, bytes(0, 0));
        HoldSnapshot hold = new HoldSnapshot();
        for (int i = 0; i < 50; i++) {
            s.ledger().putLine("b" + i, 1 + i % 2, 100_000L * (i + 1), T0);
            s.ledger().apply("b" + i, 1 + i % 2, 100L * i, 10L * i, T0 + i);
            s.profiles().put("b" + i, bytes(20 + i, i));
            hold.reset().borrowerId("b" + i).product(1 + i % 2).amountMinor(100L * i).createdMs(T0 + i)
                    .expiresMs(T0 + 60_000 + i).state(HoldState.ACTIVE).requestIdHash(DecisionRecords.hash(key(i)));
            if (i % 3 == 0) {
                hold.addFunding(i % 4, 50L * i);
            }
            s.holds().put(1_000L + i, hold);
            if (i < 10) {
                velocity.add(VelocityWindows.Dimension.DEVICE, "d" + i, T0 + i, 100 + i);
                velocity.add(VelocityWindows.Dimension.BORROWER, "b" + i, T0 + 2 * i, 7L * i);
            }
        }
    }

    /** Writes {@link #fill}'s state as a snapshot to {@code args[0]} (run by the build that makes the resource). */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]).toAbsolutePath();
        Path dir = java.nio.file.Files.createTempDirectory("formica-fixture");
        try (ShardState s = ShardState.open(dir.resolve("shard"), config(), T0);
                VelocityWindows velocity = VelocityWindows.inMemory(1024)) {
            fill(s, velocity);
            ShardSnapshot.write(file, 0, 4242, T0 + 5_000, s, velocity, new QuotaTally());
        } finally {
            try (var paths = java.nio.file.Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
    }
}
