package dev.formica.engine.config;

import dev.formica.engine.state.VelocityWindows;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The values of the engine's settings, with named defaults, and their checks. Each setting is declared once in
 * {@link Settings} (key, flag, type, default, meaning, parser); the YAML and environment binding, the start-up
 * print and the docs table are made from those declarations, not written here.
 *
 * <p>Thread contract: built and {@link #conclude() concluded} on one thread before the server starts,
 * read-only afterwards. Setters are fluent in the style of Aeron's {@code MediaDriver.Context}; a
 * setting that conflicts with another fails in {@link #conclude()} with a message that says what to
 * change.
 */
public final class EngineConfiguration {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 50051;
    public static final Path DEFAULT_DATA_DIR = Path.of("data");
    /** -1 disables the metrics endpoint. */
    public static final int DEFAULT_METRICS_PORT = -1;
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;
    public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(30);
    public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** 0 means one shard per available processor. */
    public static final int DEFAULT_SHARDS = 0;
    /**
     * The most shards a server runs (each a group of the 256 partitions; {@code pipeline/ShardRouter} refuses more).
     * Checked here, before any file of the data directory is touched.
     */
    public static final int MAX_SHARDS = 128;
    public static final int DEFAULT_QUEUE_CAPACITY = 8192;
    public static final Duration DEFAULT_HOLD_TTL = Duration.ofMinutes(15);
    public static final Duration DEFAULT_IDEMPOTENCY_WINDOW = Duration.ofHours(24);
    public static final long DEFAULT_EXPECTED_BORROWERS = 400_000;
    public static final long DEFAULT_EXPECTED_DECISIONS_PER_DAY = 2_000_000;
    public static final String DEFAULT_CURRENCY = "CNY";
    /** Distinct borrowers, devices, IPs and merchants active in a day that the velocity table holds. */
    public static final int DEFAULT_VELOCITY_KEYS = 1 << 18;
    /** Regions, industries, merchants and related-party groups the concentration table holds (96 bytes each). */
    public static final int DEFAULT_CONCENTRATION_KEYS = 1 << 16;
    /** The most concentration keys: 16,777,216 (1.5 GiB). */
    public static final int MAX_CONCENTRATION_KEYS = 1 << 24;
    /** 0 means twice the processors, as grpc and Netty default to (the server creates its own loops). */
    public static final int DEFAULT_EVENT_LOOP_THREADS = 0;
    /**
     * Thread per core with ownership (docs/perf-notes/2026-12-06-loop-mode.md has the measurements that made it the
     * default). A node with {@code clusterReplication: ratis} that does not set {@code shardMode} runs
     * {@link ShardMode#DEDICATED} instead ({@link #conclude()}).
     */
    public static final ShardMode DEFAULT_SHARD_MODE = ShardMode.LOOP;
    /** Time zone of rule features such as hour_of_day and month. */
    public static final String DEFAULT_TIME_ZONE = "Asia/Shanghai";
    /** Parsed profiles kept on heap for rule features (shared by all shards). */
    public static final long DEFAULT_PROFILE_CACHE_ENTRIES = 100_000;
    public static final ClientAuth DEFAULT_CLIENT_AUTH = ClientAuth.NONE;
    /** 0 = off: only a full queue sheds. */
    public static final Duration DEFAULT_MAX_QUEUE_DELAY = Duration.ZERO;
    /**
     * Decide calls admitted at once before the server answers RESOURCE_EXHAUSTED at call start. A call holds its
     * slot until its answer, in {@code durability: fsync} through its group's {@code fdatasync}, so the limit is
     * the rate it lets through times the time an answer waits for its sync (Little's law), not queued CPU work:
     * 128 carry 6,000 Decides/s through a 21 ms stall of the sync, where 64 refused after 10 ms while the admitted
     * p99 was still 20-36 ms (find-max at a 50 ms SLO: 9,484 against 4,879/s in one pair). A larger limit lets more
     * answers wait behind a slow sync: admitted latency grows as slots / rate
     * (docs/perf-notes/2026-12-07-admission-limit.md).
     */
    public static final int DEFAULT_MAX_IN_FLIGHT_DECISIONS = 128;
    /**
     * The ceiling of {@code admissionLimit: ADAPTIVE}: 256 fixed slots carried Decide one find-max step above 128 in
     * {@code fsync} (docs/perf-notes/2026-12-07-random-hold-ids-and-group-commit.md, section 3b).
     */
    public static final int DEFAULT_ADMISSION_LIMIT_MAX = 256;
    /**
     * What a shedding refusal (RESOURCE_EXHAUSTED: OVERLOADED, SHARD_QUEUE_FULL, QUEUE_DELAY_EXCEEDED) asks the
     * caller to wait before retrying, in its RetryInfo and {@code grpc-retry-pushback-ms} trailer: a few times the
     * 13-21 ms in which 128 admitted Decides turn over at 6,000-9,500/s here, so a retry meets slots given back.
     */
    public static final Duration DEFAULT_SHED_RETRY_DELAY = Duration.ofMillis(50);
    /** Per-stage and per-RPC latency histograms, decision counters, {@code .hlog} files. */
    public static final boolean DEFAULT_LATENCY_RECORDING = true;
    /** One {@code .hlog} line per stage and RPC, and GetLatency's "last interval", this often. */
    public static final Duration DEFAULT_LATENCY_INTERVAL = Duration.ofSeconds(5);
    /** A new {@code .hlog} file after this many bytes; 0 writes no files. */
    public static final long DEFAULT_LATENCY_LOG_MAX_BYTES = 64L * 1024 * 1024;
    /** A new {@code .hlog} file after this long. */
    public static final Duration DEFAULT_LATENCY_LOG_MAX_AGE = Duration.ofHours(1);
    /** {@code .hlog} files kept; older ones are deleted. */
    public static final int DEFAULT_LATENCY_LOG_FILES = 48;
    /** Every decision is journaled under {@code <dataDir>/journal/} unless switched off. */
    public static final boolean DEFAULT_JOURNAL_ENABLED = true;
    /** Journal segments whose every decision is older than this are deleted. */
    public static final Duration DEFAULT_JOURNAL_RETENTION = Duration.ofDays(7);
    /** An answer leaves only after its shard-log frame is on the disk (group-committed fdatasync). */
    public static final dev.formica.engine.log.Durability DEFAULT_DURABILITY = dev.formica.engine.log.Durability.FSYNC;
    /** Each shard's state is snapshotted this often (off the decision path); restart replays the log after it. */
    public static final Duration DEFAULT_SNAPSHOT_INTERVAL = Duration.ofMinutes(2);
    /**
     * {@code fsync} mode: the least time between two rounds of the log writer's syncs, with
     * {@link #DEFAULT_GROUP_COMMIT_SIBLINGS} only when there is company (the bound of that wait).
     */
    public static final Duration DEFAULT_GROUP_COMMIT_INTERVAL = Duration.ofMillis(1);
    /**
     * {@code fsync} mode: 0 = the group commit interval holds every round; else a round waits only for company. 4
     * batches per millisecond: no wait at 2,000 Decides/s, a wait at 10,400/s and at saturation
     * (docs/perf-notes/2026-12-07-commit-siblings.md).
     */
    public static final int DEFAULT_GROUP_COMMIT_SIBLINGS = 4;
    /** Raft entries between two snapshots of a replicated group. */
    public static final long DEFAULT_CLUSTER_SNAPSHOT_ENTRIES = 100_000;
    /** A Raft log segment of a replicated group (8 MiB). */
    public static final long DEFAULT_CLUSTER_LOG_SEGMENT_BYTES = 8L << 20;
    static final long MIN_CLUSTER_LOG_SEGMENT_BYTES = 4096;
    /** The share of calls without a sampled caller span that are traced (docs/observability.md, Tracing). */
    public static final double DEFAULT_TRACING_SAMPLE_RATIO = 0.01;
    /** An OpenTelemetry collector's OTLP/HTTP port on this machine ({@code /v1/traces} is added). */
    public static final String DEFAULT_OTLP_ENDPOINT = "http://127.0.0.1:4318";

    /** {@code durability: fsync} with {@code shardMode: LOOP}: which thread writes and syncs a shard's log. */
    public enum LogSync {
        /** The node's log writer thread; it hands the synced answers back to the shard's loop. */
        WRITER,
        /**
         * The shard's own loop, at the end of its round of calls, and it answers them itself: no wake-up of the
         * writer and no hand-back per sync (docs/perf-notes/2026-12-07-sync-on-the-loop.md).
         */
        LOOP
    }

    /** What the snapshot builder does with each shard's scratch copy between snapshots. */
    public enum SnapshotScratch {
        /** Kept alive: the next snapshot replays only the frames since the last one (a second copy for good). */
        LIVE,
        /** Thrown away: each snapshot loads the last one into a fresh copy first (the copy only while it builds). */
        RELOAD
    }

    /** How many Decide calls admission lets in at once (the number {@code maxInFlightDecisions} starts from). */
    public enum AdmissionLimit {
        /** Always {@code maxInFlightDecisions}. */
        FIXED,
        /**
         * Between {@code maxInFlightDecisions} and {@code admissionLimitMax}, moved by the admitted calls' round trips
         * (concurrency-limits' gradient limit): raised while they stay near their long-run average, cut when not.
         */
        ADAPTIVE
    }

    /** How shard writers run (see BENCHMARKS.md for the measurement that picked the default). */
    public enum ShardMode {
        /** One {@code AgentRunner} thread per shard, parked with a backoff idle strategy. */
        DEDICATED,
        /** The enqueuing thread drains the shard queue when the shard is idle. */
        CALLER_DRAINS,
        /**
         * Thread per core with ownership: shard k runs on Netty event loop k, which reads, decides and answers the
         * calls of its own shard port; calls for a shard read by another loop go to the owner in batches.
         */
        LOOP
    }

    /** Whether the TLS server asks clients for a certificate (mutual TLS). */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A client certificate is asked for and verified when sent; callers without one may use a token. */
        OPTIONAL,
        /** The handshake fails without a client certificate signed by {@code tlsClientCa}. */
        REQUIRE
    }

    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Path dataDir = DEFAULT_DATA_DIR;
    private int metricsPort = DEFAULT_METRICS_PORT;
    private int maxInboundMessageBytes = DEFAULT_MAX_INBOUND_MESSAGE_BYTES;
    private Duration keepAliveTime = DEFAULT_KEEPALIVE_TIME;
    private Duration keepAliveTimeout = DEFAULT_KEEPALIVE_TIMEOUT;
    private Duration permitKeepAliveTime = DEFAULT_PERMIT_KEEPALIVE_TIME;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    private int shards = DEFAULT_SHARDS;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private Duration holdTtl = DEFAULT_HOLD_TTL;
    private Duration idempotencyWindow = DEFAULT_IDEMPOTENCY_WINDOW;
    private long expectedBorrowers = DEFAULT_EXPECTED_BORROWERS;
    private long expectedDecisionsPerDay = DEFAULT_EXPECTED_DECISIONS_PER_DAY;
    private String currency = DEFAULT_CURRENCY;
    private int velocityKeys = DEFAULT_VELOCITY_KEYS;
    private int concentrationKeys = DEFAULT_CONCENTRATION_KEYS;
    private Path rulesFile;
    private Path regulatoryFile;
    private String timeZone = DEFAULT_TIME_ZONE;
    private long profileCacheEntries = DEFAULT_PROFILE_CACHE_ENTRIES;
    private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;
    /** {@code shardMode: LOOP}: shard k's own port is this + k; 0 = any free ports (named in the partition map). */
    private int shardPortBase;
    /** {@code shardMode: LOOP}: calls are shed while a shard's loop runs this late; 0 = never. */
    private Duration loopShedLag = Duration.ofMillis(20);
    private ShardMode shardMode = DEFAULT_SHARD_MODE;
    /** {@link #shardMode(ShardMode)} was called (a file, a variable, a flag or code): the mode is not defaulted. */
    private boolean shardModeSet;
    // security: see docs/security.md
    private Path tlsCertChain;
    private Path tlsPrivateKey;
    private Path tlsClientCa;
    private ClientAuth clientAuth = DEFAULT_CLIENT_AUTH;
    /** A second listener that speaks only mutual TLS (admin from other machines); -1 = none, 0 = any free port. */
    private int adminPort = -1;
    private Path adminTlsCertChain;
    private Path adminTlsPrivateKey;
    private Path adminTlsClientCa;
    private List<String> adminSubjects = List.of();
    private Path adminTokenFile;
    private boolean adminTokenLoopbackOnly;
    private boolean decisionAuthRequired;
    private List<String> callerSubjects = List.of();
    private Path callerTokenFile;
    private Duration maxQueueDelay = DEFAULT_MAX_QUEUE_DELAY;
    private int maxInFlightDecisions = DEFAULT_MAX_IN_FLIGHT_DECISIONS;
    private AdmissionLimit admissionLimit = AdmissionLimit.FIXED;
    private int admissionLimitMax = DEFAULT_ADMISSION_LIMIT_MAX;
    private Duration shedRetryDelay = DEFAULT_SHED_RETRY_DELAY;
    private boolean latencyRecording = DEFAULT_LATENCY_RECORDING;
    private Duration latencyInterval = DEFAULT_LATENCY_INTERVAL;
    private long latencyLogMaxBytes = DEFAULT_LATENCY_LOG_MAX_BYTES;
    private Duration latencyLogMaxAge = DEFAULT_LATENCY_LOG_MAX_AGE;
    private int latencyLogFiles = DEFAULT_LATENCY_LOG_FILES;
    private boolean journalEnabled = DEFAULT_JOURNAL_ENABLED;
    private Duration journalRetention = DEFAULT_JOURNAL_RETENTION;
    private dev.formica.engine.log.Durability durability = DEFAULT_DURABILITY;
    private Duration snapshotInterval = DEFAULT_SNAPSHOT_INTERVAL;
    private Duration groupCommitInterval = DEFAULT_GROUP_COMMIT_INTERVAL;
    private int groupCommitSiblings = DEFAULT_GROUP_COMMIT_SIBLINGS;
    private LogSync logSync = LogSync.WRITER;
    private SnapshotScratch snapshotScratch = SnapshotScratch.LIVE;
    // logs and tracing: see docs/observability.md
    private dev.formica.engine.logging.LogFormat logFormat = dev.formica.engine.logging.LogFormat.AUTO;
    private boolean tracing;
    private double tracingSampleRatio = DEFAULT_TRACING_SAMPLE_RATIO;
    private String otlpEndpoint = DEFAULT_OTLP_ENDPOINT;
    // cluster: see docs/cluster.md
    private List<String> clusterNodes = List.of();
    private int clusterNodeId;
    private Replication clusterReplication = Replication.OFF;
    private List<String> clusterRaftNodes = List.of();
    private long clusterSnapshotEntries = DEFAULT_CLUSTER_SNAPSHOT_ENTRIES;
    private long clusterLogSegmentBytes = DEFAULT_CLUSTER_LOG_SEGMENT_BYTES;
    /** The cluster's Raft groups (0 = as many as clusterNodes at the first start); docs/cluster.md. */
    private int clusterGroups;
    /** Groups this node joins as a new member (formica cluster add-node); docs/cluster.md. */
    private List<String> clusterJoin = List.of();
    /** The velocity exchange's credentials between the nodes of a cluster without replication (docs/security.md). */
    private Path clusterPeerCa;
    private List<String> clusterPeerSubjects = List.of();
    private Path clusterPeerTokenFile;
    /** The markets served (docs/regulation.md, "Markets"); empty = one market from the settings above. */
    private List<MarketSetting> markets = List.of();
    private boolean concluded;
    /** Where each setting that is not a default came from: "file F", "environment FORMICA_X", "flag --x". */
    private final Map<String, String> sources = new LinkedHashMap<>();

    /**
     * Every setting's key, in the order {@link #describe()} prints them. The YAML key; the environment variable is
     * {@code FORMICA_} and the key in upper snake case ({@code dataDir} = {@code FORMICA_DATA_DIR}).
     */
    public static final List<String> KEYS = Settings.keys();
    /** The prefix of the environment variables that are settings. */
    public static final String ENV_PREFIX = "FORMICA_";
    /** {@code FORMICA_*} variables that are not settings: the launcher's and the admin commands'. */
    public static final List<String> ENV_NOT_SETTINGS = List.of("FORMICA_JAVA_OPTS", "FORMICA_SERVER_HEAP",
            "FORMICA_ADMIN_TOKEN");

    /**
     * Reads a YAML file of {@code key: value} pairs named as the setters (e.g. {@code port: 50051},
     * {@code holdTtl: 15m}, {@code dataDir: /var/lib/formica}). Unknown keys are an error.
     */
    public static EngineConfiguration fromYaml(Path file) {
        Map<String, Object> values;
        try (InputStream in = Files.newInputStream(file)) {
            Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            if (loaded == null) {
                values = Map.of();
            } else if (loaded instanceof Map<?, ?> map) {
                values = new LinkedHashMap<>();
                map.forEach((k, v) -> values.put(String.valueOf(k), v));
            } else {
                throw new IllegalArgumentException(file + ": expected a mapping of settings at the top level");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read configuration " + file + ": " + e.getMessage(), e);
        }
        EngineConfiguration config = new EngineConfiguration();
        values.forEach((key, value) -> {
            Setting setting = Settings.byKey(key);
            if (key.equals("markets") && value instanceof List<?>) {
                config.markets(MarketSetting.parse(value));
                config.sources.put(key, "file " + file);
            } else if (value instanceof List<?> list && setting != null && setting.isList()) {
                List<String> items = new ArrayList<>();
                list.forEach(item -> items.add(String.valueOf(item)));
                setting.listSetter().accept(config, items);
                config.sources.put(key, "file " + file);
            } else {
                config.set(key, String.valueOf(value), file.toString());
            }
        });
        return config;
    }

    private void set(String key, String value, String source) {
        try {
            Setting setting = Settings.byKey(key);
            if (setting == null) {
                throw new IllegalArgumentException("unknown setting");
            }
            setting.parser().accept(this, value);
            sources.put(key, source.startsWith(ENV_PREFIX) ? "environment " + source : "file " + source);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": setting '" + key + "' = '" + value + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * Applies the {@code FORMICA_*} variables of {@code environment} that are settings ({@link #KEYS} in upper
     * snake case, e.g. {@code FORMICA_MAX_IN_FLIGHT_DECISIONS=32}); lists are separated by {@code ;}
     * ({@code FORMICA_CLUSTER_NODES=10.0.0.1:50051;10.0.0.2:50051}, since subjects hold commas). Applied over the
     * file and under the flags. A {@code FORMICA_} variable that is no setting (and not one of
     * {@link #ENV_NOT_SETTINGS}) is an error that names the settings, so a typo does not pass unnoticed.
     */
    public EngineConfiguration applyEnvironment(Map<String, String> environment) {
        checkMutable();
        Map<String, String> byVariable = new java.util.TreeMap<>();
        for (String key : KEYS) {
            byVariable.put(environmentVariable(key), key);
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(environment).entrySet()) {
            String variable = e.getKey();
            if (!variable.startsWith(ENV_PREFIX) || ENV_NOT_SETTINGS.contains(variable)) {
                continue;
            }
            String key = byVariable.get(variable);
            if (key == null) {
                throw new IllegalArgumentException("environment: " + variable + " is not a setting (settings: "
                        + String.join(", ", byVariable.keySet()) + "; not settings: "
                        + String.join(", ", ENV_NOT_SETTINGS) + ")");
            }
            if (Settings.byKey(key).isList()) {
                List<String> items = new ArrayList<>();
                for (String item : e.getValue().split(";")) {
                    if (!item.isBlank()) {
                        items.add(item.strip());
                    }
                }
                try {
                    setList(key, items);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(variable + ": " + ex.getMessage(), ex);
                }
                sources.put(key, "environment " + variable);
            } else {
                set(key, e.getValue().strip(), variable);
            }
        }
        return this;
    }

    /** The environment variable of setting {@code key}: {@code dataDir} is {@code FORMICA_DATA_DIR}. */
    public static String environmentVariable(String key) {
        return Settings.byKey(key).environmentVariable();
    }

    /** Records that {@code key} was set by {@code source} (a command-line flag: {@code "flag --port"}). */
    public EngineConfiguration setBy(String key, String source) {
        if (!KEYS.contains(key)) {
            throw new IllegalArgumentException("not a setting: " + key);
        }
        sources.put(key, source);
        return this;
    }

    /** Where {@code key} came from: "default", "file F", "environment FORMICA_X" or "flag --x". */
    public String sourceOf(String key) {
        return sources.getOrDefault(key, "default");
    }

    /** Every setting's value as text, in {@link #KEYS} order (paths as given, lists joined by ", "). */
    public Map<String, String> values() {
        Map<String, String> text = new LinkedHashMap<>();
        for (Setting setting : Settings.ALL) {
            text.put(setting.key(), display(setting.reader().apply(this)));
        }
        return text;
    }

    private static String display(Object value) {
        if (value == null) {
            return "(none)";
        }
        if (value instanceof Duration d) {
            return formatDuration(d);
        }
        if (value instanceof List<?> list) {
            return list.isEmpty() ? "(none)" : list.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining("; "));
        }
        return String.valueOf(value);
    }

    /** {@code 50ms}, {@code 15m}, {@code 1d}: the largest unit that divides the duration, as the files write it. */
    static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms % sizes[i] == 0) {
                return ms / sizes[i] + units[i];
            }
        }
        return ms + "ms";
    }

    /**
     * The readable block printed once at start and by {@code formica config show}: one line per setting, its value
     * and where it came from (flags over environment over file over defaults).
     */
    public String describe() {
        StringBuilder b = new StringBuilder("configuration (flags > environment FORMICA_* > file > defaults):\n");
        Map<String, String> values = values();
        int width = Math.min(48, values.values().stream().mapToInt(String::length).max().orElse(0));
        String line = "  %-24s %-" + width + "s  %s%n";
        values.forEach((key, value) -> b.append(String.format(Locale.ROOT, line, key, value, sourceOf(key))));
        return b.toString();
    }

    private void setList(String key, List<String> values) {
        Settings.byKey(key).listSetter().accept(this, values);
    }

    static boolean parseBoolean(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("not true or false: " + value);
        };
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 15m}, {@code 24h}, {@code 1d} or ISO-8601 ({@code PT15M}). */
    public static Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("p")) {
            return Duration.parse(text.trim());
        }
        int split = 0;
        while (split < s.length() && Character.isDigit(s.charAt(split))) {
            split++;
        }
        if (split == 0) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        long amount = Long.parseLong(s.substring(0, split));
        return switch (s.substring(split)) {
            case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1000L));
            case "ms" -> Duration.ofMillis(amount);
            case "s", "" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> throw new IllegalArgumentException("unknown duration unit in " + text
                    + " (use us, ms, s, m, h, d)");
        };
    }

    /**
     * Checks the settings together and fills in derived defaults. Call once before use.
     *
     * @throws IllegalStateException naming the setting to change when settings conflict
     */
    public EngineConfiguration conclude() {
        if (concluded) {
            return this;
        }
        requireThat(port >= 0 && port <= 65535, "port must be 0..65535 (0 = any free port), was " + port);
        requireThat(metricsPort >= -1 && metricsPort <= 65535,
                "metricsPort must be -1 (off), 0 (any free port) or 1..65535, was " + metricsPort);
        requireThat(metricsPort <= 0 || metricsPort != port,
                "metricsPort " + metricsPort + " is the same as port: choose another metrics port");
        requireThat(maxInboundMessageBytes >= 1024, "maxInboundMessageBytes must be >= 1024");
        requireThat(!keepAliveTimeout.isNegative() && !keepAliveTimeout.isZero(), "keepAliveTimeout must be > 0");
        requireThat(keepAliveTime.compareTo(permitKeepAliveTime) >= 0,
                "keepAliveTime (" + keepAliveTime + ") is shorter than permitKeepAliveTime ("
                        + permitKeepAliveTime + "): clients configured like the server would be disconnected; "
                        + "raise keepAliveTime or lower permitKeepAliveTime");
        requireThat(!drainTimeout.isNegative(), "drainTimeout must be >= 0");
        if (shards == 0) {
            shards = Math.min(MAX_SHARDS, Runtime.getRuntime().availableProcessors());
        }
        // Every limit another class enforces is checked here too, before any file of the data directory exists.
        requireThat(shards >= 1 && shards <= MAX_SHARDS, "shards must be 1.." + MAX_SHARDS + ", was " + shards);
        requireThat(queueCapacity >= 16 && Integer.bitCount(queueCapacity) == 1,
                "queueCapacity must be a power of two >= 16, was " + queueCapacity);
        requireThat(holdTtl.toMillis() >= 1000, "holdTtl must be at least 1s, was " + holdTtl);
        requireThat(idempotencyWindow.compareTo(holdTtl) >= 0,
                "idempotencyWindow (" + idempotencyWindow + ") must not be shorter than holdTtl (" + holdTtl
                        + "): a retried Decide could reserve twice; raise idempotencyWindow");
        requireThat(expectedBorrowers >= 1000, "expectedBorrowers must be >= 1000");
        requireThat(expectedDecisionsPerDay >= 1000, "expectedDecisionsPerDay must be >= 1000");
        requireThat(currency.matches("[A-Z]{3}"), "currency must be an ISO 4217 code like CNY, was " + currency);
        requireThat(profileCacheEntries >= 0, "profileCacheEntries must be >= 0, was " + profileCacheEntries);
        try {
            java.time.ZoneId.of(timeZone);
        } catch (java.time.DateTimeException e) {
            requireThat(false, "timeZone '" + timeZone + "' is not a time zone id (e.g. Asia/Shanghai)");
        }
        requireThat(rulesFile == null || java.nio.file.Files.isRegularFile(rulesFile), "rulesFile " + rulesFile
                + " does not exist");
        requireThat(regulatoryFile == null || java.nio.file.Files.isRegularFile(regulatoryFile), "regulatoryFile "
                + regulatoryFile + " does not exist");
        String marketProblem = MarketSetting.problem(markets);
        requireThat(marketProblem == null, marketProblem);
        for (String perMarket : List.of("currency", "timeZone", "regulatoryFile", "rulesFile")) {
            requireThat(markets.isEmpty() || !sources.containsKey(perMarket), perMarket + " is set beside markets:"
                    + " with markets, each market names its own (currency, timeZone, regulatory, rules)");
        }
        requireThat(velocityKeys >= 1 && velocityKeys <= VelocityWindows.MAX_KEYS, "velocityKeys must be 1.."
                + VelocityWindows.MAX_KEYS + ", was " + velocityKeys);
        requireThat(concentrationKeys >= 64 && concentrationKeys <= MAX_CONCENTRATION_KEYS, "concentrationKeys must be"
                + " 64.." + MAX_CONCENTRATION_KEYS + ", was " + concentrationKeys);
        requireThat(eventLoopThreads >= 0, "eventLoopThreads must be >= 0 (0 = 2 per core)");
        requireThat(shardPortBase >= 0 && shardPortBase <= 65535 - MAX_SHARDS,
                "shardPortBase must be 0 (any free ports) or 1.." + (65535 - MAX_SHARDS) + ", was " + shardPortBase);
        requireThat(!loopShedLag.isNegative(), "loopShedLag must be >= 0 (0 = off)");
        if (clusterReplication != Replication.OFF && !shardModeSet) {
            shardMode = ShardMode.DEDICATED; // the default LOOP does not apply: a replicated shard runs on its group
        }
        requireThat(shardMode != ShardMode.LOOP || clusterReplication == Replication.OFF,
                "shardMode LOOP does not combine with clusterReplication: ratis (a replicated shard runs on its"
                        + " Raft group's threads); use shardMode DEDICATED or CALLER_DRAINS, or leave shardMode"
                        + " unset (a replicated node then runs DEDICATED)");
        requireThat(!maxQueueDelay.isNegative(), "maxQueueDelay must be >= 0 (0 = off)");
        requireThat(maxInFlightDecisions >= 0, "maxInFlightDecisions must be >= 0 (0 = off), was "
                + maxInFlightDecisions);
        requireThat(admissionLimit == AdmissionLimit.FIXED || maxInFlightDecisions > 0,
                "admissionLimit ADAPTIVE needs maxInFlightDecisions >= 1 (its floor), was 0 (off)");
        requireThat(admissionLimit == AdmissionLimit.FIXED
                        || admissionLimitMax >= maxInFlightDecisions && admissionLimitMax <= 100_000,
                "admissionLimitMax must be maxInFlightDecisions (" + maxInFlightDecisions + ")..100000, was "
                        + admissionLimitMax);
        requireThat(!shedRetryDelay.isNegative() && shedRetryDelay.toMillis() <= 60_000,
                "shedRetryDelay must be 0..60s, was " + shedRetryDelay);
        concludeSecurity();
        requireThat(latencyInterval.toMillis() >= 1000 && latencyInterval.toMillis() % 1000 == 0,
                "latencyInterval must be whole seconds, at least 1s (the sampler ticks once a second), was "
                        + latencyInterval);
        requireThat(latencyLogMaxBytes >= 0, "latencyLogMaxBytes must be >= 0 (0 = no .hlog files)");
        requireThat(latencyLogMaxAge.compareTo(latencyInterval) >= 0,
                "latencyLogMaxAge (" + latencyLogMaxAge + ") must be at least latencyInterval (" + latencyInterval
                        + ")");
        requireThat(latencyLogFiles >= 1, "latencyLogFiles must be >= 1");
        requireThat(!snapshotInterval.isNegative(), "snapshotInterval must be >= 0 (0 = no periodic snapshots), was "
                + snapshotInterval);
        requireThat(!groupCommitInterval.isNegative() && groupCommitInterval.compareTo(Duration.ofMillis(100)) <= 0,
                "groupCommitInterval must be between 0 and 100ms, was " + groupCommitInterval);
        requireThat(groupCommitSiblings >= 0 && groupCommitSiblings <= 10_000,
                "groupCommitSiblings must be between 0 and 10000, was " + groupCommitSiblings);
        requireThat(journalRetention.toMinutes() >= 60, "journalRetention must be at least 1h, was "
                + journalRetention);
        concludeCluster();
        concludeClusterPeers();
        requireThat(tracingSampleRatio >= 0 && tracingSampleRatio <= 1, "tracingSampleRatio must be 0..1, was "
                + tracingSampleRatio);
        requireThat(otlpEndpoint.matches("https?://[^/\\s]+:[0-9]{1,5}/?"), "otlpEndpoint must be http://HOST:PORT"
                + " (or https://) of an OTLP/HTTP receiver, was '" + otlpEndpoint + "'");
        concluded = true;
        return this;
    }

    private void concludeCluster() {
        if (clusterNodes.isEmpty()) {
            requireThat(clusterNodeId == 0, "clusterNodeId " + clusterNodeId + " is set without clusterNodes: list"
                    + " the nodes (host:port each, the same list on every node) or drop clusterNodeId");
            requireThat(clusterReplication == Replication.OFF && clusterRaftNodes.isEmpty(), "clusterReplication"
                    + " and clusterRaftNodes need clusterNodes: list the nodes (host:port each, the same list on every"
                    + " node)");
            return;
        }
        requireThat(clusterNodes.size() <= 256, "clusterNodes lists " + clusterNodes.size() + " nodes; at most 256");
        requireThat(clusterNodeId >= 0 && clusterNodeId < clusterNodes.size(), "clusterNodeId must be this node's"
                + " position in clusterNodes, 0.." + (clusterNodes.size() - 1) + ", was " + clusterNodeId);
        for (String node : clusterNodes) {
            requireThat(node.matches("[A-Za-z0-9._\\-\\[\\]:]+:[0-9]{1,5}"), "clusterNodes entry '" + node
                    + "' is not host:port (the address clients dial)");
        }
        requireThat(clusterNodes.stream().distinct().count() == clusterNodes.size(),
                "clusterNodes lists an address twice: " + clusterNodes);
        concludeReplication();
    }

    /** Replication (docs/cluster.md): the Raft addresses, and one shard per group the node hosts. */
    private void concludeReplication() {
        requireThat(clusterSnapshotEntries >= 0, "clusterSnapshotEntries must be >= 0 (0 = no snapshots of a group),"
                + " was " + clusterSnapshotEntries);
        requireThat(clusterLogSegmentBytes >= MIN_CLUSTER_LOG_SEGMENT_BYTES && clusterLogSegmentBytes <= 1L << 30,
                "clusterLogSegmentBytes must be " + MIN_CLUSTER_LOG_SEGMENT_BYTES + ".." + (1L << 30) + ", was "
                + clusterLogSegmentBytes);
        if (clusterReplication == Replication.OFF) {
            requireThat(clusterRaftNodes.isEmpty(), "clusterRaftNodes is set without clusterReplication: ratis");
            requireThat(clusterGroups == 0 && clusterJoin.isEmpty(), "clusterGroups and clusterJoin need"
                    + " clusterReplication: ratis");
            return;
        }
        requireThat(clusterRaftNodes.size() == clusterNodes.size(), "clusterRaftNodes must list one Raft address per"
                + " node of clusterNodes, in the same order (" + clusterNodes.size() + "), was "
                + clusterRaftNodes.size());
        for (String node : clusterRaftNodes) {
            requireThat(node.matches("[A-Za-z0-9._\\-\\[\\]:]+:[0-9]{1,5}"), "clusterRaftNodes entry '" + node
                    + "' is not host:port");
        }
        requireThat(clusterRaftNodes.stream().distinct().count() == clusterRaftNodes.size(),
                "clusterRaftNodes lists an address twice: " + clusterRaftNodes);
        int groups = clusterGroups();
        requireThat(clusterGroups >= 0 && groups <= clusterNodes.size(), "clusterGroups must be 1.."
                + clusterNodes.size() + " (at most one group per node of clusterNodes; 0 = as many as the nodes), was "
                + clusterGroups);
        int initial = clusterNodeId < groups ? Math.min(3, groups) : 0;
        for (String entry : clusterJoin) {
            requireThat(entry.matches("[0-9]{1,3}"), "clusterJoin entry '" + entry + "' is not a group id");
        }
        for (int g : clusterJoin()) {
            requireThat(g >= 0 && g < groups, "clusterJoin lists group " + g + ", not a group of this cluster (0.."
                    + (groups - 1) + ")");
            requireThat(initial == 0 || Math.floorMod(clusterNodeId - g, groups) >= initial, "clusterJoin lists"
                    + " group " + g + ", which node " + clusterNodeId + " hosts already");
        }
        requireThat(clusterJoin().stream().distinct().count() == clusterJoin.size(), "clusterJoin lists a group twice: "
                + clusterJoin);
        requireThat(initial + clusterJoin.size() > 0, "node " + clusterNodeId + " hosts no group: a node added to"
                + " a cluster of " + groups + " groups lists the groups it joins in clusterJoin (docs/cluster.md,"
                + " \"Adding a node\")");
        shards = initial + clusterJoin.size();
    }

    /**
     * The velocity exchange's credentials (docs/cluster.md, "Velocity across nodes"): only where the exchange runs,
     * each with the transport it needs, and required once callers must authenticate, so that the exchange is never
     * open to a checkout caller's credentials nor silently off.
     */
    private void concludeClusterPeers() {
        boolean any = clusterPeerCa != null || !clusterPeerSubjects.isEmpty() || clusterPeerTokenFile != null;
        requireThat(!any || velocityExchange(), "clusterPeerCa, clusterPeerSubjects and clusterPeerTokenFile are the"
                + " velocity exchange's, which runs between the nodes of a cluster without replication (clusterNodes"
                + " of 2 or more, clusterReplication off): drop them");
        requireThat(clusterPeerCa == null || tls(), "clusterPeerCa is the CA of the peers' TLS server certificates:"
                + " set tlsCertChain and tlsPrivateKey too, or drop it");
        requireThat(clusterPeerSubjects.isEmpty() || clientAuth != ClientAuth.NONE, "clusterPeerSubjects name the"
                + " nodes' client certificates: set tlsClientCa and clientAuth OPTIONAL or REQUIRE");
        requireThat(!decisionAuthRequired || !velocityExchange() || clusterPeerAuthentication(), "decisionAuthRequired"
                + " on a cluster without replication needs the nodes' own credentials for the velocity exchange: set"
                + " clusterPeerTokenFile (the same owner-only file on every node), or clusterPeerSubjects (the nodes'"
                + " certificate subjects, with mutual TLS)");
        requireThat(clusterPeerTokenFile == null || tls() || isLoopback(host) && clusterNodes.stream()
                .allMatch(n -> isLoopback(n.substring(0, n.lastIndexOf(':')))), "clusterPeerTokenFile over"
                + " plaintext would send the node token across the network in clear: set tlsCertChain and"
                + " tlsPrivateKey (TLS between the nodes too), or keep host and every clusterNodes entry on loopback");
    }

    /** Whether the nodes exchange device, IP and merchant velocity: a cluster of 2 or more without replication. */
    public boolean velocityExchange() {
        return clusterNodes.size() >= 2 && clusterReplication == Replication.OFF;
    }

    /** Whether the velocity exchange takes only the nodes' own credentials: a peer token file or peer subjects. */
    public boolean clusterPeerAuthentication() {
        return clusterPeerTokenFile != null || !clusterPeerSubjects.isEmpty();
    }

    private void concludeSecurity() {
        requireThat((tlsCertChain == null) == (tlsPrivateKey == null),
                "tlsCertChain and tlsPrivateKey go together: set both (TLS) or neither (plaintext)");
        requireThat(tlsClientCa == null || tlsCertChain != null,
                "tlsClientCa needs TLS: set tlsCertChain and tlsPrivateKey too");
        requireThat(clientAuth == ClientAuth.NONE || tlsClientCa != null,
                "clientAuth " + clientAuth + " needs tlsClientCa, the CA that signs client certificates");
        requireThat(tlsClientCa == null || clientAuth != ClientAuth.NONE,
                "tlsClientCa is set but clientAuth is NONE: set clientAuth to OPTIONAL or REQUIRE");
        concludeAdminPort();
        requireThat(adminSubjects.isEmpty() || clientAuth != ClientAuth.NONE || adminPort >= 0,
                "adminSubjects name client certificates: set tlsClientCa and clientAuth OPTIONAL or REQUIRE, or an "
                        + "adminPort (mutual TLS)");
        requireThat(callerSubjects.isEmpty() || clientAuth != ClientAuth.NONE,
                "callerSubjects name client certificates: set tlsClientCa and clientAuth OPTIONAL or REQUIRE");
        requireThat(!decisionAuthRequired || callerTokenFile != null || clientAuth != ClientAuth.NONE,
                "decisionAuthRequired needs a way to authenticate callers: set callerTokenFile, or "
                        + "tlsClientCa with clientAuth OPTIONAL or REQUIRE");
        // admin tokens taken only from loopback peers never need to cross the network: allowed on a plaintext port
        boolean tokens = adminTokenFile != null && !adminTokenLoopbackOnly || callerTokenFile != null;
        requireThat(!tokens || tlsCertChain != null || isLoopback(host),
                "bearer tokens over plaintext would cross the network in clear: bind host to loopback, "
                        + "set tlsCertChain and tlsPrivateKey, or (admin tokens only) set adminTokenLoopbackOnly");
    }

    private void concludeAdminPort() {
        requireThat(adminPort >= -1 && adminPort <= 65535,
                "adminPort must be -1 (off), 0 (any free port) or 1..65535, was " + adminPort);
        boolean files = adminTlsCertChain != null && adminTlsPrivateKey != null && adminTlsClientCa != null;
        boolean anyFile = adminTlsCertChain != null || adminTlsPrivateKey != null || adminTlsClientCa != null;
        requireThat(adminPort < 0 || files, "adminPort speaks mutual TLS only: set adminTlsCertChain, "
                + "adminTlsPrivateKey and adminTlsClientCa (the CA that signs admin client certificates)");
        requireThat(adminPort >= 0 || !anyFile, "adminTlsCertChain, adminTlsPrivateKey and adminTlsClientCa are "
                + "for the adminPort listener: set adminPort too");
        requireThat(adminPort <= 0 || adminPort != port && adminPort != metricsPort,
                "adminPort " + adminPort + " is the same as port or metricsPort: choose another admin port");
        requireThat(adminPort <= 0 || shardPortBase == 0 || adminPort < shardPortBase
                || adminPort >= shardPortBase + shards, "adminPort " + adminPort + " is one of the shard ports ("
                + shardPortBase + ".." + (shardPortBase + shards - 1) + "): choose another admin port");
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("[::1]")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    /** Whether the server speaks TLS. */
    public boolean tls() {
        return tlsCertChain != null;
    }

    private static void requireThat(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("configuration: " + message);
        }
    }

    private void checkMutable() {
        if (concluded) {
            throw new IllegalStateException("configuration is concluded and can no longer change");
        }
    }

    public EngineConfiguration host(String host) {
        checkMutable();
        this.host = Objects.requireNonNull(host, "host");
        return this;
    }

    public EngineConfiguration port(int port) {
        checkMutable();
        this.port = port;
        return this;
    }

    public EngineConfiguration dataDir(Path dataDir) {
        checkMutable();
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        return this;
    }

    public EngineConfiguration metricsPort(int metricsPort) {
        checkMutable();
        this.metricsPort = metricsPort;
        return this;
    }

    public EngineConfiguration maxInboundMessageBytes(int bytes) {
        checkMutable();
        this.maxInboundMessageBytes = bytes;
        return this;
    }

    public EngineConfiguration keepAliveTime(Duration d) {
        checkMutable();
        this.keepAliveTime = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration keepAliveTimeout(Duration d) {
        checkMutable();
        this.keepAliveTimeout = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration permitKeepAliveTime(Duration d) {
        checkMutable();
        this.permitKeepAliveTime = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration drainTimeout(Duration d) {
        checkMutable();
        this.drainTimeout = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration shards(int shards) {
        checkMutable();
        this.shards = shards;
        return this;
    }

    public EngineConfiguration queueCapacity(int capacity) {
        checkMutable();
        this.queueCapacity = capacity;
        return this;
    }

    public EngineConfiguration holdTtl(Duration d) {
        checkMutable();
        this.holdTtl = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration idempotencyWindow(Duration d) {
        checkMutable();
        this.idempotencyWindow = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration expectedBorrowers(long n) {
        checkMutable();
        this.expectedBorrowers = n;
        return this;
    }

    public EngineConfiguration expectedDecisionsPerDay(long n) {
        checkMutable();
        this.expectedDecisionsPerDay = n;
        return this;
    }

    public EngineConfiguration currency(String currency) {
        checkMutable();
        this.currency = Objects.requireNonNull(currency);
        return this;
    }

    public EngineConfiguration concentrationKeys(int keys) {
        checkMutable();
        this.concentrationKeys = keys;
        return this;
    }

    public EngineConfiguration velocityKeys(int keys) {
        checkMutable();
        this.velocityKeys = keys;
        return this;
    }

    /** A rule-set file published and activated at start-up (null = keep the active one, or the default). */
    public EngineConfiguration rulesFile(Path file) {
        checkMutable();
        this.rulesFile = file;
        return this;
    }

    /** The regulatory parameter file (null = the one shipped on the class path). */
    public EngineConfiguration regulatoryFile(Path file) {
        checkMutable();
        this.regulatoryFile = file;
        return this;
    }

    public EngineConfiguration timeZone(String zone) {
        checkMutable();
        this.timeZone = Objects.requireNonNull(zone);
        return this;
    }

    public EngineConfiguration profileCacheEntries(long entries) {
        checkMutable();
        this.profileCacheEntries = entries;
        return this;
    }

    public Path rulesFile() {
        return rulesFile;
    }

    public Path regulatoryFile() {
        return regulatoryFile;
    }

    public String timeZone() {
        return timeZone;
    }

    /**
     * The markets served, the first the default (a request or profile with no market is in it); empty = one market
     * made of {@link #currency()}, {@link #timeZone()}, {@link #regulatoryFile()} and {@link #rulesFile()}.
     */
    public List<MarketSetting> markets() {
        return markets;
    }

    public EngineConfiguration markets(List<MarketSetting> list) {
        checkMutable();
        this.markets = List.copyOf(list);
        return this;
    }

    public long profileCacheEntries() {
        return profileCacheEntries;
    }

    public EngineConfiguration eventLoopThreads(int threads) {
        checkMutable();
        this.eventLoopThreads = threads;
        return this;
    }

    public EngineConfiguration shardMode(ShardMode mode) {
        checkMutable();
        this.shardMode = Objects.requireNonNull(mode);
        this.shardModeSet = true;
        return this;
    }

    /** PEM certificate chain of the server (TLS on when set, with {@link #tlsPrivateKey}). */
    public EngineConfiguration tlsCertChain(Path file) {
        checkMutable();
        this.tlsCertChain = file;
        return this;
    }

    /** PEM PKCS#8 private key of the server certificate; keep it owner-only. */
    public EngineConfiguration tlsPrivateKey(Path file) {
        checkMutable();
        this.tlsPrivateKey = file;
        return this;
    }

    /** PEM CA certificate(s) that sign client certificates (mutual TLS). */
    public EngineConfiguration tlsClientCa(Path file) {
        checkMutable();
        this.tlsClientCa = file;
        return this;
    }

    /**
     * A second gRPC listener on {@code host} that speaks only mutual TLS: a handshake needs a client certificate
     * signed by {@link #adminTlsClientCa}. It serves what the main port serves, with the same authentication, so an
     * operator on another machine administers by a certificate in {@link #adminSubjects} while the main port stays
     * plaintext (Kubernetes' gRPC probes); -1 = none, 0 = any free port.
     */
    public EngineConfiguration adminPort(int port) {
        checkMutable();
        this.adminPort = port;
        return this;
    }

    /** PEM certificate chain of the {@link #adminPort} listener. */
    public EngineConfiguration adminTlsCertChain(Path file) {
        checkMutable();
        this.adminTlsCertChain = file;
        return this;
    }

    /** PEM PKCS#8 private key of the {@link #adminPort} listener's certificate. */
    public EngineConfiguration adminTlsPrivateKey(Path file) {
        checkMutable();
        this.adminTlsPrivateKey = file;
        return this;
    }

    /** PEM CA certificate(s) that sign the client certificates the {@link #adminPort} listener requires. */
    public EngineConfiguration adminTlsClientCa(Path file) {
        checkMutable();
        this.adminTlsClientCa = file;
        return this;
    }

    public EngineConfiguration clientAuth(ClientAuth mode) {
        checkMutable();
        this.clientAuth = Objects.requireNonNull(mode);
        return this;
    }

    /** Client certificate subjects (X.500 DNs, e.g. {@code CN=ops,O=Example}) allowed to call AdminService. */
    public EngineConfiguration adminSubjects(List<String> subjects) {
        checkMutable();
        this.adminSubjects = List.copyOf(subjects);
        return this;
    }

    /** A file of bearer tokens (one a line) allowed to call AdminService; must be owner-only. */
    public EngineConfiguration adminTokenFile(Path file) {
        checkMutable();
        this.adminTokenFile = file;
        return this;
    }

    /**
     * Whether an admin bearer token is taken only from a call whose peer is a loopback address (an operator on the
     * server's machine or in its pod: {@code kubectl exec}); a plaintext server on another address may then have
     * admin tokens (and {@code formica serve} makes the local one in the data directory).
     */
    public EngineConfiguration adminTokenLoopbackOnly(boolean loopbackOnly) {
        checkMutable();
        this.adminTokenLoopbackOnly = loopbackOnly;
        return this;
    }

    /** Whether DecisionService, ProfileService and DiagnosticsService need an authenticated caller. */
    public EngineConfiguration decisionAuthRequired(boolean required) {
        checkMutable();
        this.decisionAuthRequired = required;
        return this;
    }

    /** Client certificate subjects allowed as callers; empty = any certificate signed by tlsClientCa. */
    public EngineConfiguration callerSubjects(List<String> subjects) {
        checkMutable();
        this.callerSubjects = List.copyOf(subjects);
        return this;
    }

    /** A file of bearer tokens (one a line) allowed as callers; must be owner-only. */
    public EngineConfiguration callerTokenFile(Path file) {
        checkMutable();
        this.callerTokenFile = file;
        return this;
    }

    /** Shed a request (RESOURCE_EXHAUSTED) that waited longer than this in its shard queue; 0 = off. */
    public EngineConfiguration maxQueueDelay(Duration d) {
        checkMutable();
        this.maxQueueDelay = Objects.requireNonNull(d);
        return this;
    }

    public Duration maxQueueDelay() {
        return maxQueueDelay;
    }

    /**
     * At most this many Decide calls in the server at once; more are answered RESOURCE_EXHAUSTED at call
     * start, before parsing. 0 = off.
     */
    public EngineConfiguration maxInFlightDecisions(int calls) {
        checkMutable();
        this.maxInFlightDecisions = calls;
        return this;
    }

    public int maxInFlightDecisions() {
        return maxInFlightDecisions;
    }

    /** FIXED: {@code maxInFlightDecisions} slots; ADAPTIVE: from there up to {@code admissionLimitMax}, by latency. */
    public EngineConfiguration admissionLimit(AdmissionLimit mode) {
        checkMutable();
        this.admissionLimit = Objects.requireNonNull(mode);
        return this;
    }

    public AdmissionLimit admissionLimit() {
        return admissionLimit;
    }

    /** The most Decide calls {@code admissionLimit: ADAPTIVE} admits at once. */
    public EngineConfiguration admissionLimitMax(int calls) {
        checkMutable();
        this.admissionLimitMax = calls;
        return this;
    }

    public int admissionLimitMax() {
        return admissionLimitMax;
    }

    /**
     * The retry delay a shedding refusal (RESOURCE_EXHAUSTED) carries in its RetryInfo and
     * {@code grpc-retry-pushback-ms} trailer.
     */
    public EngineConfiguration shedRetryDelay(Duration d) {
        checkMutable();
        this.shedRetryDelay = Objects.requireNonNull(d);
        return this;
    }

    public Duration shedRetryDelay() {
        return shedRetryDelay;
    }

    public Path tlsCertChain() {
        return tlsCertChain;
    }

    public Path tlsPrivateKey() {
        return tlsPrivateKey;
    }

    public Path tlsClientCa() {
        return tlsClientCa;
    }

    public ClientAuth clientAuth() {
        return clientAuth;
    }

    public int adminPort() {
        return adminPort;
    }

    public Path adminTlsCertChain() {
        return adminTlsCertChain;
    }

    public Path adminTlsPrivateKey() {
        return adminTlsPrivateKey;
    }

    public Path adminTlsClientCa() {
        return adminTlsClientCa;
    }

    public List<String> adminSubjects() {
        return adminSubjects;
    }

    public Path adminTokenFile() {
        return adminTokenFile;
    }

    public boolean adminTokenLoopbackOnly() {
        return adminTokenLoopbackOnly;
    }

    public boolean decisionAuthRequired() {
        return decisionAuthRequired;
    }

    public List<String> callerSubjects() {
        return callerSubjects;
    }

    public Path callerTokenFile() {
        return callerTokenFile;
    }

    public EngineConfiguration latencyRecording(boolean on) {
        checkMutable();
        this.latencyRecording = on;
        return this;
    }

    public EngineConfiguration latencyInterval(Duration d) {
        checkMutable();
        this.latencyInterval = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration latencyLogMaxBytes(long bytes) {
        checkMutable();
        this.latencyLogMaxBytes = bytes;
        return this;
    }

    public EngineConfiguration latencyLogMaxAge(Duration d) {
        checkMutable();
        this.latencyLogMaxAge = Objects.requireNonNull(d);
        return this;
    }

    public EngineConfiguration latencyLogFiles(int files) {
        checkMutable();
        this.latencyLogFiles = files;
        return this;
    }

    public boolean latencyRecording() {
        return latencyRecording;
    }

    public Duration latencyInterval() {
        return latencyInterval;
    }

    public long latencyLogMaxBytes() {
        return latencyLogMaxBytes;
    }

    public Duration latencyLogMaxAge() {
        return latencyLogMaxAge;
    }

    public int latencyLogFiles() {
        return latencyLogFiles;
    }

    /** Journal every decision under {@code <dataDir>/journal/shard-k/} (docs/backtest-and-stress.md). */
    public EngineConfiguration journalEnabled(boolean enabled) {
        checkMutable();
        this.journalEnabled = enabled;
        return this;
    }

    /** Journal segments whose every decision is older than this are deleted (at least 1h). */
    public EngineConfiguration journalRetention(Duration d) {
        checkMutable();
        this.journalRetention = Objects.requireNonNull(d);
        return this;
    }

    public boolean journalEnabled() {
        return journalEnabled;
    }

    /**
     * When an answer may leave: {@code FSYNC} (after its shard-log frame is on the disk; survives power loss) or
     * {@code PROCESS} (after the frame is handed to the kernel; survives {@code kill -9}).
     */
    public EngineConfiguration durability(dev.formica.engine.log.Durability d) {
        checkMutable();
        this.durability = Objects.requireNonNull(d);
        return this;
    }

    public dev.formica.engine.log.Durability durability() {
        return durability;
    }

    /** How often each shard's state is snapshotted; {@code 0} = never (restart then replays the whole log). */
    public EngineConfiguration snapshotInterval(Duration d) {
        checkMutable();
        this.snapshotInterval = Objects.requireNonNull(d);
        return this;
    }

    public Duration snapshotInterval() {
        return snapshotInterval;
    }

    /** Whether each shard's snapshot scratch copy is kept between snapshots ({@link SnapshotScratch}). */
    public EngineConfiguration snapshotScratch(SnapshotScratch s) {
        checkMutable();
        this.snapshotScratch = Objects.requireNonNull(s);
        return this;
    }

    public SnapshotScratch snapshotScratch() {
        return snapshotScratch;
    }

    /**
     * {@code fsync} mode: a round of the log writer's {@code fdatasync}s may wait until this long after the previous
     * one started ({@code 0} = never: as soon as it ended), every round with {@link #groupCommitSiblings} 0, else
     * only when there is company; an idle log's frame is synced at once.
     */
    public EngineConfiguration groupCommitInterval(Duration d) {
        checkMutable();
        this.groupCommitInterval = Objects.requireNonNull(d);
        return this;
    }

    public Duration groupCommitInterval() {
        return groupCommitInterval;
    }

    /**
     * {@code fsync} mode with a {@link #groupCommitInterval}: {@code 0} = every round waits for the interval; else a
     * round waits (at most the interval) only while the recent rate brings this many batches of answers within the
     * interval, and ends early once four times as many wait ({@code dev.formica.engine.log.CommitDelay}).
     */
    public EngineConfiguration groupCommitSiblings(int siblings) {
        checkMutable();
        this.groupCommitSiblings = siblings;
        return this;
    }

    public int groupCommitSiblings() {
        return groupCommitSiblings;
    }

    /** {@code fsync} with {@code shardMode: LOOP}: which thread writes and syncs each shard's log. */
    public EngineConfiguration logSync(LogSync sync) {
        checkMutable();
        this.logSync = Objects.requireNonNull(sync);
        return this;
    }

    public LogSync logSync() {
        return logSync;
    }

    /**
     * The nodes of the cluster, {@code host:port} as clients dial them, in the same order on every node; node
     * {@code i} of {@code n} owns partitions {@code p} with {@code p * n / 256 == i}. Empty (the default) = this
     * node alone owns every partition. docs/cluster.md
     */
    public EngineConfiguration clusterNodes(List<String> nodes) {
        checkMutable();
        this.clusterNodes = List.copyOf(nodes);
        return this;
    }

    public List<String> clusterNodes() {
        return clusterNodes;
    }

    /** This node's position in {@link #clusterNodes()}; 0 by default. */
    public EngineConfiguration clusterNodeId(int id) {
        checkMutable();
        this.clusterNodeId = id;
        return this;
    }

    /** {@code auto} (text on a terminal, JSON lines otherwise), {@code json} or {@code text}. */
    public EngineConfiguration logFormat(dev.formica.engine.logging.LogFormat format) {
        checkMutable();
        this.logFormat = Objects.requireNonNull(format, "logFormat");
        return this;
    }

    public dev.formica.engine.logging.LogFormat logFormat() {
        return logFormat;
    }

    /** OpenTelemetry spans of the gRPC calls, exported by OTLP (default off: no span is made). */
    public EngineConfiguration tracing(boolean on) {
        checkMutable();
        this.tracing = on;
        return this;
    }

    public boolean tracing() {
        return tracing;
    }

    /** The share of calls traced when the caller sent no sampling decision (a traceparent's decides). */
    public EngineConfiguration tracingSampleRatio(double ratio) {
        checkMutable();
        this.tracingSampleRatio = ratio;
        return this;
    }

    public double tracingSampleRatio() {
        return tracingSampleRatio;
    }

    /** Where spans go: an OTLP/HTTP receiver, {@code http://HOST:PORT} ({@code /v1/traces} is added). */
    public EngineConfiguration otlpEndpoint(String endpoint) {
        checkMutable();
        this.otlpEndpoint = Objects.requireNonNull(endpoint, "otlpEndpoint").strip();
        return this;
    }

    public String otlpEndpoint() {
        return otlpEndpoint;
    }

    public int clusterNodeId() {
        return clusterNodeId;
    }

    /** Whether the shard logs are replicated, and by what (docs/cluster.md, "Replication"). */
    public enum Replication {
        OFF, RATIS;

        /** {@code off} or {@code ratis}, any case. */
        public static Replication parse(String text) {
            for (Replication r : values()) {
                if (r.name().equalsIgnoreCase(text.trim())) {
                    return r;
                }
            }
            throw new IllegalArgumentException("clusterReplication must be off or ratis, was '" + text + "'");
        }
    }

    public EngineConfiguration clusterReplication(Replication replication) {
        checkMutable();
        this.clusterReplication = Objects.requireNonNull(replication);
        return this;
    }

    public Replication clusterReplication() {
        return clusterReplication;
    }

    /** The nodes' Raft addresses, index = node id (with {@link Replication#RATIS}). */
    public EngineConfiguration clusterRaftNodes(List<String> nodes) {
        checkMutable();
        this.clusterRaftNodes = List.copyOf(nodes);
        return this;
    }

    public List<String> clusterRaftNodes() {
        return clusterRaftNodes;
    }

    /** Raft entries a group applies between two of its snapshots (0 = none; docs/cluster.md, "Snapshots"). */
    public EngineConfiguration clusterSnapshotEntries(long entries) {
        checkMutable();
        this.clusterSnapshotEntries = entries;
        return this;
    }

    public long clusterSnapshotEntries() {
        return clusterSnapshotEntries;
    }

    /** The size of a group's Raft log segment: the unit a purge after a snapshot deletes. */
    public EngineConfiguration clusterLogSegmentBytes(long bytes) {
        checkMutable();
        this.clusterLogSegmentBytes = bytes;
        return this;
    }

    public long clusterLogSegmentBytes() {
        return clusterLogSegmentBytes;
    }

    /**
     * The cluster's Raft groups, fixed data of the cluster (docs/cluster.md, "Adding a node"): 0 = as many as
     * {@code clusterNodes}, the layout before groups and nodes were told apart.
     */
    public EngineConfiguration clusterGroups(int groups) {
        checkMutable();
        this.clusterGroups = groups;
        return this;
    }

    /** {@code clusterGroups} as set (0 = as many as the nodes): what {@code config show} prints. */
    public int clusterGroupsSetting() {
        return clusterGroups;
    }

    /** The group count this node runs with: {@code clusterGroups}, or the node count when that is 0. */
    public int clusterGroups() {
        return clusterGroups > 0 ? clusterGroups : clusterNodes.size();
    }

    /** The groups this node joins as a new member beyond the ones the layout gives it (ids or their text). */
    public EngineConfiguration clusterJoin(List<?> groups) {
        checkMutable();
        this.clusterJoin = groups.stream().map(g -> String.valueOf(g).strip()).toList(); // checked by conclude
        return this;
    }

    /**
     * PEM CA(s) the velocity exchange trusts for its peers' TLS server certificates; null = {@code tlsClientCa} when
     * set (with mutual TLS a node's certificate is its client certificate to its peers, so the CA of the client
     * certificates signs the peers' server certificates), else the JVM's default trust store.
     */
    public EngineConfiguration clusterPeerCa(Path file) {
        checkMutable();
        this.clusterPeerCa = file;
        return this;
    }

    public Path clusterPeerCa() {
        return clusterPeerCa;
    }

    /** Client certificate subjects of the cluster's nodes: the only certificates the velocity exchange answers. */
    public EngineConfiguration clusterPeerSubjects(List<String> subjects) {
        checkMutable();
        this.clusterPeerSubjects = List.copyOf(subjects);
        return this;
    }

    public List<String> clusterPeerSubjects() {
        return clusterPeerSubjects;
    }

    /**
     * An owner-only file of node tokens, the same on every node: its first token is what this node sends to its
     * peers' velocity exchange, and any token on it is a peer's; no Decide or admin right comes with one.
     */
    public EngineConfiguration clusterPeerTokenFile(Path file) {
        checkMutable();
        this.clusterPeerTokenFile = file;
        return this;
    }

    public Path clusterPeerTokenFile() {
        return clusterPeerTokenFile;
    }

    /** {@code clusterJoin} as set: what {@code config show} prints. */
    public List<String> clusterJoinEntries() {
        return clusterJoin;
    }

    /** The groups this node joins (after {@link #conclude}: each a group id). */
    public List<Integer> clusterJoin() {
        return clusterJoin.stream().map(Integer::parseInt).toList();
    }

    public Duration journalRetention() {
        return journalRetention;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public int metricsPort() {
        return metricsPort;
    }

    public int maxInboundMessageBytes() {
        return maxInboundMessageBytes;
    }

    public Duration keepAliveTime() {
        return keepAliveTime;
    }

    public Duration keepAliveTimeout() {
        return keepAliveTimeout;
    }

    public Duration permitKeepAliveTime() {
        return permitKeepAliveTime;
    }

    public Duration drainTimeout() {
        return drainTimeout;
    }

    public int shards() {
        return shards;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    public Duration holdTtl() {
        return holdTtl;
    }

    public Duration idempotencyWindow() {
        return idempotencyWindow;
    }

    public long expectedBorrowers() {
        return expectedBorrowers;
    }

    public long expectedDecisionsPerDay() {
        return expectedDecisionsPerDay;
    }

    public String currency() {
        return currency;
    }

    public int velocityKeys() {
        return velocityKeys;
    }

    public int concentrationKeys() {
        return concentrationKeys;
    }

    public Duration loopShedLag() {
        return loopShedLag;
    }

    /** {@code shardMode: LOOP}: calls are shed while a shard's event loop runs more than this late; 0 = never. */
    public EngineConfiguration loopShedLag(Duration lag) {
        this.loopShedLag = Objects.requireNonNull(lag);
        return this;
    }

    public int shardPortBase() {
        return shardPortBase;
    }

    /** {@code shardMode: LOOP}: shard k's own port is {@code base + k}; 0 = any free ports. */
    public EngineConfiguration shardPortBase(int base) {
        this.shardPortBase = base;
        return this;
    }

    public int eventLoopThreads() {
        return eventLoopThreads;
    }

    public ShardMode shardMode() {
        return shardMode;
    }

    @Override
    public String toString() {
        return "EngineConfiguration" + values();
    }
}
