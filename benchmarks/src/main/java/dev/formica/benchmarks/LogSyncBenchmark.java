package dev.formica.benchmarks;

import dev.formica.engine.log.Durability;
import dev.formica.engine.log.LogBuffer;
import dev.formica.engine.log.LogChannel;
import dev.formica.engine.log.LogSegments;
import dev.formica.engine.log.LogWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * The shard log's group commit alone, in {@code fsync} mode on the data disk: one frame of {@code frameBytes}
 * appended, and the wait until the log writer has written and {@code fdatasync}ed it and released it (the path a
 * Decide's answer waits on, without the shard's logic or gRPC). One frame per sync, one every {@code gapMicros}
 * (about the 1,000/s a shard sees at 2,000 Decides/s on two shards), sample-time mode for the tail.
 * {@code preallocate}: the segments are preallocated (files of zeros, so {@code fdatasync} flushes data only) or
 * grow with each write (each {@code fdatasync} also commits the new file size through the ext4 journal). The
 * preallocated case measures a steady state: its next segment is zeroed before the measurement starts.
 *
 * <pre>
 * ./formica bench LogSyncBenchmark                       # both, p50 / p99 / p99.9 per mode
 * ./formica bench LogSyncBenchmark -p dir=/some/ext4/dir  # another disk (default: target/ of the benchmarks)
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 4, time = 10, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class LogSyncBenchmark {
    @Param({"false", "true"})
    public boolean preallocate;

    @Param({"1500"})
    public int frameBytes;

    @Param({"1000"})
    public int gapMicros;

    /** Where the log goes (a directory on the disk to measure); empty: a new one under the working directory. */
    @Param({""})
    public String dir;

    private Path root;
    private LogWriter writer;
    private LogWriter.Log log;
    private UnsafeBuffer payload;
    private long time;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path parent = dir.isEmpty() ? Path.of("target") : Path.of(dir);
        Files.createDirectories(parent);
        root = Files.createTempDirectory(parent.toAbsolutePath(), "log-sync-");
        writer = new LogWriter(Durability.FSYNC, LogChannel.FILES, LogWriter.DEFAULT_SEGMENT_BYTES,
                LogBuffer.DEFAULT_CAPACITY, preallocate ? 0 : -1);
        log = writer.open(0, LogSegments.open(root.resolve("log")), 0, root.resolve("shard-0.window"));
        writer.start();
        payload = new UnsafeBuffer(new byte[frameBytes]);
        for (int i = 0; i < frameBytes; i++) {
            payload.putByte(i, (byte) i);
        }
        if (preallocate) {
            // the first segment grows; wait (appending) until the writer has moved into a preallocated one and
            // the one after it is zeroed too, so that no zeroing runs while the syncs are measured (in a server it
            // runs once per 256 MiB of a shard's log, ≈ 8 s at 32 MiB/s)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (LogSegments.existing(root.resolve("log")).list().size() < 2
                    || !Files.exists(root.resolve("log").resolve("next-segment.zeros"))) {
                appendAndWait();
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no preallocated segment after 120 s");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        writer.close();
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private boolean appendAndWait() {
        long end = log.append(++time, payload, 0, frameBytes);
        CompletableFuture<Boolean> durable = new CompletableFuture<>();
        log.whenDurable(end, durable::complete);
        return durable.join();
    }

    /** The gap between frames, outside the measured time. */
    @Setup(Level.Invocation)
    public void gap() {
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(gapMicros));
    }

    @Benchmark
    public boolean appendAndSync() {
        return appendAndWait();
    }
}
