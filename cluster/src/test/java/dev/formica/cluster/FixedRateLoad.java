package dev.formica.cluster;

import static org.awaitility.Awaitility.await;

import dev.formica.client.FormicaClient;
import dev.formica.client.RetryPolicy;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The open-loop load of the cluster measurements: calls at a fixed rate through the SDK, each at its intended send
 * time, latency counted from that time (so a stall shows as latency, not as fewer calls), and the servers' CPU time
 * over the measured window per call. Not a test.
 */
final class FixedRateLoad {
    static final int BORROWERS = 1000;

    private FixedRateLoad() {
    }

    /**
     * A measurement's rate and windows, from {@code -Dformica.measure.rate}, {@code .warmup} and {@code .seconds}
     * (seconds, 30 unless given).
     */
    record Window(int rate, Duration warmup, Duration measured) {
        static Window fromProperties() {
            return new Window(Integer.getInteger("formica.measure.rate"),
                    Duration.ofSeconds(Long.getLong("formica.measure.warmup", 30)),
                    Duration.ofSeconds(Long.getLong("formica.measure.seconds", 30)));
        }
    }

    /** One measured run's figures. */
    record Result(String name, long answered, long errors, Histogram latencyMicros, Duration cpu, long intended) {
        /** CPU per intended call, ms. */
        double cpuMsPerCall() {
            return cpu.toMillis() / (double) Math.max(1, intended);
        }

        String line() {
            Histogram h = latencyMicros;
            return String.format(Locale.ROOT, "%-28s n %7d  errors %4d  p50 %7.2f  p99 %7.2f  p99.9 %7.2f  max %8.2f"
                    + "  servers' CPU %6.2f s, %6.3f ms/call", name, answered, errors,
                    h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, cpu.toMillis() / 1000.0,
                    cpuMsPerCall());
        }
    }

    static FormicaClient client(List<String> targets) {
        return FormicaClient.builder().targets(targets).defaultDeadline(Duration.ofSeconds(20))
                .retryPolicy(RetryPolicy.builder().maxAttempts(30).maxBackoff(Duration.ofMillis(250)).build())
                .build();
    }

    /** Borrowers {@code m-0} .. {@code m-999}, each with a large consumer-credit line. */
    static void loadProfiles(FormicaClient client) {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (int b = 0; b < BORROWERS; b++) {
            pending.add(client.upsertProfileAsync(Profile.newBuilder().setBorrowerId("m-" + b).setRegion("CN-31")
                    .addLines(ProductLine.newBuilder().setProduct(Product.CONSUMER_CREDIT)
                            .setLineMinor(1_000_000_000L)).build()));
            if (pending.size() == 64) {
                pending.forEach(CompletableFuture::join);
                pending.clear();
            }
        }
        pending.forEach(CompletableFuture::join);
    }

    /** A Decide of 1.00 for borrower {@code m-(i mod 1000)}, request id {@code prefix + i}. */
    static DecisionRequest decide(long i, String prefix) {
        return DecisionRequest.newBuilder().setRequestId(prefix + i).setBorrowerId("m-" + (i % BORROWERS))
                .setProduct(Product.CONSUMER_CREDIT).setAmountMinor(100).build();
    }

    /**
     * Calls at {@code rate}/s for {@code warmup} then {@code measured}; the measured part's latencies and the CPU
     * that {@code cpu} reports over it.
     */
    static Result run(String name, int rate, Duration warmup, Duration measured, Supplier<Duration> cpu,
            Function<Long, CompletableFuture<?>> call) {
        Recorder recorder = new Recorder(3);
        AtomicLong errors = new AtomicLong();
        long periodNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        long warmEnd = start + warmup.toNanos();
        long end = warmEnd + measured.toNanos();
        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
        AtomicLong next = new AtomicLong();
        sender.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            // every call whose intended time has come, so a stalled sender shows as latency, not as fewer calls
            for (long i = next.get(); start + i * periodNanos <= now && start + i * periodNanos < end; i++) {
                long intended = start + i * periodNanos;
                next.set(i + 1);
                call.apply(i).whenComplete((r, e) -> {
                    if (intended < warmEnd) {
                        return;
                    }
                    if (e != null) {
                        errors.incrementAndGet();
                    } else {
                        recorder.recordValue(Math.max(1, (System.nanoTime() - intended) / 1000));
                    }
                });
            }
        }, 0, Math.max(1, periodNanos / 1000), TimeUnit.MICROSECONDS);
        await().atMost(warmup.plus(measured).plusMinutes(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> System.nanoTime() >= warmEnd);
        Duration cpuAtStart = cpu.get();
        await().atMost(measured.plusMinutes(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> System.nanoTime() >= end);
        Duration cpuUsed = cpu.get().minus(cpuAtStart);
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .until(() -> System.nanoTime() >= end + TimeUnit.SECONDS.toNanos(5));
        sender.shutdownNow();
        Histogram h = recorder.getIntervalHistogram();
        return new Result(name, h.getTotalCount(), errors.get(), h, cpuUsed, rate * measured.toSeconds());
    }
}
