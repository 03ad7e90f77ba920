package dev.formica.benchmarks;

import dev.formica.engine.log.Durability;
import dev.formica.engine.log.LogChannel;
import dev.formica.engine.log.LogSegments;
import dev.formica.engine.log.LogWriter;
import dev.formica.engine.pipeline.ShardProcessorFixture;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One shard's Decide logic alone, on its writer thread: idempotency check, ledger read, rules, record, hold and
 * ledger writes, the answer's wire bytes (written from plain fields; no message is built), and the frame of
 * operations appended to the shard log (a log writer thread in {@code process} mode writes it to a temporary
 * directory). No queue, no gRPC: the floor under
 * {@code DecisionBenchmark}. The processor is package-private; the engine's test fixture
 * {@link ShardProcessorFixture} drives it.
 *
 * <p>Protects: the single-writer cost per decision and its bytes/op. Issue 19's goal is ≤ 3 µs and 0 B/op; not met
 * yet (BENCHMARKS.md, "Durability cost", has the latest figure).
 *
 * <pre>
 * ./formica bench ShardProcessorBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 4, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class ShardProcessorBenchmark {
    static final int BORROWERS = 100_000;
    static final int REQUESTS = 1 << 22;
    static final long NOW = 1_780_000_000_000L;

    private DecisionRequest[] requests;
    private Path dir;
    private Path logDir;
    private ShardState state;
    private LogWriter writer;

    /**
     * {@code memory}: the frames go to a log that keeps nothing (the shard thread's work up to the append:
     * recording the operations and the audit record); {@code tmpfs}: a real shard log in {@code process} mode on
     * /dev/shm (the shard also checksums each frame and copies it into its log window; the writer thread's
     * {@code write} of the window competes for the 2 cores).
     */
    @Param({"memory", "tmpfs"})
    public String log;
    private RiskContext risk;
    private ShardProcessorFixture processor;
    private int next;

    @Setup(Level.Trial)
    public void prepareRequests() {
        requests = BenchmarkData.zipfDecisions(REQUESTS, BORROWERS, 1);
    }

    @Setup(Level.Trial)
    public void openFreshState() throws IOException {
        dir = Files.createTempDirectory("formica-bench");
        state = ShardState.open(dir, StateConfig.defaults().withSizes(BORROWERS, REQUESTS, REQUESTS), NOW);
        risk = RiskContext.openDefaults(dir.resolve("risk"));
        processor = new ShardProcessorFixture(0, state, 900_000, 86_400_000, "CNY", risk);
        for (int b = 0; b < BORROWERS; b++) {
            state.ledger().putLine("b" + b, Product.CONSUMER_CREDIT_VALUE, 1_000_000_000_000L, NOW);
        }
        // from here every decision's operations are recorded and appended to a shard log, as in the server
        if ("tmpfs".equals(log)) {
            logDir = Files.createTempDirectory(Path.of("/dev/shm"), "formica-bench-log");
            writer = new LogWriter(Durability.PROCESS, LogChannel.FILES, LogWriter.DEFAULT_SEGMENT_BYTES);
            processor.log(writer.open(0, LogSegments.open(logDir.resolve("log")), 0));
            writer.start();
        } else {
            processor.log(new DiscardingLog());
        }
        processor.recover(NOW);
        next = 0;
    }

    @TearDown(Level.Trial)
    public void closeState() throws IOException {
        if (writer != null) {
            writer.close();
        }
        state.close();
        risk.close();
        BenchmarkData.deleteRecursively(dir);
        if (logDir != null) {
            // deleteOnExit does not delete a directory that still holds the log's segments
            BenchmarkData.deleteRecursively(logDir);
        }
    }

    /**
     * The shard's part of a Decide: the answer is left in the processor's reused result and record (its bytes are
     * what the server parses into the response on the thread that delivers it, not on the shard).
     */
    @Benchmark
    public int decide() {
        if (next == REQUESTS) {
            throw new IllegalStateException("ran out of unique requests: raise REQUESTS");
        }
        int outcome = processor.decideOutcome(requests[next++], NOW, 0);
        processor.endCommand(NOW);
        return outcome;
    }

    /** A shard log that keeps nothing and is durable at once: no checksum, no copy into a window. */
    static final class DiscardingLog implements dev.formica.engine.log.ShardLog {
        private long appended;

        @Override
        public long append(long timeMs, org.agrona.DirectBuffer payload, int offset, int length) {
            appended += dev.formica.engine.log.LogFrames.frameLength(length);
            return appended;
        }

        @Override
        public long appendedPosition() {
            return appended;
        }

        @Override
        public long durablePosition() {
            return appended;
        }

        @Override
        public void whenDurable(long position, Release release) {
            release.release(true);
        }
    }
}
