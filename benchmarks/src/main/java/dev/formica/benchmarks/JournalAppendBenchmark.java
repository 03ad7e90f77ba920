package dev.formica.benchmarks;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.journal.DecisionJournal;
import dev.formica.engine.journal.JournalFrameEncoder;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Sink;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.FeatureLayout;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.state.StateOps;
import dev.formica.v1.AttributeValue;
import dev.formica.v1.Channel;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
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
 * Appending one realistic decision to the journal (an approved 12-installment consumer loan: request with
 * device, IP, merchant and attributes, response with reasons, plan, funding and contributions, about 60
 * features) with the two candidate back-ends, against encoding the same record into a heap buffer only:
 * <ul>
 *   <li>{@code encode}: {@link JournalFrameEncoder} into a reused buffer (the baseline both share);</li>
 *   <li>{@code frame}: {@link DecisionJournal} as the shard runs it now: the audit record encoded into the
 *       command's shard-log frame ({@link StateOps}), the response serialised first;</li>
 *   <li>{@code frame-bytes}: the same, given the response already serialised (the shard writer has those
 *       bytes for its idempotency record), so only the request is serialised here;</li>
 *   <li>{@code chronicle}: the same encoding into a scratch buffer, copied into a Chronicle Queue document
 *       ({@code writingDocument()}, daily roll) — Chronicle's own way of taking opaque bytes.</li>
 * </ul>
 * {@link #appendEncoded} appends the same pre-encoded frame with each back-end (the baseline copies it into a
 * heap buffer, the frame copies it into the frame's operations): the back-ends' own cost. Writing the frame to
 * the disk is the log writer thread's, not the shard's, and is not in these figures.
 *
 * <p>Protects: the audit record adds little to a decision (a few µs against a server-side Decide p50 of ≈ 65 µs,
 * the {@code total} stage at 70 % of saturation in BENCHMARKS.md) and allocates only protobuf's encoders
 * ({@code gc.alloc.rate.norm}); and the choice
 * of back-end (docs/backtest-and-stress.md). The figures of the mapped journal this benchmark measured before the
 * shard log are in docs/perf-notes/2026-11-28-footprint-ledger-and-journal-append.md.
 *
 * <pre>
 * mvn -B -q -pl proto,engine,benchmarks -am package -DskipTests
 * java @benchmarks/target/jvm.options -jar benchmarks/target/benchmarks.jar JournalAppendBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class JournalAppendBenchmark {
    static final long NOW = 1_780_000_000_000L;

    @Param({"encode", "frame", "frame-bytes", "chronicle"})
    public String backend;

    DecisionRequest request;
    DecisionResponse response;
    CompiledRuleSet rules;
    FeatureVector features;
    Path dir;
    DecisionJournal journal;
    final StateOps ops = new StateOps();
    byte[] frame;
    byte[] responseBytes;
    int frameLength;
    ChronicleQueue queue;
    ExcerptAppender appender;
    final JournalFrameEncoder encoder = new JournalFrameEncoder();
    final byte[] scratchBytes = new byte[64 * 1024];
    final ByteBuffer scratchView = ByteBuffer.wrap(scratchBytes);
    final UnsafeBuffer scratch = new UnsafeBuffer(scratchBytes);
    long now = NOW;

    @Setup(Level.Trial)
    public void record() throws IOException {
        Path data = Files.createTempDirectory("journal-bench-data");
        try (DecisionPipeline pipeline = DecisionPipeline.open(new EngineConfiguration().dataDir(data).shards(1)
                .expectedBorrowers(10_000).expectedDecisionsPerDay(10_000).velocityKeys(1024),
                new SystemEpochClock())) {
            AttributeValue zero = AttributeValue.newBuilder().setIntValue(0).build();
            Profile profile = Profile.newBuilder().setBorrowerId("borrower-000123456").setRegion("CN-31")
                    .setAnnualIncomeMinor(30_000_000).addLines(ProductLine.newBuilder()
                            .setProduct(Product.CONSUMER_CREDIT).setLineMinor(5_000_000))
                    .putAttributes("bureau.active_lenders", zero)
                    .putAttributes("bureau.months_on_book", AttributeValue.newBuilder().setIntValue(80).build())
                    .putAttributes("bureau.overdue_24m", zero).putAttributes("bureau.max_dpd_12m", zero)
                    .putAttributes("employment.months", AttributeValue.newBuilder().setIntValue(60).build())
                    .putAttributes("housing", AttributeValue.newBuilder().setStringValue("own").build())
                    .putAttributes("age", AttributeValue.newBuilder().setIntValue(35).build())
                    .putAttributes("kyc.level", AttributeValue.newBuilder().setIntValue(3).build()).build();
            await(pipeline, profile);
            request = DecisionRequest.newBuilder().setRequestId("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
                    .setBorrowerId("borrower-000123456").setProduct(Product.CONSUMER_CREDIT).setAmountMinor(329_900)
                    .setCurrency("CNY").setMerchantId("merchant-88231").setMerchantCategory("5732")
                    .setChannel(Channel.CHANNEL_APP).setDeviceId("device-7f3e2a1b9c").setIp("203.0.113.42")
                    .setRegion("CN-31").setEventTimeMs(NOW).setInstallments(12)
                    .putAttributes("ip.country", AttributeValue.newBuilder().setStringValue("CN").build()).build();
            CompletableFuture<DecisionResponse> answer = new CompletableFuture<>();
            pipeline.decide(request, new Sink<>() {
                @Override
                public void onResult(DecisionResponse r) {
                    answer.complete(r);
                }

                @Override
                public void onError(Refused e) {
                    answer.completeExceptionally(e);
                }
            }, System.nanoTime(), null);
            response = answer.join();
            if (response.getOutcome() != Outcome.APPROVE) {
                throw new IllegalStateException("expected an approval to journal: " + response);
            }
            rules = pipeline.risk().rules().active();
        } finally {
            BenchmarkData.deleteRecursively(data);
        }
        features = new FeatureVector(rules.layout().size());
        responseBytes = response.toByteArray();
        for (FeatureLayout.Slot slot : rules.layout().all().values()) {
            switch (slot.type()) {
                case INT -> features.setInt(slot.index(), 12_345 + slot.index());
                case DOUBLE -> features.setDouble(slot.index(), 0.25 * slot.index());
                case BOOL -> features.setBool(slot.index(), slot.index() % 2 == 0);
                default -> features.setString(slot.index(), "CN-31");
            }
        }
    }

    private static void await(DecisionPipeline pipeline, Profile profile) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        pipeline.upsert(profile, new Sink<>() {
            @Override
            public void onResult(Boolean created) {
                done.complete(created);
            }

            @Override
            public void onError(Refused e) {
                done.completeExceptionally(e);
            }
        }, null);
        done.join();
    }

    @Setup(Level.Iteration)
    public void open() throws IOException {
        dir = Files.createTempDirectory("journal-bench");
        if (backend.startsWith("frame")) {
            ops.recording(true);
            journal = DecisionJournal.forShard(0, ops);
        } else if ("chronicle".equals(backend)) {
            queue = ChronicleQueue.singleBuilder(dir.resolve("shard-0")).rollCycle(RollCycles.FAST_DAILY).build();
            appender = queue.createAppender();
        }
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        journal = null;
        if (appender != null) {
            appender.close();
            queue.close();
            appender = null;
            queue = null;
        }
        BenchmarkData.deleteRecursively(dir);
    }

    @Benchmark
    public int append() {
        long t = ++now;
        switch (backend) {
            case "frame" -> {
                journal.append(t, request, response.toByteArray(), rules, features);
                int length = ops.length();
                ops.reset();
                return length;
            }
            case "frame-bytes" -> {
                journal.append(t, request, responseBytes, rules, features);
                int length = ops.length();
                ops.reset();
                return length;
            }
            case "chronicle" -> {
                int length = encodeToScratch(t);
                try (DocumentContext dc = appender.writingDocument()) {
                    dc.wire().bytes().write(scratchBytes, 0, length);
                }
                return length;
            }
            default -> {
                return encodeToScratch(t);
            }
        }
    }

    /**
     * The back-end alone: appending an already encoded frame (the same bytes for both), so the two logs are
     * compared without protobuf's serialisation, which dominates {@link #append} and is the same for both.
     */
    @Benchmark
    public int appendEncoded() {
        if (frame == null) {
            frameLength = encodeToScratch(now);
            frame = java.util.Arrays.copyOf(scratchBytes, frameLength);
        }
        long t = ++now;
        switch (backend) {
            case "frame", "frame-bytes" -> {
                scratch.putBytes(0, frame, 0, frameLength);
                ops.audit(scratch, frameLength);
                int length = ops.length();
                ops.reset();
                return length;
            }
            case "chronicle" -> {
                try (DocumentContext dc = appender.writingDocument()) {
                    dc.wire().bytes().write(frame, 0, frameLength);
                }
                return frameLength;
            }
            default -> {
                scratch.putBytes(8, frame, 8, frameLength - 8);
                return frameLength;
            }
        }
    }

    private int encodeToScratch(long t) {
        int length = encoder.decisionLength(request, response, rules, features);
        encoder.encodeDecision(scratch, scratchView, 0, t, 0, 0, request, response, rules, features);
        return length;
    }
}
