package dev.formica.engine.pipeline;

import dev.formica.engine.state.OwnerOnly;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.journal.DecisionJournal;
import dev.formica.engine.journal.JournalConfig;
import dev.formica.engine.journal.Journals;
import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.engine.metrics.EngineGauges;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.engine.metrics.ShardMetrics;
import dev.formica.engine.state.IntentLog;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.risk.RiskEngine;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import io.grpc.Deadline;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * The decision pipeline: routes each request by borrower (or by the shard inside a hold id) to one
 * of N shards, each with a single writer over its own persisted state.
 *
 * <pre>
 *   event loop ──validate──► replay cache hit? ──yes──► answer (replayed)
 *                                  │ no
 *                                  ▼
 *                 ShardRouter: hash(borrower_id) → shard k
 *                                  │ offer (full → RESOURCE_EXHAUSTED)
 *                                  ▼
 *        shard k queue ──► ShardAgent (single writer) ──► ShardProcessor ──► Sink (gRPC reply)
 * </pre>
 *
 * <p>Thread contract: the submit methods are called from any thread (Netty event loops) and never
 * block; results arrive on the sink from the shard's writer. {@link #open} and {@link #close} are
 * called by the server's controlling thread. The {@link EngineGauges} methods read running counts from
 * any thread.
 */
public final class DecisionPipeline implements AutoCloseable, EngineGauges {
    private static final Logger LOG = Logger.getLogger(DecisionPipeline.class.getName());
    private static final String LAYOUT_FILE = "formica.properties";
    private static final int LAYOUT_VERSION = 1;

    private static final ShardCommand.Op<DecisionRequest, DecisionResponse> DECIDE =
            (p, r, arg, now, start) -> p.decide(r, now, start);
    private static final ShardCommand.Op<ConfirmRequest, ConfirmResponse> CONFIRM =
            (p, r, holdId, now, start) -> p.confirm(r, holdId, now);
    private static final ShardCommand.Op<CancelRequest, CancelResponse> CANCEL =
            (p, r, holdId, now, start) -> p.cancel(r, holdId, now);
    private static final ShardCommand.Op<RepayRequest, RepayResponse> REPAY =
            (p, r, arg, now, start) -> p.repay(r, now);
    private static final ShardCommand.Op<CreditApplication, CreditOffer> APPLY =
            (p, r, arg, now, start) -> p.apply(r, now, start);
    private static final ShardCommand.Op<Profile, Boolean> UPSERT =
            (p, r, arg, now, start) -> p.upsert(r, now);

    private final EngineConfiguration config;
    private final ShardRouter router;
    private final ShardAgent[] agents;
    private final List<ShardState> states;
    private final List<IntentLog> intents;
    private final Cache<String, Message> replayCache;
    private final RiskEngine risk;
    private final List<RecoveryReport> recoveryReports;
    /** One per shard (index = shard), or null when journaling is off. */
    private final DecisionJournal[] journals;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong agentErrors = new java.util.concurrent.atomic.AtomicLong();
    private final boolean callerDrains;
    private volatile ReplyLoops replyLoops;

    /**
     * The event loop of the calling thread, if it is one. With it, a {@code DEDICATED} shard answers each
     * loop's calls in one task per drained batch (see {@link Replies}) instead of from the shard thread.
     */
    @FunctionalInterface
    public interface ReplyLoops {
        /** The calling thread's event loop, or null when the caller is not an event loop. */
        java.util.concurrent.Executor current();
    }

    /** Set by the server once its event loops exist; without it shards answer from their own thread. */
    public void replyLoops(ReplyLoops loops) {
        this.replyLoops = loops;
    }
    /** Counts replays answered from the cache; null when recording is off. */
    private final DecisionMetrics decisionMetrics;
    private volatile boolean closed;

    private DecisionPipeline(EngineConfiguration config, ShardRouter router, ShardAgent[] agents,
            List<ShardState> states, List<IntentLog> intents, Cache<String, Message> replayCache,
            RiskEngine risk, List<RecoveryReport> reports, DecisionMetrics decisionMetrics,
            DecisionJournal[] journals) {
        this.config = config;
        this.router = router;
        this.agents = agents;
        this.states = states;
        this.intents = intents;
        this.replayCache = replayCache;
        this.risk = risk;
        this.recoveryReports = reports;
        this.decisionMetrics = decisionMetrics;
        this.journals = journals;
        this.callerDrains = config.shardMode() == EngineConfiguration.ShardMode.CALLER_DRAINS;
    }

