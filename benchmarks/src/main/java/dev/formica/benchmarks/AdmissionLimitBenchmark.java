package dev.formica.benchmarks;

import dev.formica.engine.server.SlotLimit;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the admission limit adds to an admitted Decide: the clock read at the slot's taking and the sample at its
 * answer. {@link #fixed} is {@code admissionLimit: FIXED} (no clock, no sample); {@link #adaptive} is
 * {@code ADAPTIVE} (concurrency-limits' windowed gradient limit, one sample per call, a window closed every 100 ms
 * of the clock). Run with {@code -prof gc} for the bytes each sample allocates.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Thread)
public class AdmissionLimitBenchmark {
    private static final long MS = 1_000_000;
    private final SlotLimit fixedLimit = SlotLimit.fixed(128);
    private final SlotLimit adaptiveLimit = SlotLimit.adaptive(128, 256, System::nanoTime);

    @Benchmark
    public int fixed() {
        long admitted = fixedLimit.now() - MS; // as if admitted 1 ms ago
        fixedLimit.answered(admitted, 100);
        return fixedLimit.current();
    }

    @Benchmark
    public int adaptive() {
        long admitted = adaptiveLimit.now() - MS; // 1 ms ago: the library drops round trips under its threshold
        adaptiveLimit.answered(admitted, 100);
        return adaptiveLimit.current();
    }
}
