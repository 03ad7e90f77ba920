package dev.formica.engine.metrics;

import dev.formica.v1.Outcome;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * What one shard records: per-stage latency into a {@link SingleWriterRecorder} per stage, and decision
 * counts into the engine's {@link DecisionMetrics}.
 *
 * <p>Thread contract: {@link #record}, {@link #lap} and {@link #decided} are called only by the shard's
 * current writer (its agent thread, or the caller holding the drain flag, which hands over with a
 * happens-before edge). They take no lock and allocate nothing: a {@code SingleWriterRecorder} costs two
 * uncontended atomic adds and a plain array increment (see {@code HistogramRecordingBenchmark}). The
 * engine's sampler thread takes the interval histograms without stopping the writer.
 *
 * <p>Use from the shard's decision logic, with {@code t} the start of the decision on the shard:
 * <pre>
 *   long t = System.nanoTime();
 *   ... load features ...      t = metrics.lap(Stage.FEATURES, t);
 *   ... fraud rules ...        t = metrics.lap(Stage.FRAUD, t);
 * </pre>
 */
public final class ShardMetrics {
    private static final Stage[] STAGES = Stage.all();

    private final int shard;
    private final SingleWriterRecorder[] stages;
    private final DecisionMetrics decisions;
    /** The traced command the writer runs now, or null (tracing off, or the call not sampled). */
    private StageTrace trace;

    ShardMetrics(int shard, DecisionMetrics decisions) {
        this.shard = shard;
        this.decisions = decisions;
        this.stages = new SingleWriterRecorder[STAGES.length];
        for (int i = 0; i < stages.length; i++) {
            stages[i] = LatencyHistograms.singleWriterRecorder();
        }
    }

    private ShardMetrics(int shard, DecisionMetrics decisions, boolean disabled) {
        this.shard = shard;
        this.stages = null;
        this.decisions = decisions;
    }

    /**
     * A shard that records nothing and reports to a private registry: the default for code that runs a
     * shard's logic without an engine around it (unit tests, benchmarks).
     */
    public static ShardMetrics none() {
        return disabled(0, new DecisionMetrics(new io.prometheus.metrics.model.registry.PrometheusRegistry()));
    }

    /**
     * A shard that records no latency and counts no decisions (recording off); the explicit calls
     * ({@link #shadowDisagreement}, {@link #decisions()}) still work.
     */
    static ShardMetrics disabled(int shard, DecisionMetrics decisions) {
        return new ShardMetrics(shard, decisions, true);
    }

    public int shard() {
        return shard;
    }

    /** False when recording is off: callers may skip reading the clock. */
    public boolean enabled() {
        return stages != null;
    }

    /** Records one stage's duration; values past 60 s count as 60 s. */
    public void record(Stage stage, long nanos) {
        if (stages != null) {
            stages[stage.ordinal()].recordValue(LatencyHistograms.clamp(nanos));
            if (trace != null) {
                trace.stage(stage, System.nanoTime(), nanos);
            }
        }
    }

    /**
     * Records {@code now - sinceNanos} for the stage and returns {@code now}, the start of the next
     * stage. When recording is off it reads no clock and returns {@code sinceNanos}.
     */
    public long lap(Stage stage, long sinceNanos) {
        if (stages == null) {
            return sinceNanos;
        }
        long now = System.nanoTime();
        stages[stage.ordinal()].recordValue(LatencyHistograms.clamp(now - sinceNanos));
        if (trace != null) {
            trace.stage(stage, now, now - sinceNanos);
        }
        return now;
    }

    /**
     * Counts a decision the shard answered (outcome and reason codes; replays separately) and records
     * {@link Stage#TOTAL} from {@code startNanos}, when the request reached the service. Called by the
     * pipeline for every Decide result.
     */
    public void decided(boolean replayed, int outcome, DecisionMetrics.ReasonCodes reasons, long startNanos) {
        if (stages == null) {
            return;
        }
        long now = System.nanoTime();
        stages[Stage.TOTAL.ordinal()].recordValue(LatencyHistograms.clamp(now - startNanos));
        if (trace != null) {
            trace.stage(Stage.TOTAL, now, now - startNanos);
        }
        decisions.count(replayed, outcome, reasons);
    }

    /**
     * Also hands the stages recorded from now on to {@code stageTrace} (null: stop): set around one traced
     * command by the writer running it. With recording off nothing is recorded, so nothing is handed on either.
     */
    public void trace(StageTrace stageTrace) {
        this.trace = stageTrace;
    }

    /** A shadow rule set answered differently from the active one (see {@link DecisionMetrics}). */
    public void shadowDisagreement(Outcome active, Outcome shadow) {
        decisions.shadowDisagreement(active, shadow);
    }

    /** The engine-wide business metrics: rule-set version, partner quota, shadow disagreements. */
    public DecisionMetrics decisions() {
        return decisions;
    }

    SingleWriterRecorder recorder(Stage stage) {
        return stages[stage.ordinal()];
    }
}