    /**
     * Opens (creating or recovering) every shard's state under the data directory, redoes any
     * interrupted mutation, reconciles the ledger invariants, and starts the shard writers.
     */
    public static DecisionPipeline open(EngineConfiguration config, EpochClock clock) {
        config.conclude();
        return open(config, clock, LatencyHub.disabled(config.shards(), clock));
    }

    /**
     * As {@link #open(EngineConfiguration, EpochClock)}, with each shard recording queue wait, total time
     * and decision counts into {@code latency.shard(k)}.
     */
    public static DecisionPipeline open(EngineConfiguration config, EpochClock clock, LatencyHub latency) {
        config.conclude();
        if (latency.shardCount() != config.shards()) {
            throw new IllegalArgumentException("latency hub has " + latency.shardCount() + " shards, configuration "
                    + config.shards());
        }
        Path dataDir = config.dataDir();
        List<ShardState> states = new ArrayList<>();
        List<IntentLog> intents = new ArrayList<>();
        RiskEngine risk = null;
        DecisionJournal[] journals = new DecisionJournal[Math.max(1, config.shards())];
        try {
            if (!Files.isDirectory(dataDir)) {
                OwnerOnly.directory(dataDir);
            }
            checkLayout(dataDir, config.shards());
            int shards = config.shards();
            long perShardBorrowers = Math.max(1000, config.expectedBorrowers() / shards);
            long perShardDecisions = Math.max(1000, config.expectedDecisionsPerDay() / shards);
            StateConfig stateConfig = StateConfig.defaults()
                    .withSizes(perShardBorrowers, perShardBorrowers, perShardDecisions)
                    .withDecisionGenerationMillis(config.idempotencyWindow().toMillis());
            // Maintenance runs on the calling thread: no hand-off to the common pool, which has one
            // thread on 2 cores and competes with the event loops for it.
            Cache<String, Message> cache = config.idempotencyCacheEntries() == 0 ? null
                    : Caffeine.newBuilder()
                            .maximumSize(config.idempotencyCacheEntries())
                            .expireAfterWrite(config.idempotencyWindow().toMillis(), TimeUnit.MILLISECONDS)
                            .executor(Runnable::run)
                            .build();
            risk = openRisk(config, dataDir, clock.time());
            ShardAgent[] agents = new ShardAgent[shards];
            List<RecoveryReport> reports = new ArrayList<>();
            long now = clock.time();
            for (int k = 0; k < shards; k++) {
                Path shardDir = dataDir.resolve("shard-" + k);
                ShardState state = ShardState.open(shardDir, stateConfig, now);
                states.add(state);
                IntentLog intent = IntentLog.open(shardDir.resolve("intent.log"));
                intents.add(intent);
                if (config.journalEnabled()) {
                    journals[k] = DecisionJournal.open(Journals.shardDir(dataDir, k), k, JournalConfig.defaults()
                            .retention(config.journalRetention()), now);
                }
                ShardProcessor processor = new ShardProcessor(k, state, intent, config.holdTtl().toMillis(),
                        config.idempotencyWindow().toMillis(), config.currency(), cache, risk);
                processor.journal(journals[k]);
                RecoveryReport report = processor.recover(now);
                reports.add(report);
                int shard = k;
                LOG.info(() -> "shard " + shard + (state.recoveredFromCrash() ? " recovered after an unclean stop" : "")
                        + ": " + report);
                agents[k] = new ShardAgent(processor, config.queueCapacity(), clock, TimeUnit.MILLISECONDS.toNanos(1),
                        config.maxQueueDelay().toNanos(), latency.shard(k));
                processor.metrics(latency.shard(k));
            }
            DecisionPipeline pipeline = new DecisionPipeline(config, new ShardRouter(shards), agents, states,
                    intents, cache, risk, reports, latency.enabled() ? latency.decisions() : null, journals);
            pipeline.startAgents();
            return pipeline;
        } catch (IOException e) {
            CloseHelper.quietCloseAll(journals);
            CloseHelper.quietClose(risk);
            CloseHelper.quietCloseAll(intents);
            CloseHelper.quietCloseAll(states);
            throw new UncheckedIOException("cannot open state in " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            CloseHelper.quietCloseAll(journals);
            CloseHelper.quietClose(risk);
            CloseHelper.quietCloseAll(intents);
            CloseHelper.quietCloseAll(states);
            throw e;
        }
    }

    private void startAgents() {
        if (callerDrains) {
            // Timers (hold expiry, record rotation) still need a driver when no requests arrive.
            CompositeAgent ticker = new CompositeAgent(java.util.Arrays.stream(agents)
                    .map(a -> (org.agrona.concurrent.Agent) new org.agrona.concurrent.Agent() {
                        @Override
                        public int doWork() {
                            a.tryDrain();
                            return 0;
                        }

                        @Override
                        public String roleName() {
                            return "ticker-" + a.roleName();
                        }
                    }).toList());
            AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(5), this::onAgentError, null,
                    ticker);
            AgentRunner.startOnThread(runner);
            runners.add(runner);
            return;
        }
        for (ShardAgent agent : agents) {
            AgentRunner runner = new AgentRunner(agent.idleStrategy(), this::onAgentError, null, agent);
            AgentRunner.startOnThread(runner);
            runners.add(runner);
        }
    }

