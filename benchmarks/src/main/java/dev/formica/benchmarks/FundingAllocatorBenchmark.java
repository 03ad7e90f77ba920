package dev.formica.benchmarks;

import dev.formica.engine.funding.FunderSpec;
import dev.formica.engine.funding.FundingAllocation;
import dev.formica.engine.funding.FundingAllocator;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.funding.ProductFunding;
import dev.formica.engine.funding.ProductFunding.Share;
import dev.formica.v1.Product;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link FundingAllocator}: split a 1,000.00 CNY cash loan between the platform (30 %) and two banks (50 %, 20 %),
 * reserving quotas in the shared memory-mapped {@link FundingQuotas}, then release it (as Cancel would); against a
 * baseline of one bare reserve-and-release on one funder's counters. One thread, and two threads contending on the
 * same three funders' counters (every shard allocates against the same partners).
 *
 * <p>Protects: allocate + release stays allocation-free ({@code gc.alloc.rate.norm} ≈ 0 B/op) and within a few
 * bare reservations' cost, also under contention.
 *
 * <pre>
 * mvn -B -q -pl proto,engine,benchmarks -am package -DskipTests
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar FundingAllocatorBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class FundingAllocatorBenchmark {
    static final long NOW = 1_780_000_000_000L;
    static final long BIG = 1L << 50;

    Path dir;
    FundingQuotas quotas;
    FundingAllocator allocator;
    int bank;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("funding-bench");
        quotas = FundingQuotas.open(dir.resolve("quotas.dat"));
        allocator = new FundingAllocator(quotas,
                List.of(new FunderSpec("bankA", BIG, FunderSpec.UNLIMITED_DAILY),
                        new FunderSpec("bankB", BIG, FunderSpec.UNLIMITED_DAILY)),
                List.of(new ProductFunding(Product.CASH_LOAN,
                        List.of(new Share("platform", 3000), new Share("bankA", 5000), new Share("bankB", 2000)))),
                FundingAllocator.DEFAULT_MIN_PLATFORM_SHARE_BPS, BIG);
        bank = quotas.indexOf("bankA");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        quotas.close();
        Files.deleteIfExists(dir.resolve("quotas.dat"));
        Files.deleteIfExists(dir);
    }

    /** Per-thread reused allocation. */
    @State(Scope.Thread)
    public static class Scratch {
        final FundingAllocation allocation = new FundingAllocation();
    }

    @Benchmark
    @Threads(1)
    public int allocateAndRelease(Scratch s) {
        FundingAllocator.Result result = allocator.allocate(Product.CASH_LOAN, 100_000, NOW, s.allocation);
        allocator.release(s.allocation);
        return result.ordinal() + s.allocation.count();
    }

    @Benchmark
    @Threads(2)
    public int allocateAndRelease2Threads(Scratch s) {
        return allocateAndRelease(s);
    }

    /** Baseline: one funder's total and daily counters, reserved and released. */
    @Benchmark
    @Threads(1)
    public boolean baselineReserveRelease() {
        boolean reserved = quotas.tryReserve(bank, 50_000, 20_600);
        quotas.release(bank, 50_000, 20_600);
        return reserved;
    }

    @Benchmark
    @Threads(2)
    public boolean baselineReserveRelease2Threads() {
        return baselineReserveRelease();
    }
}
