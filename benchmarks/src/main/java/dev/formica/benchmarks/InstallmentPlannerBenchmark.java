package dev.formica.benchmarks;

import dev.formica.engine.pricing.FeeSpec;
import dev.formica.engine.pricing.InstallmentPlanner;
import dev.formica.engine.pricing.InstallmentSchedule;
import dev.formica.v1.InstallmentPlan;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link InstallmentPlanner}: a whole equal-installment plan (schedule, two fees, IRR) into a reused
 * {@link InstallmentSchedule}, the same as protobuf, and as baseline the annuity amount alone computed the
 * straightforward exact way ({@code BigInteger} powers and a {@code BigDecimal} division, as the planner does
 * only on a memo miss or a near-tie).
 *
 * <p>Protects: the plain plan stays allocation-free ({@code gc.alloc.rate.norm} ≈ 0 B/op) and costs about what one
 * exact annuity costs, so pricing adds little to an approval. 12,345.67 CNY at 18 % APR.
 *
 * <pre>
 * mvn -B -q -pl proto,engine,benchmarks -am package -DskipTests
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar InstallmentPlannerBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@State(Scope.Thread)
public class InstallmentPlannerBenchmark {
    static final long PRINCIPAL = 1_234_567;
    static final int APR = 1800;
    static final long START = 1_780_000_000_000L;
    static final List<FeeSpec> FEES = List.of(
            new FeeSpec("SERVICE_FEE", "Service fee, 1 % of the principal", 0, 100, FeeSpec.Timing.UPFRONT),
            new FeeSpec("INSTALLMENT_FEE", "Installment fee", 0, 360, FeeSpec.Timing.PER_INSTALLMENT));

    @Param({"3", "12", "36"})
    public int installments;

    final InstallmentPlanner planner = new InstallmentPlanner();
    final InstallmentSchedule schedule = new InstallmentSchedule();

    @Benchmark
    public long planSchedule() {
        return planner.plan(PRINCIPAL, APR, installments, START, FEES, schedule).totalRepaymentMinor()
                + schedule.annualisedRateBps();
    }

    @Benchmark
    public InstallmentPlan planProto() {
        return planner.plan(PRINCIPAL, APR, installments, START, FEES);
    }

    /** Baseline: only the annuity amount, exact through BigInteger/BigDecimal. */
    @Benchmark
    public long baselineExactAnnuity() {
        BigInteger c = BigInteger.valueOf(120_000);
        BigInteger b = BigInteger.valueOf(120_000 + APR).pow(installments);
        BigInteger numerator = BigInteger.valueOf(PRINCIPAL).multiply(BigInteger.valueOf(APR)).multiply(b);
        BigInteger denominator = c.multiply(b.subtract(c.pow(installments)));
        return new BigDecimal(numerator).divide(new BigDecimal(denominator), 0, RoundingMode.HALF_EVEN).longValue();
    }
}