    private void onAgentError(Throwable t) {
        agentErrors.incrementAndGet();
        LOG.log(java.util.logging.Level.SEVERE, "shard agent error (agent keeps running)", t);
    }

    private static RiskEngine openRisk(EngineConfiguration config, Path dataDir, long nowMs) throws IOException {
        RegulatoryParameters regulatory = config.regulatoryFile() == null ? RegulatoryParameters.builtin()
                : RegulatoryParameters.load(config.regulatoryFile());
        RiskEngine risk = RiskEngine.open(dataDir, regulatory, config.velocityKeys(), config.profileCacheEntries(),
                java.time.ZoneId.of(config.timeZone()));
        if (config.rulesFile() != null) {
            try {
                RuleSetCompiler.Outcome o = risk.rules().compiler().compile(Files.readString(config.rulesFile()));
                if (!o.valid()) {
                    StringBuilder sb = new StringBuilder("rulesFile " + config.rulesFile() + " does not validate:");
                    o.errors().forEach(e -> sb.append("\n  ").append(e));
                    throw new IllegalArgumentException(sb.toString());
                }
                risk.rules().publish(o.ruleSet(), "rulesFile", nowMs);
                risk.rules().activate(o.ruleSet().version());
            } catch (IOException | RuntimeException e) {
                risk.close();
                throw e;
            }
        }
        return risk;
    }

    /** Engine-wide risk state: rule sets, block lists, risk appetite, velocity. */
    public RiskEngine risk() {
        return risk;
    }

