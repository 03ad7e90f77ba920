package dev.formica.benchmarks;

import dev.formica.engine.state.CreditLedger;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CreditLedger} {@code get} and {@code apply} on 1,000,000 lines (off-heap, in memory) against an on-heap
 * {@code ConcurrentHashMap<String, long[]>} baseline, one thread.
 *
 * <p>Protects: the per-decision cost of reading and updating a credit line off-heap (ns/op), and that both are
 * allocation-free ({@code gc.alloc.rate.norm} ≈ 0 B/op). Keys are drawn from a Zipf distribution (hot
 * borrowers, exponent 0.99, ranks scrambled over the key space) or uniformly, prepared in {@code @Setup}.
 *
 * <pre>
 * mvn -B -q -pl proto,engine,benchmarks -am package -DskipTests
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar LedgerBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@State(Scope.Benchmark)
public class LedgerBenchmark {

    static final int KEYS = 1_000_000;
    static final int SAMPLES = 1 << 20;
    static final int PRODUCT = 1;
    static final long NOW = 1_700_000_000_000L;

    /** Adds held 1, drawn 0 and bumps the version; non-capturing, so it allocates nothing per call. */
    static final BiFunction<String, long[], long[]> APPLY = (k, v) -> {
        v[1] += 1;
        v[3] += 1;
        return v;
    };

    @Param({"zipf", "uniform"})
    public String keys;

    Path dir;
    ShardState state;
    CreditLedger ledger;
    ConcurrentHashMap<String, long[]> heap;
    String[] ids;
    int[] samples;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        ids = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            ids[i] = String.format("borrower-%07d", i);
        }
        samples = "zipf".equals(keys) ? zipf(KEYS, 0.99, SAMPLES, 42) : uniform(KEYS, SAMPLES, 42);

        dir = Files.createTempDirectory("ledger-bench");
        StateConfig cfg = new StateConfig(KEYS, 1, 1_000, 1_000, StateConfig.DEFAULT_DECISION_GENERATION_MILLIS,
                256, 120, 16, 2.0);
        state = ShardState.open(dir.resolve("shard-0"), cfg, NOW);
        ledger = state.ledger();
        heap = new ConcurrentHashMap<>(KEYS * 2);
        for (int i = 0; i < KEYS; i++) {
            ledger.putLine(ids[i], PRODUCT, 1_000_000, NOW);
            heap.put(ids[i], new long[] {1_000_000, 0, 0, 1, NOW});
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        state.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Per-thread position in the prepared key sequence and a reused snapshot. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        final LedgerSnapshot snapshot = new LedgerSnapshot();

        int next(int[] samples) {
            int i = samples[next];
            next = (next + 1) & (SAMPLES - 1);
            return i;
        }
    }

    @Benchmark
    public long ledgerGet(Cursor c) {
        ledger.get(ids[c.next(samples)], PRODUCT, c.snapshot);
        return c.snapshot.heldMinor() + c.snapshot.version();
    }

    @Benchmark
    public long ledgerApply(Cursor c) {
        return ledger.apply(ids[c.next(samples)], PRODUCT, 1, 0, NOW);
    }

    @Benchmark
    public long heapGet(Cursor c) {
        long[] v = heap.get(ids[c.next(samples)]);
        return v[1] + v[3];
    }

    @Benchmark
    public long heapApply(Cursor c) {
        return heap.computeIfPresent(ids[c.next(samples)], APPLY)[3];
    }

    static int[] uniform(int n, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = random.nextInt(n);
        }
        return out;
    }

    /** Zipf(s) ranks by inverse CDF, then a fixed permutation so hot keys are spread over the key space. */
    static int[] zipf(int n, double s, int count, long seed) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1.0 / Math.pow(k, s);
            cdf[k - 1] = sum;
        }
        int[] permutation = new int[n];
        for (int i = 0; i < n; i++) {
            permutation[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = t;
        }
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = n - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            out[i] = permutation[lo];
        }
        return out;
    }
}
