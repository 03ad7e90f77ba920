package dev.formica.engine.pipeline;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.formica.engine.cluster.PartitionTable;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.files.Fsync;
import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.journal.DecisionJournal;
import dev.formica.engine.log.LogBuffer;
import dev.formica.engine.log.LogChannel;
import dev.formica.engine.log.LogWriter;
import dev.formica.engine.log.ShardLog;
import dev.formica.engine.metrics.DecisionMetrics;
import dev.formica.engine.metrics.EngineGauges;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.engine.metrics.ShardMetrics;
import dev.formica.engine.metrics.StageTrace;
import dev.formica.engine.risk.ConcentrationReports;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.state.VelocityWindows;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConcentrationKey;
import dev.formica.v1.ConcentrationReport;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DimensionConcentration;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision pipeline: routes each request by its partition (of the borrower, or named by a hold id) to one
 * of N shards, each with a single writer over its own persisted state; a partition another node owns is refused
 * with the owner named ({@link PartitionTable#refusal}).
 *
 * <pre>
 *   event loop ──validate──► replay cache hit? ──yes──► answer (replayed)
 *                                  │ no
 *                                  ▼
 *        partition p = Partitions.of(borrower_id) ──not owned──► FAILED_PRECONDITION + owner
 *                                  ▼
 *                 ShardRouter: p % N → shard k
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
    private static final Logger LOG = LoggerFactory.getLogger(DecisionPipeline.class);
    private static final String LAYOUT_FILE = "formica.properties";
    /**
     * The data format: 1 = memory-mapped Chronicle Map files written back by the kernel (before the shard log);
     * 2 = the shard log as the source of truth, state in memory; 3 = borrowers placed by partition (256 partitions,
     * shard = partition % shards; a format-2 directory with a power-of-two shard count is the same placement and is
     * upgraded in place), hold ids name the partition, the node's owned partitions recorded; 4 = log segments may
     * be preallocated (a segment's frames end at its end of file or at a header of zeros; a build of format 3 would
     * take the zeros for a torn or corrupt frame). A format-3 directory is format 4 as it is and is upgraded in
     * place (only the layout file changes).
     */
    static final int FORMAT_VERSION = 4;
    /**
     * How long an idle shard thread sleeps before it runs its timers (hold expiry, record rotation) anyway; a new
     * command wakes it at once. Expiries are minutes apart: 10 ms is precise enough and 100 wake-ups a second.
     */
    static final long TIMER_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final ShardCommand.Op<String, byte[]> STORED_DECISION =
            (p, key, arg, now, start) -> p.storedDecision(key);

    private final EngineConfiguration config;
    /** RetryInfo delay of a refusal by a full shard queue (configuration's shedRetryDelay). */
    private final long shedRetryDelayMs;
    private final ShardRouter router;
    private final PartitionTable partitions;
    private final ShardAgent[] agents;
    private final List<ShardState> states;
    private final LogWriter writer;
    private final SnapshotBuilder snapshots;
    private final RiskContext risk;
    /** The markets served; {@link #risk} is the default market's engine. */
    private final Markets markets;
    private final List<RecoveryReport> recoveryReports;
    /** One per shard (index = shard), or null when journaling is off. */
    private final DecisionJournal[] journals;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong agentErrors = new java.util.concurrent.atomic.AtomicLong();
    private final boolean callerDrains;
    /** {@code shardMode: LOOP}: shard k's owner (index = shard); null in the other modes. */
    private ShardOwner[] owners;
    private ShardLoops shardLoops;
    private volatile ReplyLoops replyLoops;
    /** Where the shards' log windows live ({@link LogBuffer#directory}). */
    private Path windows;
    /** The engine clock (which regulatory version is in force for the concentration gauges). */
    private EpochClock clock;

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
    /** Replication's Raft server, closed after the shards stop and before their state; null without. */
    private AutoCloseable replication;

    /** Starts a replicated pipeline's shards ({@link ReplicatedPipeline}), which has no local log or windows. */
    void startReplicated(EpochClock engineClock, AutoCloseable raft) {
        this.clock = engineClock;
        this.replication = raft;
        startAgents();
    }

    DecisionPipeline(EngineConfiguration config, ShardRouter router, PartitionTable partitions,
            ShardAgent[] agents,
            List<ShardState> states, LogWriter writer, SnapshotBuilder snapshots, Markets markets,
            List<RecoveryReport> reports,
            DecisionMetrics decisionMetrics, DecisionJournal[] journals) {
        this.config = config;
        this.shedRetryDelayMs = config.shedRetryDelay().toMillis();
        this.router = router;
        this.partitions = partitions;
        this.agents = agents;
        this.states = states;
        this.writer = writer;
        this.snapshots = snapshots;
        this.markets = markets;
        this.risk = markets.defaultMarket().risk();
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
        return open(config, clock, latency, LogChannel.FILES);
    }

    /**
     * As {@link #open(EngineConfiguration, EpochClock, LatencyHub)}, with the shard logs' segments written through
     * {@code channels} (tests put a channel there that loses unsynced bytes, as a power cut does).
     */
    public static DecisionPipeline open(EngineConfiguration config, EpochClock clock, LatencyHub latency,
            LogChannel.Factory channels) {
        return open(config, clock, latency, channels, null);
    }

    /**
     * As {@link #open(EngineConfiguration, EpochClock, LatencyHub, LogChannel.Factory)}; with {@code shardMode: LOOP}
     * shard k runs on {@code loops.loop(k)} (the server's event loops; null: threads of the pipeline's own).
     */
    public static DecisionPipeline open(EngineConfiguration config, EpochClock clock, LatencyHub latency,
            LogChannel.Factory channels, ShardLoops loops) {
        config.conclude();
        if (config.clusterReplication() == EngineConfiguration.Replication.RATIS) {
            return ReplicatedPipeline.open(config, clock, latency); // the shard logs are Raft groups
        }
        if (latency.shardCount() != config.shards()) {
            throw new IllegalArgumentException("latency hub has " + latency.shardCount() + " shards, configuration "
                    + config.shards());
        }
        Path dataDir = config.dataDir();
        List<ShardState> states = new ArrayList<>();
        RiskContext risk = null;
        Markets markets = null;
        LogWriter writer = null;
        SnapshotBuilder snapshots = null;
        DecisionJournal[] journals = new DecisionJournal[Math.max(1, config.shards())];
        try {
            if (!Files.isDirectory(dataDir)) {
                OwnerOnly.directory(dataDir);
                Path parent = dataDir.toAbsolutePath().getParent();
                if (parent != null) {
                    Fsync.directory(parent);
                }
            }
            PartitionTable table = PartitionTable.of(config.clusterNodes(), config.clusterNodeId());
            String dataDirId = checkLayout(dataDir, config.shards(), table);
            if (table.nodes().size() > 1) {
                LOG.warn("node " + table.self() + " of " + table.nodes().size() + " owns partitions "
                        + table.ownedRanges() + " without replicas; partner quotas and concentration limits are"
                        + " counted on each node alone, device, IP and merchant velocity at each key's owner with"
                        + " the other nodes' counts as of the last exchange (docs/cluster.md)");
            }
            int shards = config.shards();
            Path windows = LogBuffer.directory(dataDirId, dataDir.resolve("log-windows"), shards);
            LogBuffer.claim(windows, dataDir, dataDirId);
            StateConfig stateConfig = stateConfig(config, shards);
            markets = Markets.open(config, dataDir, clock.time());
            risk = markets.defaultMarket().risk();
            long now = clock.time();
            for (int k = 0; k < shards; k++) {
                Path shardDir = dataDir.resolve("shard-" + k);
                boolean created = !Files.isDirectory(shardDir);
                states.add(ShardState.open(shardDir, stateConfig, now));
                if (created) {
                    Fsync.directory(dataDir);
                }
            }
            // Frames a killed process had in its windows but not yet in its segments go to the segments first.
            for (int k = 0; k < shards; k++) {
                long frames = 0;
                for (Path place : LogBuffer.directories(dataDirId, dataDir.resolve("log-windows"))) {
                    frames += LogBuffer.recover(LogBuffer.file(place, k), LogRecovery.segments(dataDir, k));
                    if (!place.equals(windows)) {
                        // a window where this start does not put them (tmpfs had room then, not now, or the
                        // other way round): its frames are in the segment now
                        Files.deleteIfExists(LogBuffer.file(place, k));
                    }
                }
                long recovered = frames;
                if (recovered > 0) {
                    int shard = k;
                    LOG.info("shard " + shard + ": " + recovered + " log frames recovered from the window the"
                            + " previous process left (it stopped before writing them to the segment)");
                }
            }
            // The log is the source of truth: the in-memory stores are rebuilt from it.
            LogRecovery.Result replayed = LogRecovery.replay(dataDir, states, risk);
            LOG.info("replayed " + replayed.frames() + " log frames of " + shards + " shards in "
                    + replayed.millis() + " ms" + (replayed.tornBytes() > 0 ? " (cut " + replayed.tornBytes()
                    + " bytes of torn tail)" : ""));
            // fsync mode: segments preallocated (zero-filled ahead of time), so the group commit's fdatasync
            // flushes data only (docs/perf-notes/2026-12-06-fsync-tail.md)
            writer = new LogWriter(config.durability(), channels, LogWriter.DEFAULT_SEGMENT_BYTES,
                    LogBuffer.DEFAULT_CAPACITY, LogWriter.DEFAULT_PREPARE_AFTER,
                    config.groupCommitInterval().toNanos(), config.groupCommitSiblings(), System::nanoTime);
            ShardAgent[] agents = new ShardAgent[shards];
            ShardProcessor[] processors = new ShardProcessor[shards];
            for (int k = 0; k < shards; k++) {
                ShardState state = states.get(k);
                if (config.journalEnabled()) {
                    journals[k] = DecisionJournal.forShard(k, state.ops()); // audit records in the shard log
                }
                processors[k] = new ShardProcessor(k, state, config.holdTtl().toMillis(),
                        config.idempotencyWindow().toMillis(), markets);
                processors[k].journal(journals[k]);
                LogWriter.Log log = writer.open(k, LogRecovery.segments(dataDir, k), replayed.endPositions()[k],
                        LogBuffer.file(windows, k));
                if (syncsOnLoop(config)) {
                    log.syncOnShard(); // the shard's owner loop writes and syncs it (ShardOwner#syncsLog)
                }
                processors[k].log(log);
            }
            // each shard's reconciliation on a thread of its own: it reads and repairs its own stores and log only
            List<RecoveryReport> reports = LogRecovery.perShard(shards, k -> {
                RecoveryReport report = processors[k].recover(now);
                processors[k].endCommand(now); // a repair the reconciliation made is logged like any change
                return report;
            });
            for (int k = 0; k < shards; k++) {
                ShardProcessor processor = processors[k];
                int shard = k;
                LOG.info("shard " + shard + (states.get(k).recoveredFromCrash() ? " recovered after an unclean stop"
                        + " (state rebuilt from its log)" : "") + ": " + reports.get(k));
                agents[k] = new ShardAgent(processor, config.queueCapacity(), clock, TIMER_PERIOD_NANOS,
                        config.maxQueueDelay().toNanos(), config.shedRetryDelay().toMillis(), latency.shard(k));
                processor.metrics(latency.shard(k));
                if (config.durability() == dev.formica.engine.log.Durability.FSYNC) {
                    agents[k].replies().timed(writer.times()); // the hand-back of released answers (LogTimes)
                }
            }
            // the engine-wide concentration table is the sum of every shard's exposure records (after their repairs)
            risk.concentration().clear();
            for (ShardAgent agent : agents) {
                agent.processor().addExposuresToTable();
            }
            writer.start();
            ShardLog[] logs = new ShardLog[shards];
            for (int k = 0; k < shards; k++) {
                logs[k] = agents[k].log();
            }
            snapshots = new SnapshotBuilder(dataDir, logs, stateConfig, config.velocityKeys(),
                    config.snapshotInterval().toMillis(), config.journalRetention().toMillis(), clock,
                    config.snapshotScratch() == EngineConfiguration.SnapshotScratch.LIVE);
            DecisionPipeline pipeline = new DecisionPipeline(config, new ShardRouter(shards), table, agents, states,
                    writer, snapshots, markets, reports, latency.enabled() ? latency.decisions() : null, journals);
            pipeline.windows = windows;
            pipeline.clock = clock;
            pipeline.shardLoops = loops;
            pipeline.startAgents();
            snapshots.start();
            return pipeline;
        } catch (IOException e) {
            CloseHelper.quietClose(writer);
            CloseHelper.quietClose(markets);
            CloseHelper.quietCloseAll(states);
            throw new UncheckedIOException("cannot open state in " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            CloseHelper.quietClose(writer);
            CloseHelper.quietClose(markets);
            CloseHelper.quietCloseAll(states);
            throw e;
        }
    }

    /** {@code logSync: LOOP}: each shard's owner loop writes and syncs its log ({@code fsync}, {@code LOOP} only). */
    static boolean syncsOnLoop(EngineConfiguration config) {
        return config.logSync() == EngineConfiguration.LogSync.LOOP
                && config.shardMode() == EngineConfiguration.ShardMode.LOOP
                && config.durability() == dev.formica.engine.log.Durability.FSYNC;
    }

    /** A shard's store sizes: the expected borrowers and decisions shared by {@code shards} shards. */
    static StateConfig stateConfig(EngineConfiguration config, int shards) {
        long perShardBorrowers = Math.max(1000, config.expectedBorrowers() / shards);
        long perShardDecisions = Math.max(1000, config.expectedDecisionsPerDay() / shards);
        return StateConfig.defaults().withSizes(perShardBorrowers, perShardBorrowers, perShardDecisions)
                .withDecisionGenerationMillis(config.idempotencyWindow().toMillis());
    }

    private void startAgents() {
        if (config.shardMode() == EngineConfiguration.ShardMode.LOOP) {
            if (shardLoops == null) {
                shardLoops = ShardLoops.threads(agents.length);
            }
            ShardOwner[] started = new ShardOwner[agents.length];
            for (int k = 0; k < agents.length; k++) {
                started[k] = new ShardOwner(agents[k], shardLoops, k, TIMER_PERIOD_NANOS,
                        config.loopShedLag().toNanos(), this::onAgentError);
                if (syncsOnLoop(config) && agents[k].log() instanceof LogWriter.Log log) {
                    started[k].syncsLog(log);
                }
                started[k].start();
            }
            owners = started;
            return;
        }
        if (callerDrains) {
            // Timers (hold expiry, record rotation) still need a driver when no requests arrive.
            CompositeAgent ticker = new CompositeAgent(java.util.Arrays.stream(agents)
                    .map(a -> (org.agrona.concurrent.Agent) new org.agrona.concurrent.Agent() {
                        @Override
                        public int doWork() {
                            a.tryDrain(null);
                            return 0;
                        }

                        @Override
                        public String roleName() {
                            return "ticker-" + a.roleName();
                        }
                    }).toList());
            AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(10), this::onAgentError, null,
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
        LOG.error("shard agent error (agent keeps running)", t);
    }

    /** Engine-wide risk state: rule sets, block lists, risk appetite, velocity (the default market's rule sets). */
    public RiskContext risk() {
        return risk;
    }

    /** The markets served, the default first (one with the code "" without the {@code markets} setting). */
    public Markets markets() {
        return markets;
    }

    /**
     * The shard count, the data format and the partitions this node owns are part of the data layout. A directory
     * of another format, shard count or ownership is refused before anything in it is opened; a format-2 directory
     * whose shard count divides the partition count has its borrowers where format 3 puts them and is upgraded, as
     * is a format-3 directory; a new one gets the layout file written and made durable first.
     *
     * @return the directory's id (it names the directory's log windows)
     */
    private static String checkLayout(Path dataDir, int shards, PartitionTable table) throws IOException {
        Path file = dataDir.resolve(LAYOUT_FILE);
        Properties p = new Properties();
        String owned = table.ownedRanges();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            int format = Integer.parseInt(p.getProperty("format", "1"));
            int existing = Integer.parseInt(p.getProperty("shards", "-1"));
            boolean fromTwo = format == 2 && existing > 0 && Partitions.COUNT % existing == 0;
            boolean upgrade = fromTwo || format == 3;
            if (format == 2 && !upgrade) {
                throw new IllegalStateException("data directory " + dataDir + " has data format 2 with " + existing
                        + " shards; this build places borrowers by partition (shard = partition % shards,"
                        + " docs/cluster.md), which matches format 2 only for a power-of-two shard count, so it will"
                        + " not open it. Keep the build that wrote it, or move the data: export the profiles with that"
                        + " build, start this one on a new data directory and load them with `formica load FILE`"
                        + " (docs/state-and-durability.md, \"Data format\")");
            }
            if (format != FORMAT_VERSION && !upgrade) {
                throw new IllegalStateException("data directory " + dataDir + " has data format " + format
                        + (format == 1 ? " (memory-mapped stores, Formica before the shard log)" : "")
                        + "; this build reads format " + FORMAT_VERSION + " and will not open it. Move the data:"
                        + " export the profiles with the build that wrote it, start this build on a new data"
                        + " directory and load them with `formica load FILE`"
                        + " (docs/state-and-durability.md, \"Data format\")");
            }
            if (existing != shards) {
                throw new IllegalStateException("data directory " + dataDir + " was created with " + existing
                        + " shards; start with --shards " + existing + " (or set shards: " + existing
                        + "), or use a new data directory");
            }
            String recorded = p.getProperty("partitions.owned", "0-" + (Partitions.COUNT - 1));
            if (!recorded.equals(owned)) {
                throw new IllegalStateException("data directory " + dataDir + " holds partitions " + recorded
                        + " but the cluster settings (clusterNodes, clusterNodeId) give this node " + owned
                        + "; moving partitions between nodes is not built yet (docs/cluster.md): start with the"
                        + " settings the directory was created with, or use a new data directory");
            }
            if (upgrade) {
                LOG.info("upgrading data format " + format + " to " + FORMAT_VERSION + (fromTwo ? " (" + shards
                        + " shards: borrowers stay on their shards)" : " (log segments are preallocated from now"
                        + " on; a build of format 3 will not open this directory again)"));
                p.setProperty("format", Integer.toString(FORMAT_VERSION));
                if (fromTwo) {
                    p.setProperty("partitions", Integer.toString(Partitions.COUNT));
                    p.setProperty("partitions.owned", owned);
                }
            }
            boolean noId = p.getProperty("id") == null;
            if (noId) {
                // a directory from before the id (it names the directory's log windows)
                p.setProperty("id", java.util.UUID.randomUUID().toString());
            }
            if (upgrade || noId) {
                writeLayout(dataDir, file, p);
            }
            return p.getProperty("id");
        }
        try (java.util.stream.Stream<Path> entries = Files.list(dataDir)) {
            if (entries.anyMatch(e -> e.getFileName().toString().startsWith("shard-"))) {
                throw new IllegalStateException("data directory " + dataDir + " holds shard directories but no "
                        + LAYOUT_FILE + ": not a Formica data directory of this format; use a new one");
            }
        }
        p.setProperty("shards", Integer.toString(shards));
        p.setProperty("format", Integer.toString(FORMAT_VERSION));
        p.setProperty("partitions", Integer.toString(Partitions.COUNT));
        p.setProperty("partitions.owned", owned);
        p.setProperty("id", java.util.UUID.randomUUID().toString());
        writeLayout(dataDir, file, p);
        return p.getProperty("id");
    }

    /** Writes the layout file durably: temp file, fsync, atomic rename, directory fsync. */
    private static void writeLayout(Path dataDir, Path file, Properties p) throws IOException {
        Path tmp = dataDir.resolve(LAYOUT_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try (OutputStream out = Files.newOutputStream(OwnerOnly.file(tmp))) {
            p.store(out, "Formica data layout; do not edit");
        }
        Fsync.file(tmp);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Fsync.directory(dataDir);
    }

    // ---- submission (event-loop threads) ----------------------------------------------------------

    /**
     * Submits the mutating operation {@code op} (a row of the {@link Operation} table) to the shard its routing key
     * names; the answer, or a {@link Refused}, arrives on {@code sink}. The request has been validated by the
     * caller (the server's {@code RequestValidator}): here it is only routed. A hold id that names no hold is
     * refused as not found, as the shard refuses an unknown one.
     *
     * @param trace told the stage timings of this command (a sampled call's span); null: none
     */
    public <Q, R> void submit(Operation<Q, R> op, Q request, Sink<R> sink, long startNanos, CallDeadline deadline,
            StageTrace trace) {
        String routingKey = op.routingKey(request);
        long arg = 0;
        int partition;
        if (op.route() == Operation.Route.HOLD) {
            arg = HoldIds.parse(routingKey);
            if (arg == HoldIds.INVALID) {
                sink.onError(Refused.of(DomainError.HOLD_NOT_FOUND, "hold_id: no such hold"));
                return;
            }
            partition = HoldIds.partitionOf(arg);
        } else {
            partition = Partitions.of(routingKey);
        }
        int shard = shardOfPartition(partition, op.route().field(), sink);
        if (shard >= 0) {
            ShardCommand<Q, R> command = new ShardCommand<>(op.command(), request, arg, sink, startNanos, deadline);
            command.trace = trace;
            // a bulk Load's rows have the stream's own flow control (a window of rows in flight): never shed by lag
            submit(shard, command, op == Operation.UPSERT_PROFILE ? ShardOwner.Shedding.NEVER
                    : ShardOwner.Shedding.WRITE);
        }
    }

    /** {@link #submit(Operation, Object, Sink, long, CallDeadline, StageTrace)}, untraced, started now. */
    public <Q, R> void submit(Operation<Q, R> op, Q request, Sink<R> sink, CallDeadline deadline) {
        submit(op, request, sink, System.nanoTime(), deadline, null);
    }

    public void decide(DecisionRequest r, Sink<DecisionResponse> sink, long startNanos, CallDeadline deadline) {
        submit(Operation.DECIDE, r, sink, startNanos, deadline, null);
    }

    public void confirm(ConfirmRequest r, Sink<ConfirmResponse> sink, CallDeadline deadline) {
        submit(Operation.CONFIRM, r, sink, deadline);
    }

    public void cancel(CancelRequest r, Sink<CancelResponse> sink, CallDeadline deadline) {
        submit(Operation.CANCEL, r, sink, deadline);
    }

    public void repay(RepayRequest r, Sink<RepayResponse> sink, CallDeadline deadline) {
        submit(Operation.REPAY, r, sink, deadline);
    }

    public void apply(CreditApplication a, Sink<CreditOffer> sink, CallDeadline deadline) {
        submit(Operation.APPLY, a, sink, deadline);
    }

    /**
     * The stored answer to an earlier Decide, marked replayed. The borrower's shard reads the record (records belong
     * to its thread, and the answer waits, as a Decide's does, until the log holds what it reports); the response is
     * parsed on the thread that delivers it. A borrower of a partition another node owns is refused with the owner
     * named.
     */
    public void storedDecision(String requestId, String borrowerId, Sink<DecisionResponse> sink,
            CallDeadline deadline) {
        int shard = shardOfBorrower(borrowerId, sink);
        if (shard < 0) {
            return;
        }
        String key = new IdempotencyKeys().borrower(borrowerId, requestId).toString();
        submitRead(shard, new ShardCommand<>(STORED_DECISION, key, 0, new Sink<byte[]>() {
            @Override
            public void onResult(byte[] payload) {
                if (sink instanceof WireCall<DecisionResponse>) {
                    // the record's bytes go to the caller as they are, marked replayed
                    ShardCommand.deliver(sink, Operation.DECIDE, AnswerBytes.of(payload), true);
                    return;
                }
                DecisionResponse stored;
                try {
                    stored = Operation.DECIDE.replay(payload);
                } catch (InvalidProtocolBufferException e) {
                    sink.onError(Refused.of(DomainError.STATE_UNREADABLE, "decision record unreadable"));
                    return;
                }
                sink.onResult(stored);
            }

            @Override
            public void onError(Refused error) {
                sink.onError(error);
            }
        }, System.nanoTime(), deadline));
    }

    /** {@link #storedDecision(String, String, Sink, CallDeadline)}, waiting for the answer (tests and tools). */
    public DecisionResponse storedDecision(String requestId, String borrowerId) {
        CompletableFuture<DecisionResponse> answer = new CompletableFuture<>();
        storedDecision(requestId, borrowerId, new Sink<>() {
            @Override
            public void onResult(DecisionResponse result) {
                answer.complete(result);
            }

            @Override
            public void onError(Refused error) {
                answer.completeExceptionally(error);
            }
        }, null);
        try {
            return answer.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Refused refused) {
                throw refused;
            }
            throw e;
        }
    }

    /**
     * Builds a snapshot of every shard now (up to each durable log position), as the periodic builder does; for
     * tests, tools and an operator before a planned restart.
     */
    public void snapshotNow() {
        if (snapshots == null) {
            throw new IllegalStateException("no snapshots with clusterReplication: a replica replays its Raft log");
        }
        for (int k = 0; k < agents.length; k++) {
            try {
                snapshots.build(k);
            } catch (IOException e) {
                throw new UncheckedIOException("snapshot of shard " + k + " failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Where the shards' log windows live: under {@code /dev/shm} when it has room (they survive {@code kill -9}, not
     * a reboot), else in the data directory. A power cut loses them; tests that simulate one delete them.
     */
    public Path logWindows() {
        return windows;
    }

    /** The shard log writer (durability mode, sync counts). */
    public LogWriter logWriter() {
        return writer;
    }

    public void creditLine(GetCreditLineRequest r, Sink<CreditLine> sink, CallDeadline deadline) {
        int shard = shardOfBorrower(r.getBorrowerId(), sink);
        if (shard >= 0) {
            submitRead(shard, new ShardCommand<GetCreditLineRequest, CreditLine>(
                    (p, req, arg, now, start) -> readLine(p, req, now), r, 0, sink, System.nanoTime(),
                    deadline));
        }
    }

    private static CreditLine readLine(ShardProcessor p, GetCreditLineRequest r, long nowMs) {
        Markets.Market market = p.useMarketOf(r.getBorrowerId());
        LedgerSnapshot s = new LedgerSnapshot();
        if (!p.state().ledger().get(r.getBorrowerId(), r.getProductValue(), s)) {
            if (!p.state().profiles().contains(r.getBorrowerId())) {
                throw Refused.of(DomainError.PROFILE_NOT_FOUND, "borrower_id: no profile for this borrower");
            }
        }
        CreditLine line = ShardProcessor.withNotes(ShardProcessor.creditLine(r.getBorrowerId(), r.getProductValue(), s,
                market.currency()), p.state()).toBuilder().setMarket(market.code()).build();
        String regulatory = p.regulatoryVersion(nowMs);
        return regulatory.isEmpty() ? line : line.toBuilder().setRegulatoryVersion(regulatory).build();
    }

    /** Applies an early-warning event on the borrower's shard. */
    public void riskEvent(RiskEvent e, Sink<RiskEventResponse> sink, CallDeadline deadline) {
        submit(Operation.RISK_EVENT, e, sink, deadline);
    }

    /** Runs {@code task} on a shard's writer as a command (tests and tools: to hold a shard busy or read it). */
    void runOnShard(int shard, Runnable task, Sink<Boolean> sink) {
        submit(shard, new ShardCommand<Runnable, Boolean>((p, t, arg, now, start) -> {
            t.run();
            return Boolean.TRUE;
        }, task, 0, sink, System.nanoTime(), null));
    }

    /** Stores a profile; the sink gets true when it was created. */
    public void upsert(Profile profile, Sink<Boolean> sink, CallDeadline deadline) {
        submit(Operation.UPSERT_PROFILE, profile, sink, deadline);
    }

    public void profile(String borrowerId, Sink<Profile> sink, CallDeadline deadline) {
        int shard = shardOfBorrower(borrowerId, sink);
        if (shard >= 0) {
            submitRead(shard, new ShardCommand<String, Profile>(
                    (p, id, arg, now, start) -> readProfile(p, id), borrowerId, 0, sink, System.nanoTime(), deadline));
        }
    }

    private static Profile readProfile(ShardProcessor p, String borrowerId) {
        Profile profile = p.profile(borrowerId);
        if (profile == null) {
            throw Refused.of(DomainError.PROFILE_NOT_FOUND, "borrower_id: no profile for this borrower");
        }
        return profile;
    }

    /** The shard of the borrower's partition, or -1 after refusing a partition another node owns. */
    private int shardOfBorrower(String borrowerId, Sink<?> sink) {
        return shardOfPartition(Partitions.of(borrowerId), "borrower_id", sink);
    }

    private int shardOfPartition(int partition, String field, Sink<?> sink) {
        if (!partitions.owns(partition)) {
            sink.onError(partitions.refusal(partition, field));
            return -1;
        }
        return router.shardOfPartition(partition);
    }

    private void submit(int shard, ShardCommand<?, ?> command) {
        submit(shard, command, ShardOwner.Shedding.WRITE);
    }

    /** A read that changes nothing: refused only when the owner is far behind ({@code LOOP}). */
    private void submitRead(int shard, ShardCommand<?, ?> command) {
        submit(shard, command, ShardOwner.Shedding.READ);
    }

    /** @param shedding how readily the command is refused when its shard's owner loop is behind ({@code LOOP}) */
    private void submit(int shard, ShardCommand<?, ?> command, ShardOwner.Shedding shedding) {
        if (closed) {
            command.reject(shuttingDown());
            return;
        }
        ShardAgent agent = agents[shard];
        ShardOwner owner = owners == null ? null : owners[shard];
        if (owner != null && owner.shedding(shedding)) {
            owner.countShed();
            agent.metrics().decisions().shed().shardQueueFull();
            command.reject(Refused.shed(DomainError.SHARD_QUEUE_FULL, "shard " + shard + " is behind its reads;"
                    + " retry with backoff and the same request_id", shedRetryDelayMs)
                    .metadata("shard", Integer.toString(shard)));
            return;
        }
        java.util.concurrent.Executor loop;
        if (owner != null && owner.onOwner()) {
            // read on the owner: answered on it, at once after the pass when the log needs no sync (process), else
            // handed back to it once the sync thread has made the group durable: at its next pass, or in one task
            // per round of syncs when it sleeps (OwnerInbox)
            loop = writer != null && writer.durability() == dev.formica.engine.log.Durability.PROCESS ? null
                    : owner.replyLoop();
        } else {
            ReplyLoops loops = replyLoops;
            loop = loops == null ? null : loops.current();
        }
        // every answer waits for the log to make durable what it depends on, then goes back to the caller's loop
        command.replyVia(agent.replies(), loop);
        if (!agent.offer(command)) {
            agent.metrics().decisions().shed().shardQueueFull();
            command.reject(Refused.shed(DomainError.SHARD_QUEUE_FULL, "shard " + shard + " is at capacity; retry"
                    + " with backoff and the same request_id", shedRetryDelayMs)
                    .metadata("shard", Integer.toString(shard)));
            return;
        }
        if (callerDrains) {
            agent.tryDrain(loop);
        } else if (owner != null) {
            owner.submitted();
        }
    }

    private static Refused shuttingDown() {
        return Refused.of(DomainError.SHUTTING_DOWN, "shutting down");
    }

    // ---- introspection ----------------------------------------------------------------------------

    @Override
    public int shards() {
        return agents.length;
    }

    /** The agent of {@code shard} (tests). */
    ShardAgent agent(int shard) {
        return agents[shard];
    }

    public int shardOf(String borrowerId) {
        return router.shardOf(borrowerId);
    }

    /** The shard that holds {@code partition} on this node. */
    public int shardOfPartition(int partition) {
        return router.shardOfPartition(partition);
    }

    /** Which node owns each partition, and which node this is. */
    public PartitionTable partitions() {
        return partitions;
    }

    /** With replication: moves a group this node leads to another replica (docs/cluster.md); null without. */
    public dev.formica.engine.replication.GroupMoves moves() {
        return moves;
    }

    /** With replication: set once the node's Raft server runs. */
    void moves(dev.formica.engine.replication.GroupMoves groupMoves) {
        this.moves = groupMoves;
    }

    private volatile dev.formica.engine.replication.GroupMoves moves;

    /** With replication: adds or removes a member of a group this node leads (docs/cluster.md); null without. */
    public dev.formica.engine.replication.GroupMembers members() {
        return members;
    }

    void members(dev.formica.engine.replication.GroupMembers groupMembers) {
        this.members = groupMembers;
    }

    private volatile dev.formica.engine.replication.GroupMembers members;

    @Override
    public org.HdrHistogram.Recorder logSyncNanos() {
        return writer == null ? null : writer.syncNanos();
    }

    @Override
    public long velocityKeysRefused() {
        return risk.velocity().refusedKeys();
    }

    @Override
    public dev.formica.engine.log.LogTimes logTimes() {
        return writer == null || writer.durability() != dev.formica.engine.log.Durability.FSYNC ? null
                : writer.times();
    }

    @Override
    public int queueDepth(int shard) {
        return agents[shard].queueDepth();
    }

    /**
     * Bytes the shard has appended to its log and not yet made durable (its writer's sync behind): the answers that
     * wait for a sync. 0 without a local log (a replicated node). Any thread; two volatile reads.
     */
    public long unsyncedBytes(int shard) {
        dev.formica.engine.log.ShardLog log = agents[shard].log();
        return log == null ? 0 : Math.max(0, log.appendedPosition() - log.durablePosition());
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
    public void concentration(int top, ConcentrationVisitor visitor) {
        ConcentrationReport report = ConcentrationReports.build(risk, clock == null ? System.currentTimeMillis()
                : clock.time(), "", top);
        for (DimensionConcentration d : report.getDimensionsList()) {
            visitor.dimension(d.getDimension(), d.getLimitMinor(), d.getKeys(), d.getTotalExposureMinor());
            for (ConcentrationKey k : d.getTopList()) {
                visitor.key(d.getDimension(), k.getKey(), k.getExposureMinor(), k.getUsageBps());
            }
        }
    }

    @Override
    public long drawnMinor(int product) {
        long sum = 0;
        for (ShardState s : states) {
            sum += s.ledger().drawnTotalMinor(product);
        }
        return sum;
    }

    /** The snapshot builder (null with {@code clusterReplication}), for tests. */
    SnapshotBuilder snapshotBuilder() {
        return snapshots;
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

    /** {@code shardMode: LOOP}: stops the shards' timers and the loops the pipeline made itself. */
    private void stopOwners() {
        if (owners == null) {
            return;
        }
        for (ShardOwner owner : owners) {
            owner.stop();
        }
        shardLoops.shutdownOwn(owners.length, 30);
    }

    /** {@code shardMode: LOOP}: the owner of {@code shard} (tests); null in the other modes. */
    ShardOwner owner(int shard) {
        return owners == null ? null : owners[shard];
    }

    /** Stops the writers (after the server has drained), answers anything left, closes the state. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CloseHelper.quietCloseAll(runners);
        // no replica applies frames to the shards' state once it is closed below
        CloseHelper.quietClose(replication);
        stopOwners();
        for (ShardAgent agent : agents) {
            try {
                if (callerDrains) {
                    agent.tryDrain(null);
                } else if (owners != null) {
                    // the owners' loops have stopped (the server shuts its loops down before this): this thread is
                    // the shards' only writer now
                    agent.doWork();
                }
            } catch (RuntimeException e) {
                // the writer below must still write, sync and answer what the shards appended before this
                LOG.error("shard agent error while stopping", e);
            }
            agent.rejectQueued(DecisionPipeline::shuttingDown);
        }
        CloseHelper.quietClose(snapshots);
        // the writer writes and syncs what the shards appended, then releases the answers waiting for it
        CloseHelper.quietClose(writer);
        if (windows != null) {
            try {
                // empty after a clean stop (each log deleted its window); kept when a window still holds frames
                LogBuffer.release(windows);
            } catch (IOException notEmpty) {
                LOG.warn("log windows kept for the next start: " + notEmpty.getMessage());
            }
        }
        CloseHelper.quietClose(markets);
        CloseHelper.closeAll(states);
    }
}