    /** The shard count is part of the data layout: borrowers were placed by it. */
    private static void checkLayout(Path dataDir, int shards) throws IOException {
        Path file = dataDir.resolve(LAYOUT_FILE);
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            int existing = Integer.parseInt(p.getProperty("shards", "-1"));
            if (existing != shards) {
                throw new IllegalStateException("data directory " + dataDir + " was created with " + existing
                        + " shards; start with --shards " + existing + " (or set shards: " + existing
                        + "), or use a new data directory");
            }
            return;
        }
        p.setProperty("shards", Integer.toString(shards));
        p.setProperty("layout", Integer.toString(LAYOUT_VERSION));
        try (OutputStream out = Files.newOutputStream(OwnerOnly.file(file))) {
            p.store(out, "Formica data layout; do not edit");
        }
    }

    // ---- submission (event-loop threads) ----------------------------------------------------------

    public void decide(DecisionRequest r, Sink<DecisionResponse> sink, long startNanos, Deadline deadline) {
        if (!r.getCurrency().isEmpty() && !r.getCurrency().equals(config.currency())) {
            sink.onError(Status.INVALID_ARGUMENT.withDescription("currency: this server lends in "
                    + config.currency()).asRuntimeException());
            return;
        }
        if (replayed(r.getRequestId(), DecisionResponse.class, sink)) {
            return;
        }
        submit(router.shardOf(r.getBorrowerId()),
                new ShardCommand<>(DECIDE, r, 0, sink, startNanos, deadline));
    }

    public void confirm(ConfirmRequest r, Sink<ConfirmResponse> sink, Deadline deadline) {
        long holdId = holdId(r.getHoldId(), sink);
        if (holdId == HoldIds.INVALID || replayed(r.getRequestId(), ConfirmResponse.class, sink)) {
            return;
        }
        submit(HoldIds.shardOf(holdId), new ShardCommand<>(CONFIRM, r, holdId, sink, System.nanoTime(), deadline));
    }

    public void cancel(CancelRequest r, Sink<CancelResponse> sink, Deadline deadline) {
        long holdId = holdId(r.getHoldId(), sink);
        if (holdId == HoldIds.INVALID || replayed(r.getRequestId(), CancelResponse.class, sink)) {
            return;
        }
        submit(HoldIds.shardOf(holdId), new ShardCommand<>(CANCEL, r, holdId, sink, System.nanoTime(), deadline));
    }

    public void repay(RepayRequest r, Sink<RepayResponse> sink, Deadline deadline) {
        if (replayed(r.getRequestId(), RepayResponse.class, sink)) {
            return;
        }
        submit(router.shardOf(r.getBorrowerId()),
                new ShardCommand<>(REPAY, r, 0, sink, System.nanoTime(), deadline));
    }

    public void apply(CreditApplication a, Sink<CreditOffer> sink, Deadline deadline) {
        if (replayed(a.getRequestId(), CreditOffer.class, sink)) {
            return;
        }
        submit(router.shardOf(a.getBorrowerId()), new ShardCommand<>(APPLY, a, 0, sink, System.nanoTime(), deadline));
    }

    /**
     * The stored answer to an earlier Decide. Records are readable from any thread, so this runs on the
     * caller; without a borrower id every shard is asked.
     */
    public DecisionResponse storedDecision(String requestId, String borrowerId) {
        List<ShardState> candidates = borrowerId.isEmpty() ? states
                : List.of(states.get(router.shardOf(borrowerId)));
        for (ShardState s : candidates) {
            if (s.decisions().contains(requestId)) {
                var record = s.decisions().get(requestId);
                if (record != null && record.kind() == ShardProcessor.KIND_DECIDE) {
                    try {
                        return DecisionResponse.parseFrom(record.payload()).toBuilder().setReplayed(true).build();
                    } catch (InvalidProtocolBufferException e) {
                        throw Status.DATA_LOSS.withDescription("decision record unreadable").asRuntimeException();
                    }
                }
            }
        }
        throw Status.NOT_FOUND.withDescription("request_id: no Decide with this request_id is on record")
                .asRuntimeException();
    }

    public void creditLine(GetCreditLineRequest r, Sink<CreditLine> sink, Deadline deadline) {
        String currency = config.currency();
        submit(router.shardOf(r.getBorrowerId()), new ShardCommand<GetCreditLineRequest, CreditLine>(
                (p, req, arg, now, start) -> readLine(p, req, currency), r, 0, sink, System.nanoTime(), deadline));
    }

    private static CreditLine readLine(ShardProcessor p, GetCreditLineRequest r, String currency) {
        LedgerSnapshot s = new LedgerSnapshot();
        if (!p.state().ledger().get(r.getBorrowerId(), r.getProductValue(), s)) {
            if (!p.state().profiles().contains(r.getBorrowerId())) {
                throw Status.NOT_FOUND.withDescription("borrower_id: no profile for this borrower")
                        .asRuntimeException();
            }
        }
        return ShardProcessor.withNotes(ShardProcessor.creditLine(r.getBorrowerId(), r.getProductValue(), s, currency),
                p.state());
    }

    /** Applies an early-warning event on the borrower's shard. */
    public void riskEvent(RiskEvent e, Sink<RiskEventResponse> sink, Deadline deadline) {
        if (replayed(e.getRequestId(), RiskEventResponse.class, sink)) {
            return;
        }
        submit(router.shardOf(e.getBorrowerId()), new ShardCommand<RiskEvent, RiskEventResponse>(
                (p, r, arg, now, start) -> p.riskEvent(r, now), e, 0, sink, System.nanoTime(), deadline));
    }

    /** Stores a profile; the sink gets true when it was created. */
    public void upsert(Profile profile, Sink<Boolean> sink, Deadline deadline) {
        submit(router.shardOf(profile.getBorrowerId()),
                new ShardCommand<>(UPSERT, profile, 0, sink, System.nanoTime(), deadline));
    }

    public void profile(String borrowerId, Sink<Profile> sink, Deadline deadline) {
        submit(router.shardOf(borrowerId), new ShardCommand<String, Profile>(
                (p, id, arg, now, start) -> readProfile(p, id), borrowerId, 0, sink, System.nanoTime(), deadline));
    }

    private static Profile readProfile(ShardProcessor p, String borrowerId) {
        Profile profile = p.profile(borrowerId);
        if (profile == null) {
            throw Status.NOT_FOUND.withDescription("borrower_id: no profile for this borrower").asRuntimeException();
        }
        return profile;
    }

    private <T> boolean replayed(String requestId, Class<T> type, Sink<T> sink) {
        if (replayCache == null) {
            return false;
        }
        Message cached = replayCache.getIfPresent(requestId);
        if (cached == null) {
            return false;
        }
        if (!type.isInstance(cached)) {
            sink.onError(Status.INVALID_ARGUMENT.withDescription("request_id: already used for another kind of call;"
                    + " use a new request_id").asRuntimeException());
            return true;
        }
        T replay = type.cast(ShardProcessor.markReplayed(cached));
        if (decisionMetrics != null && replay instanceof DecisionResponse decision) {
            decisionMetrics.count(decision);
        }
        sink.onResult(replay);
        return true;
    }

    private long holdId(String text, Sink<?> sink) {
        long id = HoldIds.parse(text);
        if (id == HoldIds.INVALID || HoldIds.shardOf(id) >= agents.length) {
            sink.onError(Status.INVALID_ARGUMENT.withDescription("hold_id: not a hold id issued by this engine")
                    .asRuntimeException());
            return HoldIds.INVALID;
        }
        return id;
    }

    private void submit(int shard, ShardCommand<?, ?> command) {
        if (closed) {
            command.reject(Status.UNAVAILABLE.withDescription("shutting down"));
            return;
        }
        ShardAgent agent = agents[shard];
        ReplyLoops loops = replyLoops;
        if (!callerDrains && loops != null) {
            java.util.concurrent.Executor loop = loops.current();
            if (loop != null) {
                command.replyVia(agent.replies(), loop);
            }
        }
        if (!agent.offer(command)) {
            command.reject(Status.RESOURCE_EXHAUSTED.withDescription("shard " + shard
                    + " is at capacity; retry with backoff and the same request_id"));
            return;
        }
        if (callerDrains) {
            agent.tryDrain();
        }
    }

    // ---- introspection ----------------------------------------------------------------------------

    @Override
    public int shards() {
        return agents.length;
    }

    public int shardOf(String borrowerId) {
        return router.shardOf(borrowerId);
    }

    @Override
    public int queueDepth(int shard) {
        return agents[shard].queueDepth();
    }

    /** What shard {@code shard} records (its writer may record stages and business events through it). */
    public ShardMetrics shardMetrics(int shard) {
        return agents[shard].metrics();
    }

    @Override
    public long activeHolds(int shard) {
        return states.get(shard).holds().activeCount();
    }

    @Override
    public long heldMinor(int product) {
        long sum = 0;
        for (ShardState s : states) {
            sum += s.ledger().heldTotalMinor(product);
        }
        return sum;
    }

    @Override
    public long drawnMinor(int product) {
        long sum = 0;
        for (ShardState s : states) {
            sum += s.ledger().drawnTotalMinor(product);
        }
        return sum;
    }

    /**
     * The state of one shard, for tests and tools. Reading is safe from any thread; writing from
     * outside the shard's writer breaks the single-writer rule.
     */
    public ShardState state(int shard) {
        return states.get(shard);
    }

    /**
     * The engine-wide velocity windows (borrower, device, IP, merchant), lock-free from any thread. Kept
     * in the data directory; the risk-logic issue feeds them from decisions and reads them in rules.
     */
    public VelocityWindows velocity() {
        return risk.velocity();
    }

    /**
     * The decision journal of one shard, or null when journaling is off. Appending is for the shard's writer
     * only; this accessor is for the writer's hook and for tests reading {@code appended()}.
     */
    public DecisionJournal journal(int shard) {
        return journals[shard];
    }

    public long agentErrors() {
        return agentErrors.get();
    }

    /** What each shard's start-up recovery found (index = shard). */
    public List<RecoveryReport> recoveryReports() {
        return List.copyOf(recoveryReports);
    }

    /** Stops the writers (after the server has drained), answers anything left, closes the state. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CloseHelper.quietCloseAll(runners);
        for (ShardAgent agent : agents) {
            if (callerDrains) {
                agent.tryDrain();
            }
            agent.rejectQueued(Status.UNAVAILABLE.withDescription("shutting down"));
        }
        CloseHelper.quietCloseAll(journals);
        CloseHelper.quietCloseAll(intents);
        CloseHelper.quietClose(risk);
        CloseHelper.closeAll(states);
    }
}
