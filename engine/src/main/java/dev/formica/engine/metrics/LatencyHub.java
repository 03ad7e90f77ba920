package dev.formica.engine.metrics;

import dev.formica.v1.LatencyDistribution;
import dev.formica.v1.LatencySnapshot;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's latency histograms: per stage (one {@link ShardMetrics} per shard) and per RPC method.
 *
 * <p>Recording is done by the writers into HdrHistogram recorders and never waits for this class. Once a
 * second the sampler ({@link #tick}) takes every recorder's interval histogram and adds it to: a sliding
 * window of the last {@value #WINDOW_TICKS} seconds (the live page), the
 * current interval (every {@code interval}, written as one line per name to the {@code .hlog} files and
 * kept as the "last interval" of {@code GetLatency}), the since-start total, and a ring of the last 15 minutes'
 * per-second throughput and p99 ({@link LatencyHistory}, the page's plots over time).
 *
 * <p>RPC timings are kept per method and per gRPC status code ({@link RpcTimers}); the {@code rpc.<method>} series
 * of the files, the page and GetLatency is their sum. The since-start histograms per stage and per (method, code)
 * are what {@link PrometheusLatency} exports as Prometheus histograms at scrape time, so nothing is recorded twice.
 *
 * <p>Thread contract: {@link #shard}, {@link #rpcTimers} from any thread at set-up; recording through
 * what they return as their own contracts say. {@link #tick}, {@link #snapshot}, {@link #pageJson} and the
 * collectors synchronise on this object: they are called once a second or on request, never on the
 * decision path.
 */
public final class LatencyHub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LatencyHub.class);
    static final int WINDOW_TICKS = 5;
    static final String RPC_PREFIX = "rpc.";
    private static final long TICK_MS = 1000;

    private final EpochClock clock;
    private final boolean enabled;
    private final DecisionMetrics decisions;
    private final ShardMetrics[] shards;
    private final long intervalMs;
    private final HlogFiles log;
    private final ConcurrentHashMap<String, RpcTimers> rpcs = new ConcurrentHashMap<>();
    private final Map<String, Series> series = new LinkedHashMap<>();
    private final long startMs;
    private long intervalStartMs;
    private long lastIntervalStartMs;
    private long lastIntervalEndMs;
    private long lastTickMs;
    private long tickMillis = TICK_MS;
    private long ticks;
    private ScheduledExecutorService sampler;

    /**
     * @param logDir where {@code .hlog} files go, or null for none
     * @param enabled false: record nothing, write no files (the shards' explicit metric calls still work)
     * @param decisions where shards count decisions
     * @param intervalMs the interval of {@code .hlog} lines and of GetLatency's "last interval"
     */
    public LatencyHub(boolean enabled, int shardCount, EpochClock clock, DecisionMetrics decisions,
            long intervalMs, Path logDir, long logMaxBytes, long logMaxAgeMs, int logFiles) {
        this.clock = clock;
        this.enabled = enabled;
        this.decisions = decisions;
        this.intervalMs = intervalMs;
        this.log = enabled && logDir != null ? new HlogFiles(logDir, logMaxBytes, logMaxAgeMs, logFiles) : null;
        this.shards = new ShardMetrics[shardCount];
        for (int k = 0; k < shardCount; k++) {
            shards[k] = enabled ? new ShardMetrics(k, decisions) : ShardMetrics.disabled(k, decisions);
        }
        for (Stage s : Stage.all()) {
            series.put(s.label(), new Series(s.label()));
        }
        this.startMs = clock.time();
        this.intervalStartMs = startMs;
        this.lastTickMs = startMs;
    }

    /** A hub that records nothing: for pipelines opened without metrics. */
    public static LatencyHub disabled(int shardCount, EpochClock clock) {
        return new LatencyHub(false, shardCount, clock, new DecisionMetrics(new PrometheusRegistry()), 5000, null,
                0, 0, 0);
    }

    public boolean enabled() {
        return enabled;
    }

    public ShardMetrics shard(int k) {
        return shards[k];
    }

    public int shardCount() {
        return shards.length;
    }

    /** The business metrics (decisions, rule-set version, partner quota, shadow disagreements). */
    public DecisionMetrics decisions() {
        return decisions;
    }

    /**
     * The timers of an RPC method ({@code service} e.g. {@code formica.v1.DecisionService}, bare {@code method}
     * e.g. {@code Decide}), created on first use; null when recording is off. Callers cache it: this is a map
     * look-up.
     */
    public RpcTimers rpcTimers(String service, String method) {
        if (!enabled) {
            return null;
        }
        return rpcs.computeIfAbsent(RPC_PREFIX + method, n -> new RpcTimers(service, method));
    }

    /**
     * The timers of one unary RPC method: a {@link Recorder} per gRPC status code (0..16), each created when the
     * first call ends with that code, so a code never seen exports no series.
     *
     * <p>Thread contract: {@link #recorder} from any thread, lock-free, allocation-free once the code was seen;
     * the since-start histograms are guarded by the hub.
     */
    public static final class RpcTimers {
        /** gRPC status codes are 0..16. */
        public static final int CODES = 17;

        private final String service;
        private final String method;
        private final AtomicReferenceArray<Recorder> byCode = new AtomicReferenceArray<>(CODES);
        private final Histogram[] cumulative = new Histogram[CODES];

        RpcTimers(String service, String method) {
            this.service = service;
            this.method = method;
        }

        /** The recorder for calls that ended with status code {@code code} (0..16). */
        public Recorder recorder(int code) {
            Recorder r = byCode.get(code);
            if (r == null) {
                byCode.compareAndSet(code, null, LatencyHistograms.recorder());
                r = byCode.get(code);
            }
            return r;
        }

        /** Moves every code's interval into {@code into} (their sum) and into the code's since-start histogram. */
        private void drainInto(Histogram into, Histogram scratch) {
            into.reset();
            for (int c = 0; c < CODES; c++) {
                Recorder r = byCode.get(c);
                if (r != null) {
                    r.getIntervalHistogramInto(scratch);
                    into.add(scratch);
                    if (cumulative[c] == null) {
                        cumulative[c] = LatencyHistograms.histogram();
                    }
                    cumulative[c].add(scratch);
                }
            }
        }
    }

    /** Starts the once-a-second sampler thread (the engine does; tests call {@link #tick} instead). */
    public synchronized void startSampler() {
        if (!enabled || sampler != null) {
            return;
        }
        // The first interval starts now, not when the hub was built before the state opened.
        intervalStartMs = clock.time();
        lastTickMs = intervalStartMs;
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "formica-latency");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(this::safeTick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Stops the sampler thread; the window then moves only when {@link #tick} is called. For tests that read the
     * live page at their own pace: the sampler's once-a-second ticks would otherwise empty the five-tick window while
     * a slow browser starts.
     */
    public synchronized void stopSampler() {
        if (sampler != null) {
            sampler.shutdownNow();
            sampler = null;
        }
    }

    private void safeTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("latency sampler tick failed", e);
        }
    }

    /**
     * Takes every recorder's interval histogram, advances the window, and finishes the interval when
     * {@code interval} has passed since it began (writing the {@code .hlog} line).
     */
    public synchronized void tick() {
        if (!enabled) {
            return;
        }
        long now = clock.time();
        int slot = (int) (ticks++ % WINDOW_TICKS);
        for (Stage stage : Stage.all()) {
            Series x = series.get(stage.label());
            Histogram into = x.ring[slot];
            into.reset();
            for (ShardMetrics shard : shards) {
                shard.recorder(stage).getIntervalHistogramInto(x.scratch);
                into.add(x.scratch);
            }
        }
        rpcs.forEach((name, timers) -> {
            Series x = series.computeIfAbsent(name, Series::new);
            timers.drainInto(x.ring[slot], x.scratch);
        });
        for (Series x : series.values()) {
            Histogram latest = x.ring[slot];
            x.lastTickCount = latest.getTotalCount();
            x.window.reset();
            for (Histogram h : x.ring) {
                x.window.add(h);
            }
            x.pending.add(latest);
            x.cumulative.add(latest);
        }
        tickMillis = Math.max(1, now - lastTickMs);
        lastTickMs = now;
        for (Series x : series.values()) {
            x.history.add(now, tickMillis, x.ring[slot]);
        }
        if (now - intervalStartMs >= intervalMs) {
            finishInterval(now);
        }
    }

    private void finishInterval(long now) {
        List<Histogram> out = new ArrayList<>(series.size());
        for (Series x : series.values()) {
            Histogram done = x.pending;
            x.pending = x.lastInterval;
            x.pending.reset();
            x.lastInterval = done;
            done.setStartTimeStamp(intervalStartMs);
            done.setEndTimeStamp(now);
            done.setTag(x.name);
            out.add(done);
        }
        if (log != null) {
            log.write(intervalStartMs, out);
        }
        lastIntervalStartMs = intervalStartMs;
        lastIntervalEndMs = now;
        intervalStartMs = now;
    }

    /** Percentiles per name for the last finished interval and since start; empty names = all. */
    public synchronized LatencySnapshot snapshot(Collection<String> names) {
        LatencySnapshot.Builder b = LatencySnapshot.newBuilder()
                .setIntervalStartMs(lastIntervalStartMs)
                .setIntervalEndMs(lastIntervalEndMs);
        for (Series x : series.values()) {
            if (names.isEmpty() || names.contains(x.name)) {
                if (lastIntervalEndMs > 0) {
                    b.addInterval(distribution(x.name, x.lastInterval));
                }
                b.addCumulative(distribution(x.name, x.cumulative));
            }
        }
        return b.build();
    }

    /** True for a stage label or an RPC name ({@code rpc.} and a method), the names GetLatency accepts. */
    public static boolean isValidName(String name) {
        for (Stage s : Stage.all()) {
            if (s.label().equals(name)) {
                return true;
            }
        }
        return name.startsWith(RPC_PREFIX) && name.length() > RPC_PREFIX.length() && name.length() <= 64;
    }

    private static LatencyDistribution distribution(String name, Histogram h) {
        return LatencyDistribution.newBuilder()
                .setName(name)
                .setCount(h.getTotalCount())
                .setP50Nanos(h.getValueAtPercentile(50))
                .setP90Nanos(h.getValueAtPercentile(90))
                .setP99Nanos(h.getValueAtPercentile(99))
                .setP999Nanos(h.getValueAtPercentile(99.9))
                .setMaxNanos(h.getTotalCount() == 0 ? 0 : h.getMaxValue())
                .setMeanNanos(Math.round(h.getMean()))
                .build();
    }

    /** When recording started (epoch ms): the created time of the since-start histograms. */
    long startMs() {
        return startMs;
    }

    /** Visits each stage's since-start histogram (all shards added), in pipeline order. */
    synchronized void forEachStage(StageVisitor visitor) {
        for (Stage s : Stage.all()) {
            visitor.visit(s, series.get(s.label()).cumulative);
        }
    }

    /** Visits the since-start histogram of each (RPC method, status code) seen so far. */
    synchronized void forEachRpc(RpcVisitor visitor) {
        for (RpcTimers t : rpcs.values()) {
            for (int c = 0; c < RpcTimers.CODES; c++) {
                if (t.cumulative[c] != null) {
                    visitor.visit(t.service, t.method, c, t.cumulative[c]);
                }
            }
        }
    }

    /** Receives one stage's since-start histogram; must not keep it. */
    interface StageVisitor {
        void visit(Stage stage, Histogram cumulative);
    }

    /** Receives one (method, status code)'s since-start histogram; must not keep it. */
    interface RpcVisitor {
        void visit(String service, String method, int code, Histogram cumulative);
    }

    /**
     * The live page's data: per name the percentile curve of the window (points {@code [percentile,
     * nanos]} as HdrHistogram's percentile iteration gives them), count and rate of the last second, and
     * the decision outcome and decline-reason totals.
     */
    public synchronized String pageJson() {
        StringBuilder j = new StringBuilder(16 * 1024);
        j.append("{\"timeMs\":").append(lastTickMs)
                .append(",\"startMs\":").append(startMs)
                .append(",\"windowSeconds\":").append(WINDOW_TICKS)
                .append(",\"series\":[");
        boolean first = true;
        for (Series x : series.values()) {
            if (!first) {
                j.append(',');
            }
            first = false;
            j.append("{\"name\":");
            string(j, x.name);
            j.append(",\"kind\":\"").append(x.name.startsWith(RPC_PREFIX) ? "rpc" : "stage")
                    .append("\",\"count\":").append(x.window.getTotalCount())
                    .append(",\"total\":").append(x.cumulative.getTotalCount())
                    .append(",\"perSecond\":").append(x.lastTickCount * 1000 / tickMillis)
                    .append(",\"points\":[");
            curve(j, x.window);
            j.append("]}");
        }
        j.append("],\"historySeconds\":").append(LatencyHistory.SAMPLES).append(",\"history\":[");
        history(j);
        j.append("],\"outcomes\":");
        counts(j, decisions.outcomes());
        j.append(",\"declines\":");
        counts(j, decisions.declineReasons());
        return j.append('}').toString();
    }

    /**
     * Per second over the last {@value LatencyHistory#SAMPLES} seconds, for the page's plots over time: the
     * {@code total} stage (a decision end to end) and every RPC that has seen a call.
     */
    private void history(StringBuilder j) {
        boolean first = true;
        for (Series x : series.values()) {
            if (x.history.calls() == 0 || !(x.name.startsWith(RPC_PREFIX) || x.name.equals(Stage.TOTAL.label()))) {
                continue;
            }
            if (!first) {
                j.append(',');
            }
            first = false;
            j.append("{\"name\":");
            string(j, x.name);
            j.append(",\"points\":[");
            x.history.json(j);
            j.append("]}");
        }
    }

    private static void curve(StringBuilder j, Histogram h) {
        if (h.getTotalCount() == 0) {
            return;
        }
        boolean first = true;
        for (HistogramIterationValue v : h.percentiles(5)) {
            double p = v.getPercentileLevelIteratedTo();
            if (!first) {
                j.append(',');
            }
            first = false;
            j.append('[').append(p >= 100.0 ? "100" : String.format(java.util.Locale.ROOT, "%.6f", p)).append(',')
                    .append(h.highestEquivalentValue(v.getValueIteratedTo())).append(']');
            if (p >= 100.0) {
                break;
            }
        }
    }

    private static void counts(StringBuilder j, Map<String, Long> counts) {
        j.append('{');
        boolean first = true;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            if (!first) {
                j.append(',');
            }
            first = false;
            string(j, e.getKey());
            j.append(':').append(e.getValue());
        }
        j.append('}');
    }

    private static void string(StringBuilder j, String s) {
        j.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                j.append('\\').append(c);
            } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                j.append(String.format("\\u%04x", (int) c));
            } else {
                j.append(c);
            }
        }
        j.append('"');
    }

    /** Stops the sampler, folds in what was recorded since the last tick and writes the partial interval. */
    @Override
    public synchronized void close() {
        if (sampler != null) {
            sampler.shutdownNow();
            sampler = null;
        }
        if (!enabled) {
            return;
        }
        tick();
        if (lastIntervalEndMs != lastTickMs) {
            finishInterval(lastTickMs);
        }
        if (log != null) {
            log.close();
        }
    }

    /** The histograms kept for one stage or RPC; guarded by the hub. */
    private static final class Series {
        final String name;
        final Histogram scratch = LatencyHistograms.histogram();
        final Histogram[] ring = new Histogram[WINDOW_TICKS];
        final Histogram window = LatencyHistograms.histogram();
        final Histogram cumulative = LatencyHistograms.histogram();
        final LatencyHistory history = new LatencyHistory();
        Histogram pending = LatencyHistograms.histogram();
        Histogram lastInterval = LatencyHistograms.histogram();
        long lastTickCount;

        Series(String name) {
            this.name = name;
            for (int i = 0; i < ring.length; i++) {
                ring[i] = LatencyHistograms.histogram();
            }
        }
    }

    /** Registers the Prometheus histograms that read this hub. */
    public void register(PrometheusRegistry registry) {
        if (enabled) {
            registry.register(new PrometheusLatency(this));
        }
    }
}
