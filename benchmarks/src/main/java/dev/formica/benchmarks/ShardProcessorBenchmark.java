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
 * <p>A steady state: the requests are a ring ({@link #ring}; Zipf over {@value #BORROWERS} borrowers), and every
 * half ring the shard's clock moves on by one idempotency generation and its duty cycle runs (inside the measured
 * op, amortised over the half ring): the holds of the last half ring expire, those that expired before are removed
 * and the records rotate, so that when the ring comes round a request's id has no record any more and is decided
 * afresh. The heap holds the ring, not millions of requests, and nothing grows.
 *
 * <p>{@link #decide} is the kernel ({@code decideOutcome}: the answer stays in the shard's record);
 * {@link #decideAnswer} adds what the server's shard does with it: the bytes copied into a buffer of the shard's pool
 * for the delivering thread, which gives it back (here at once; the transport once it has copied the bytes).
 *
 * <p>Protects: the single-writer cost per decision and its bytes/op. Issue 19's goal is ≤ 3 µs and 0 B/op
 * (docs/perf-notes/2026-12-07-shard-decide-cost.md has the latest figures and the split by component).
 *
 * <pre>
 * ./formica bench ShardProcessorBenchmark -prof gc
 * ./formica bench ShardProcessorBenchmark -prof gc -p log=memory -p ring=4096 -f 1 -wi 5 -i 5    # a busy box
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
    static final long NOW = 1_780_000_000_000L;
    /** How far the clock moves every half ring: one idempotency generation, so the records rotate each time. */
    static final long GENERATION_MS = 86_400_000L;
    /** A hold's time to live; a day, the finished holds' retention (both far below the clock's step). */
    static final long HOLD_TTL_MS = 900_000;

    private DecisionRequest[] requests;
    /** Each request's wire bytes, as the server keeps them from the transport (the journal's, the shard's reads). */
    private byte[][] requestBytes;
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
    /**
     * Requests in the ring, a power of two: the clock steps every half ring, so a short run on a slow box needs a
     * small ring to reach its steady state (its duty cycles) within the warm-up.
     */
    @Param({"65536"})
    public int ring;
    private int half;
    private RiskContext risk;
    private ShardProcessorFixture processor;
    private int next;
    private long now;
    /** Decides answered from a record: none in a steady state whose records rotate (checked at the end). */
    private long replays;

    @Setup(Level.Trial)
    public void prepareRequests() {
        if (Integer.bitCount(ring) != 1 || ring < 2) {
            throw new IllegalArgumentException("ring must be a power of two: " + ring);
        }
        half = ring / 2;
        requests = BenchmarkData.zipfDecisions(ring, BORROWERS, 1);
        requestBytes = new byte[ring][];
        for (int i = 0; i < ring; i++) {
            requestBytes[i] = requests[i].toByteArray();
        }
    }

    @Setup(Level.Trial)
    public void openFreshState() throws IOException {
        dir = Files.createTempDirectory("formica-bench");
        // holds: one half ring active, one expired and retained; records: one half ring per generation, with room
        state = ShardState.open(dir, StateConfig.defaults().withSizes(BORROWERS, 2L * ring, ring)
                .withDecisionGenerationMillis(GENERATION_MS), NOW);
        risk = RiskContext.openDefaults(dir.resolve("risk"));
        processor = new ShardProcessorFixture(0, state, HOLD_TTL_MS, GENERATION_MS, "CNY", risk);
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
        now = NOW;
        processor.duty(now); // the first generation starts now
    }

    @TearDown(Level.Trial)
    public void closeState() throws IOException {
        if (replays > 0) {
            throw new IllegalStateException(replays + " decides were retries answered from a record: the ring came"
                    + " round before its records rotated out");
        }
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
     * what the server sends, from the thread that delivers it).
     */
    @Benchmark
    public int decide() {
        int outcome = processor.decideOutcome(requests[next], requestBytes[next], now, 0);
        processor.endCommand(now);
        if (outcome == 0) {
            replays++;
        }
        advance();
        return outcome;
    }

    /** As {@link #decide}, with the answer's bytes handed over in a pooled buffer and given back, as in the server. */
    @Benchmark
    public int decideAnswer() {
        int length = processor.decideAnswer(requests[next], requestBytes[next], now, 0);
        processor.endCommand(now);
        if (length < 0) {
            replays++;
        }
        advance();
        return length;
    }

    /** The next request of the ring; every half ring, the next generation (see the class's javadoc). */
    private void advance() {
        next = (next + 1) & (ring - 1);
        if ((next & (half - 1)) == 0) {
            now += GENERATION_MS;
            processor.duty(now);
        }
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
