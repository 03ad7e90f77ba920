package dev.formica.engine.metrics;

import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Business metrics for Prometheus: decisions by outcome and reason code, the active rule-set version,
 * partner quota left, shadow disagreements, and (once {@link #bind bound} to the engine) shard queue
 * depth, active holds and exposure per product.
 *
 * <p>Thread contract: every method may be called from any thread. {@link #count} runs on shard writers:
 * after the first sight of a reason code it is a map read and lock-free adds, no allocation.
 *
 * <p>Label cardinality is bounded: outcomes are the API's four, reason codes are capped at
 * {@link #MAX_REASON_CODES} distinct values and partners at {@link #MAX_PARTNERS} (further ones are
 * folded into {@code OTHER}); shards are at most 256, products three. No borrower, device or IP.
 */
public final class DecisionMetrics {
    public static final int MAX_REASON_CODES = 64;
    public static final int MAX_PARTNERS = 32;
    /** Funder slots the lease gauge reports (the quota table's capacity). */
    static final int MAX_LEASE_FUNDERS = 64;
    private static final int MAX_GROUP = 255;
    public static final String OTHER = "OTHER";
    public static final String BUILTIN_RULE_SET = "builtin";

    private static final Product[] PRODUCTS = {Product.CONSUMER_CREDIT, Product.CASH_LOAN, Product.BUSINESS_LOAN};
    private static final Outcome[] OUTCOMES = {Outcome.OUTCOME_UNSPECIFIED, Outcome.APPROVE, Outcome.DECLINE,
        Outcome.REVIEW};

    private final PrometheusRegistry registry;
    private final Counter reasons;
    private final CounterDataPoint[] byOutcome = new CounterDataPoint[OUTCOMES.length];
    private final CounterDataPoint replays;
    private final ConcurrentHashMap<String, ReasonPoints> byReason = new ConcurrentHashMap<>();
    private final Gauge ruleSet;
    private final Gauge partnerQuota;
    private final Gauge partnerLease;
    /** The lease gauge's points by funder slot and Raft group, made on first report. */
    private final GaugeDataPoint[][] leasePoints = new GaugeDataPoint[MAX_LEASE_FUNDERS][];
    private final ConcurrentHashMap<String, GaugeDataPoint> byPartner = new ConcurrentHashMap<>();
    private final Counter shadow;
    private final CounterDataPoint[][] shadowPairs = new CounterDataPoint[OUTCOMES.length][OUTCOMES.length];
    private final ShedCounter shed;
    private String activeRuleSet;

    public DecisionMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        this.shed = new ShedCounter(registry);
        Counter decisions = Counter.builder()
                .name("formica_decisions_total")
                .help("Decisions answered by the shards (not replays), by outcome")
                .labelNames("outcome")
                .withoutExemplars()
                .register(registry);
        for (Outcome o : OUTCOMES) {
            byOutcome[o.getNumber()] = decisions.labelValues(label(o));
        }
        reasons = Counter.builder()
                .name("formica_decision_reasons_total")
                .help("Decisions carrying each reason code, by outcome (a decision carries one or more codes);"
                        + " codes past the first " + MAX_REASON_CODES + " distinct ones count as OTHER")
                .labelNames("outcome", "reason")
                .withoutExemplars()
                .register(registry);
        replays = Counter.builder()
                .name("formica_decisions_replayed_total")
                .help("Decide retries answered with the original decision (replay cache or idempotency record)")
                .withoutExemplars()
                .register(registry)
                .labelValues();
        ruleSet = Gauge.builder()
                .name("formica_rule_set_active_info")
                .help("The active rule-set version (value 1 on the active one)")
                .labelNames("version")
                .withoutExemplars()
                .register(registry);
        activeRuleSet(BUILTIN_RULE_SET);
        partnerQuota = Gauge.builder()
                .name("formica_partner_quota_left_minor")
                .help("Funding quota a partner has left, minor units; partners past the first " + MAX_PARTNERS
                        + " report as OTHER")
                .labelNames("partner")
                .withoutExemplars()
                .register(registry);
        partnerLease = Gauge.builder()
                .name("formica_partner_quota_lease_left_minor")
                .help("Replicated cluster: funding quota a partner has left in one Raft group's lease, minor units"
                        + " (the lower of total and today's); a group whose lease is spent declines that partner's"
                        + " part while others may still lend")
                .labelNames("partner", "group")
                .withoutExemplars()
                .register(registry);
        shadow = Counter.builder()
                .name("formica_shadow_disagreements_total")
                .help("Decisions where the shadow rule set's outcome differed from the active one's")
                .labelNames("active", "shadow")
                .withoutExemplars()
                .register(registry);
        // The six disagreements between real outcomes exist at 0 from the start, so alerts and rate() see them.
        for (int a = 1; a < OUTCOMES.length; a++) {
            for (int s = 1; s < OUTCOMES.length; s++) {
                if (a != s) {
                    shadowPairs[a][s] = shadow.labelValues(label(OUTCOMES[a]), label(OUTCOMES[s]));
                }
            }
        }
    }

    private static String label(Outcome o) {
        return o == Outcome.OUTCOME_UNSPECIFIED ? "UNSPECIFIED" : o.name();
    }

    private static int outcomeIndex(int number) {
        return number >= 0 && number < OUTCOMES.length ? number : 0;
    }

    /** The reason codes of one decision, in the order its answer lists them. */
    public interface ReasonCodes {
        int reasonCount();

        String reasonCode(int i);
    }

    /** Counts one decision answered by a shard: a replay, or a fresh one with its outcome number and reasons. */
    public void count(boolean replayed, int outcomeNumber, ReasonCodes reasons) {
        if (replayed) {
            replays.inc();
            return;
        }
        int outcome = outcomeIndex(outcomeNumber);
        byOutcome[outcome].inc();
        for (int i = 0, n = reasons.reasonCount(); i < n; i++) {
            ReasonPoints r = reasonPoints(reasons.reasonCode(i));
            if (!earlier(reasons, i, r)) {
                reasonPoint(r, outcome).inc();
            }
        }
    }

    /**
     * Whether a reason before index {@code i} counts under the same label (the same code, or both folded into
     * OTHER): a decision counts once per label, so no label counts more decisions than there are.
     */
    private boolean earlier(ReasonCodes reasons, int i, ReasonPoints r) {
        for (int j = 0; j < i; j++) {
            if (reasonPoints(reasons.reasonCode(j)) == r) {
                return true;
            }
        }
        return false;
    }

    private ReasonPoints reasonPoints(String code) {
        ReasonPoints r = byReason.get(code);
        if (r == null) {
            // The cap is approximate under races (a few over is harmless); it stops unbounded growth.
            String key = byReason.size() < MAX_REASON_CODES ? code : OTHER;
            r = byReason.computeIfAbsent(key, ReasonPoints::new);
        }
        return r;
    }

    private CounterDataPoint reasonPoint(ReasonPoints r, int outcome) {
        CounterDataPoint p = r.points[outcome];
        if (p == null) {
            // labelValues returns the same point for the same labels, so a racing duplicate is harmless.
            p = reasons.labelValues(label(OUTCOMES[outcome]), r.label);
            r.points[outcome] = p;
        }
        return p;
    }

    /** The counters of one reason code (or of OTHER), one per outcome, created on first use. */
    private static final class ReasonPoints {
        final String label;
        final CounterDataPoint[] points = new CounterDataPoint[OUTCOMES.length];

        ReasonPoints(String label) {
            this.label = label;
        }
    }

    /** Sets the active rule-set version (default {@code builtin}); the old version's series goes away. */
    public synchronized void activeRuleSet(String version) {
        if (activeRuleSet != null) {
            ruleSet.remove(activeRuleSet);
        }
        activeRuleSet = version == null || version.isEmpty() ? BUILTIN_RULE_SET : version;
        ruleSet.labelValues(activeRuleSet).set(1);
    }

    public synchronized String activeRuleSet() {
        return activeRuleSet;
    }

    /** Reports how much funding quota a partner has left, minor units. */
    public void partnerQuotaLeft(String partner, long quotaLeftMinor) {
        GaugeDataPoint p = byPartner.get(partner);
        if (p == null) {
            String key = byPartner.size() < MAX_PARTNERS ? partner : OTHER;
            p = byPartner.computeIfAbsent(key, k -> partnerQuota.labelValues(k));
        }
        p.set(quotaLeftMinor);
    }

    /**
     * Reports how much of a partner's quota one Raft group's lease has left, minor units ({@code funderSlot} is the
     * funder's stable slot in the quota table, below {@value #MAX_LEASE_FUNDERS}; others are not reported).
     */
    public void partnerLeaseLeft(int funderSlot, String partner, int group, long leftMinor) {
        if (funderSlot < 0 || funderSlot >= MAX_LEASE_FUNDERS || group < 0 || group > MAX_GROUP) {
            return;
        }
        GaugeDataPoint[] row = leasePoints[funderSlot];
        if (row == null) {
            row = new GaugeDataPoint[MAX_GROUP + 1];
            leasePoints[funderSlot] = row;
        }
        GaugeDataPoint p = row[group];
        if (p == null) {
            p = partnerLease.labelValues(partner, Integer.toString(group));
            row[group] = p;
        }
        p.set(leftMinor);
    }

    /** The calls refused or dropped because of load, by reason; counted where each refusal is made. */
    public ShedCounter shed() {
        return shed;
    }

    /** Counts a decision where the shadow rule set's outcome differs from the active one's. */
    public void shadowDisagreement(Outcome active, Outcome shadowOutcome) {
        int a = outcomeIndex(active.getNumber());
        int s = outcomeIndex(shadowOutcome.getNumber());
        CounterDataPoint p = shadowPairs[a][s];
        if (p == null) {
            p = shadow.labelValues(label(OUTCOMES[a]), label(OUTCOMES[s]));
            shadowPairs[a][s] = p;
        }
        p.inc();
    }

    /** Registers the gauges that read the running engine; call once, after it has opened. */
    public void bind(EngineGauges engine) {
        if (engine.logSyncNanos() != null) {
            registry.register(new LogSyncHistogram(engine.logSyncNanos()));
        }
        dev.formica.engine.log.LogTimes times = engine.logTimes();
        if (times != null) {
            registry.register(new LogSyncHistogram("formica_log_release_wait_seconds", "A batch of answers asked"
                    + " for its release after its last frame was appended, until the log writer released it (fsync"
                    + " mode), all shards", times.waitNanos()));
            registry.register(new LogSyncHistogram("formica_log_round_wait_seconds", "A batch of answers asked for"
                    + " its release, until the log writer's pass that released it started (fsync mode)",
                    times.roundWaitNanos()));
            registry.register(new LogSyncHistogram("formica_log_round_duration_seconds", "A pass of the log"
                    + " writer that synced: its first write to its last release (fsync mode)", times.roundNanos()));
            registry.register(new LogSyncHistogram("formica_log_handback_seconds", "A released batch of answers"
                    + " handed to an event loop, until that loop runs them (fsync mode)", times.handBackNanos()));
            registry.register(new LogSyncHistogram("formica_log_writer_wakeup_seconds", "A shard unparked the idle"
                    + " log writer, until the writer ran again (fsync mode)", times.wakeUpNanos()));
        }
        ShardGauge.register(registry, "formica_shard_queue_depth", "Commands waiting in the shard's queue",
                engine.shards(), engine::queueDepth);
        CounterWithCallback.builder()
                .name("formica_velocity_keys_refused")
                .help("Velocity adds that found no room in the velocity table for their key (its velocity reads zero):"
                        + " velocityKeys is smaller than the keys a day brings; a start's replay counts again")
                .callback(cb -> cb.call(engine.velocityKeysRefused()))
                .register(registry);
        ShardGauge.register(registry, "formica_active_holds",
                "Holds reserving part of a line (not yet confirmed, cancelled or expired)", engine.shards(),
                engine::activeHolds);
        GaugeWithCallback.builder()
                .name("formica_exposure_minor")
                .help("Sum over all lines of the held or drawn amount, minor units, by product")
                .labelNames("product", "kind")
                .callback(cb -> {
                    for (Product p : PRODUCTS) {
                        cb.call(engine.heldMinor(p.getNumber()), p.name(), "held");
                        cb.call(engine.drawnMinor(p.getNumber()), p.name(), "drawn");
                    }
                })
                .register(registry);
        bindConcentration(engine);
    }

    /** Largest keys per concentration dimension shown with their key as a label. */
    public static final int CONCENTRATION_TOP_KEYS = 5;

    /**
     * Concentration gauges: per dimension the limit per key, the keys and the total exposure, and the
     * {@value #CONCENTRATION_TOP_KEYS} largest keys (labelled with the key: a region code, a merchant category, a
     * merchant id or a group id; no borrower) with their exposure and usage of the limit. One table walk per scrape.
     */
    private void bindConcentration(EngineGauges engine) {
        record Row(String dimension, String key, long exposure, long usageBps, long limit, long keys, long total) {
        }
        // the five gauges of one scrape share one walk of the table (kept for a second)
        var memo = new java.util.concurrent.atomic.AtomicReference<Object[]>();
        java.util.function.Supplier<java.util.List<Row>> walk = () -> {
            java.util.List<Row> out = new java.util.ArrayList<>();
            engine.concentration(CONCENTRATION_TOP_KEYS, new EngineGauges.ConcentrationVisitor() {
                @Override
                public void dimension(String dimension, long limitMinor, long keys, long totalMinor) {
                    out.add(new Row(dimension, null, 0, 0, limitMinor, keys, totalMinor));
                }

                @Override
                public void key(String dimension, String key, long exposureMinor, long usageBps) {
                    out.add(new Row(dimension, key, exposureMinor, usageBps, 0, 0, 0));
                }
            });
            return out;
        };
        @SuppressWarnings("unchecked")
        java.util.function.Supplier<java.util.List<Row>> rows = () -> {
            Object[] m = memo.get();
            long now = System.nanoTime();
            if (m == null || now - (Long) m[0] > 1_000_000_000L) {
                m = new Object[] {now, walk.get()};
                memo.set(m);
            }
            return (java.util.List<Row>) m[1];
        };
        GaugeWithCallback.builder()
                .name("formica_concentration_limit_minor")
                .help("Concentration limit per key of a dimension (region, industry, merchant, group), minor units;"
                        + " -1 = no limit")
                .labelNames("dimension")
                .callback(cb -> rows.get().stream().filter(r -> r.key() == null)
                        .forEach(r -> cb.call(r.limit(), r.dimension())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("formica_concentration_exposure_minor")
                .help("Exposure (held + drawn) over every key of a concentration dimension, minor units")
                .labelNames("dimension")
                .callback(cb -> rows.get().stream().filter(r -> r.key() == null)
                        .forEach(r -> cb.call(r.total(), r.dimension())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("formica_concentration_keys")
                .help("Keys of a concentration dimension with exposure")
                .labelNames("dimension")
                .callback(cb -> rows.get().stream().filter(r -> r.key() == null)
                        .forEach(r -> cb.call(r.keys(), r.dimension())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("formica_concentration_top_exposure_minor")
                .help("Exposure of the " + CONCENTRATION_TOP_KEYS + " largest keys of each concentration dimension,"
                        + " minor units")
                .labelNames("dimension", "key")
                .callback(cb -> rows.get().stream().filter(r -> r.key() != null)
                        .forEach(r -> cb.call(r.exposure(), r.dimension(), r.key())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("formica_concentration_top_usage_bps")
                .help("Usage of the limit by the " + CONCENTRATION_TOP_KEYS + " largest keys of each concentration"
                        + " dimension, basis points (0 without a limit)")
                .labelNames("dimension", "key")
                .callback(cb -> rows.get().stream().filter(r -> r.key() != null)
                        .forEach(r -> cb.call(r.usageBps(), r.dimension(), r.key())))
                .register(registry);
    }

    /** Decisions so far by outcome name (for the latency page). */
    Map<String, Long> outcomes() {
        Map<String, Long> out = new TreeMap<>();
        for (Outcome o : OUTCOMES) {
            long n = byOutcome[o.getNumber()].getLongValue();
            if (n > 0) {
                out.put(label(o), n);
            }
        }
        return out;
    }

    /**
     * For each reason code, the declined decisions so far that carry it (for the latency page). Each is at most
     * the DECLINE count of {@link #outcomes}; a decline carries several codes (the binding one and tags), so
     * together they can exceed it.
     */
    Map<String, Long> declineReasons() {
        Map<String, Long> out = new TreeMap<>();
        byReason.forEach((code, r) -> {
            CounterDataPoint p = r.points[Outcome.DECLINE.getNumber()];
            if (p != null && p.getLongValue() > 0) {
                out.merge(r.label, p.getLongValue(), Long::sum);
            }
        });
        return out;
    }
}
