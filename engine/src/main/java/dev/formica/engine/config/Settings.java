package dev.formica.engine.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every setting of the engine, declared once, in the order {@code formica serve} prints them. From this table
 * come the YAML keys and {@code FORMICA_*} variables ({@link EngineConfiguration#fromYaml},
 * {@link EngineConfiguration#applyEnvironment}), the block printed at start and by {@code formica config show}
 * ({@link EngineConfiguration#describe()}), the texts of {@code formica serve --help}, and the settings table of
 * docs/configuration.md ({@link #markdownTable()}, printed by {@code formica config docs}; a test fails when the
 * file differs). A new setting is a field with its setter and getter in {@link EngineConfiguration}, its range
 * check in {@link EngineConfiguration#conclude()}, and one row here.
 */
public final class Settings {
    /** Every setting, in print order. */
    public static final List<Setting> ALL = List.of(
            Setting.of("host", "--host", Setting.Type.TEXT, "`127.0.0.1`",
                    "address to bind; loopback by default",
                    (c, v) -> c.host(v),
                    EngineConfiguration::host),
            Setting.of("port", "--port", Setting.Type.NUMBER, "`50051`",
                    "gRPC port; `0` = any free port (printed at start)",
                    (c, v) -> c.port(Integer.parseInt(v)),
                    EngineConfiguration::port),
            Setting.of("dataDir", "--data-dir", Setting.Type.PATH, "`data` (relative to the working directory)",
                    "state directory (created owner-only, `rwx------`)",
                    (c, v) -> c.dataDir(Path.of(v)),
                    EngineConfiguration::dataDir),
            Setting.of("metricsPort", "--metrics-port", Setting.Type.NUMBER, "`-1` (off)",
                    "Prometheus `/metrics` and the live latency page `/latency` ([observability](observability.md))",
                    (c, v) -> c.metricsPort(Integer.parseInt(v)),
                    EngineConfiguration::metricsPort),
            Setting.of("shards", "--shards", Setting.Type.NUMBER, "cores (at most 128)",
                    "shards; part of the data layout (see below)",
                    (c, v) -> c.shards(Integer.parseInt(v)),
                    EngineConfiguration::shards),
            Setting.of("shardMode", null, Setting.Type.CHOICE, "`LOOP` (`DEDICATED` with `clusterReplication: ratis`)",
                    "`LOOP` (thread per core with ownership): one Netty event loop per shard (`eventLoopThreads` does "
                    + "not apply) owns it and reads, decides and answers the calls of the shard's own port "
                    + "(`shardPortBase`) on one thread; the partition map names the ports and the SDK and "
                    + "`formica loadtest` route each borrower to its shard's port (the main port serves every call "
                    + "too: a call read by another loop goes to the owner in one task per group of calls); calls are "
                    + "shed (`RESOURCE_EXHAUSTED`) and the loop stops reading its connections while it runs behind "
                    + "(`loopShedLag`). Not with `clusterReplication: ratis`: a replicated node that does not set "
                    + "`shardMode` runs `DEDICATED`. "
                    + "`DEDICATED` (an `AgentRunner` thread per shard, parked as soon as it has no work and woken by "
                    + "the next command; its timers run at least every 10 ms; no spin or yield phase) or "
                    + "`CALLER_DRAINS` (the event-loop thread that finds a shard idle drains it: one pass of at most "
                    + "256 commands, then what is left goes as one task to the back of that loop's queue). In both, "
                    + "answers are held until the shard log has made them durable, then handed back to the receiving "
                    + "event loops in one task per loop per group of up to 16 commands "
                    + "([perf note](perf-notes/2026-12-06-loop-mode.md))",
                    (c, v) -> c.shardMode(EngineConfiguration.ShardMode.valueOf(v.toUpperCase(Locale.ROOT))),
                    EngineConfiguration::shardMode),
            Setting.of("queueCapacity", null, Setting.Type.NUMBER, "`8192`",
                    "per-shard hand-off queue (power of two); full → `RESOURCE_EXHAUSTED`",
                    (c, v) -> c.queueCapacity(Integer.parseInt(v)),
                    EngineConfiguration::queueCapacity),
            Setting.of("maxInFlightDecisions", "--max-in-flight-decisions", Setting.Type.NUMBER, "`128`",
                    "at most this many Decide calls in the server at once, each counted from its request's arrival "
                    + "(not its headers, which HTTP/2 lets run ahead of the body); while all are taken the next is "
                    + "answered `RESOURCE_EXHAUSTED` at call start, before its request is parsed (or when its request "
                    + "arrives, if they filled meanwhile), so refusing is cheap and the "
                    + "backlog cannot pile up unseen in the event loops and socket buffers. Confirm, Cancel and the "
                    + "other calls are not limited. In `shardMode: LOOP` a call decided on the loop that reads it "
                    + "holds its slot only until its answer (its log sync in `fsync`), never in a queue, so a loop "
                    + "falling behind is met by `loopShedLag`, that mode's admission control. Size it as the "
                    + "Decides per second to carry times how long an answer may wait for its sync: 128 carry "
                    + "6,000/s through a 21 ms stall. With `admissionLimit: ADAPTIVE` it is that limit's floor and "
                    + "start. `0` = off (BENCHMARKS.md, \"Overload\")",
                    (c, v) -> c.maxInFlightDecisions(Integer.parseInt(v)),
                    EngineConfiguration::maxInFlightDecisions),
            Setting.of("admissionLimit", "--admission-limit", Setting.Type.CHOICE, "`FIXED`",
                    "`FIXED`: admission lets in `maxInFlightDecisions` Decide calls at once. `ADAPTIVE`: from "
                    + "`maxInFlightDecisions` (its floor and start) up to `admissionLimitMax`, moved by the admitted "
                    + "calls' round trips, from their request's arrival to their answer (Netflix concurrency-limits' "
                    + "`Gradient2Limit` over 100 ms windows: raised while the window's average stays under 1.5 times "
                    + "its long-run average, cut when it does not; gauge `formica_admission_limit`). Refusals are "
                    + "the same `OVERLOADED` as `FIXED`'s, naming the limit of the moment. "
                    + "[perf note](perf-notes/2026-12-07-adaptive-admission-limit.md)",
                    (c, v) -> c.admissionLimit(EngineConfiguration.AdmissionLimit.valueOf(v.toUpperCase(Locale.ROOT))),
                    EngineConfiguration::admissionLimit),
            Setting.of("admissionLimitMax", "--admission-limit-max", Setting.Type.NUMBER, "`256`",
                    "`admissionLimit: ADAPTIVE`: the most Decide calls admitted at once (at least "
                    + "`maxInFlightDecisions`); unused with `FIXED`",
                    (c, v) -> c.admissionLimitMax(Integer.parseInt(v)),
                    EngineConfiguration::admissionLimitMax),
            Setting.of("maxQueueDelay", "--max-queue-delay", Setting.Type.DURATION, "`0` (off)",
                    "shed a request (`RESOURCE_EXHAUSTED`) that waited longer than this in its shard queue since it "
                    + "arrived; keeps admitted requests fast under overload: at 2× saturation `5ms` held the admitted "
                    + "Decides' p99 inside the server under 5 ms where the defaults reached 16 ms, but at a normal "
                    + "3,000/s on the development VM's disk it also refused 0.7–1.0 per cent during write-back "
                    + "stalls, so it is off by default (BENCHMARKS.md, \"Overload\", session 8)",
                    (c, v) -> c.maxQueueDelay(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::maxQueueDelay),
            Setting.of("shedRetryDelay", null, Setting.Type.DURATION, "`50ms`",
                    "what a shedding refusal (`RESOURCE_EXHAUSTED`: `OVERLOADED`, `SHARD_QUEUE_FULL`, "
                    + "`QUEUE_DELAY_EXCEEDED`) asks the caller to wait before retrying: its `google.rpc.RetryInfo` "
                    + "and the `grpc-retry-pushback-ms` trailer that gRPC's retries obey (docs/api.md, \"Errors\"); "
                    + "0..60s",
                    (c, v) -> c.shedRetryDelay(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::shedRetryDelay),
            Setting.of("holdTtl", null, Setting.Type.DURATION, "`15m`",
                    "an unconfirmed hold is released after this",
                    (c, v) -> c.holdTtl(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::holdTtl),
            Setting.of("idempotencyWindow", null, Setting.Type.DURATION, "`1d`",
                    "a request id is remembered at least this long (records live 1–2 windows)",
                    (c, v) -> c.idempotencyWindow(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::idempotencyWindow),
            Setting.of("expectedBorrowers", null, Setting.Type.NUMBER, "`400000`",
                    "the capacity of the in-memory Chronicle Maps and holds tables (divided across shards; a "
                    + "shard's maps and holds take twice their share before an insert fails; address space only: "
                    + "memory is taken as entries are written). `formica demo` sets it from `--borrowers`. "
                    + "[state-and-durability.md](state-and-durability.md#sizing-what-the-data-takes-and-the-limits)",
                    (c, v) -> c.expectedBorrowers(Long.parseLong(v)),
                    EngineConfiguration::expectedBorrowers),
            Setting.of("expectedDecisionsPerDay", null, Setting.Type.NUMBER, "`2000000`",
                    "sizes the idempotency-record files; a shard whose generation fills sooner starts the next one "
                    + "early (shorter idempotency window, logged)",
                    (c, v) -> c.expectedDecisionsPerDay(Long.parseLong(v)),
                    EngineConfiguration::expectedDecisionsPerDay),
            Setting.of("velocityKeys", null, Setting.Type.NUMBER, "`262144`",
                    "distinct borrowers, devices, IPs and merchants active in a day that the velocity table holds "
                    + "(two slots of 680 bytes each, every page taken at start: 356 MB at the default, and as much "
                    + "again while a snapshot is built; rebuilt from the shard logs at start). `formica demo` sets it "
                    + "to four per decision of `--decisions`. A new key that finds no room (every slot of its run "
                    + "taken, none idle for a day) is not counted and reads zero: "
                    + "`formica_velocity_keys_refused_total` counts them",
                    (c, v) -> c.velocityKeys(Integer.parseInt(v)),
                    EngineConfiguration::velocityKeys),
            Setting.of("concentrationKeys", null, Setting.Type.NUMBER, "`65536`",
                    "regions, industries, merchants and related-party groups with exposure that the concentration "
                    + "table holds (96 bytes each, in memory, rebuilt from the shards' exposure records at start); "
                    + "when it is full a decision needing a new key declines and `GetConcentration` counts it as "
                    + "`untracked` (docs/regulation.md)",
                    (c, v) -> c.concentrationKeys(Integer.parseInt(v)),
                    EngineConfiguration::concentrationKeys),
            Setting.of("rulesFile", "--rules", Setting.Type.PATH, "none",
                    "rule-set YAML published and activated at start-up; without it the last activated version (or "
                    + "the shipped default) runs. docs/rules.md",
                    (c, v) -> c.rulesFile(Path.of(v)),
                    EngineConfiguration::rulesFile),
            Setting.of("regulatoryFile", "--regulatory", Setting.Type.PATH, "shipped `regulatory/cn-microlending.yaml`",
                    "regulatory parameter file (versioned, effective-dated caps by licence); one-market servers "
                    + "(with `markets`, each market names its own)",
                    (c, v) -> c.regulatoryFile(Path.of(v)),
                    EngineConfiguration::regulatoryFile),
            Setting.of("timeZone", null, Setting.Type.TEXT, "`Asia/Shanghai`",
                    "time zone of the `hour_of_day` and `month` features; one-market servers",
                    (c, v) -> c.timeZone(v),
                    EngineConfiguration::timeZone),
            Setting.of("profileCacheEntries", null, Setting.Type.NUMBER, "`100000`",
                    "parsed profiles kept on heap for rule features (Caffeine, shared by all shards)",
                    (c, v) -> c.profileCacheEntries(Long.parseLong(v)),
                    EngineConfiguration::profileCacheEntries),
            Setting.of("currency", null, Setting.Type.TEXT, "`CNY`",
                    "ISO 4217 currency of every amount; a request in another currency is refused "
                    + "(`INVALID_ARGUMENT` naming `currency`); one-market servers",
                    (c, v) -> c.currency(v),
                    EngineConfiguration::currency),
            Setting.of("markets", null, Setting.Type.MAPPINGS, "none (one market)",
                    "the markets the server lends in, a YAML list of `{code, currency, timeZone, regulatory, rules}`"
                    + ", the first the default (below and [regulation.md](regulation.md#markets)); in a variable the "
                    + "same list as YAML text. With it, `currency`, `timeZone`, `regulatoryFile` and `rulesFile` are "
                    + "refused: each market names its own",
                    (c, v) -> c.markets(MarketSetting.parse(v)),
                    EngineConfiguration::markets),
            Setting.of("maxInboundMessageBytes", null, Setting.Type.NUMBER, "`4194304`",
                    "larger messages are refused by the transport",
                    (c, v) -> c.maxInboundMessageBytes(Integer.parseInt(v)),
                    EngineConfiguration::maxInboundMessageBytes),
            Setting.of("keepAliveTime", null, Setting.Type.DURATION, "`30s`",
                    "HTTP/2 keepalive",
                    (c, v) -> c.keepAliveTime(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::keepAliveTime),
            Setting.of("keepAliveTimeout", null, Setting.Type.DURATION, "`10s`",
                    "HTTP/2 keepalive",
                    (c, v) -> c.keepAliveTimeout(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::keepAliveTimeout),
            Setting.of("permitKeepAliveTime", null, Setting.Type.DURATION, "`10s`",
                    "HTTP/2 keepalive",
                    (c, v) -> c.permitKeepAliveTime(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::permitKeepAliveTime),
            Setting.of("drainTimeout", null, Setting.Type.DURATION, "`10s`",
                    "on SIGTERM, in-flight calls get this long before they are cancelled",
                    (c, v) -> c.drainTimeout(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::drainTimeout),
            Setting.of("eventLoopThreads", null, Setting.Type.NUMBER, "`0` (2 per core, as grpc's default)",
                    "`DEDICATED` and `CALLER_DRAINS` (in `LOOP` there is one loop per shard): the server's own Netty "
                    + "worker loops (epoll where available). They are the server's own, not "
                    + "grpc's shared ones, so that a `DEDICATED` shard can hand each loop its answers in one task per "
                    + "batch instead of waking it per answer ([the live profiles of "
                    + "2026-11-28](perf-notes/2026-11-28-the-shards-own-work-and-live-profiles.md))",
                    (c, v) -> c.eventLoopThreads(Integer.parseInt(v)),
                    EngineConfiguration::eventLoopThreads),
            Setting.of("shardPortBase", null, Setting.Type.NUMBER, "`0` (any free ports)",
                    "`shardMode: LOOP`: shard k's own port is this + k, read by the event loop that owns the shard; "
                    + "`0` = free ports chosen at start. `GetPartitionMap` names them (`partition_ports`)",
                    (c, v) -> c.shardPortBase(Integer.parseInt(v)),
                    EngineConfiguration::shardPortBase),
            Setting.of("loopShedLag", null, Setting.Type.DURATION, "`20ms`",
                    "`shardMode: LOOP`: a shard's event loop is behind its reads when its read batches (the calls it "
                    + "reads and decides in one round, until it runs its queued tasks again) take longer than this, "
                    + "two in a row (one alone is a burst it works through); then the calls it reads are shed "
                    + "(`RESOURCE_EXHAUSTED`; reads such as `GetCreditLine` and `GetDecision` only past 4× this; bulk "
                    + "`Load` rows never, they have the stream's window) and it stops reading its connections (also "
                    + "while more than one drain pass, 256 calls, waits in its queue) until its next timer task. "
                    + "Lateness the loop did not cause (scheduler delay on a busy box) does not count; `0` = never. A "
                    + "call decided on the loop that reads it holds no in-flight slot and waits in no queue, so this "
                    + "is that mode's admission control",
                    (c, v) -> c.loopShedLag(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::loopShedLag),
            Setting.of("tlsCertChain", "--tls-cert", Setting.Type.PATH, "off",
                    "PEM certificate chain and PKCS#8 key: TLS on (both or neither)",
                    (c, v) -> c.tlsCertChain(Path.of(v)),
                    EngineConfiguration::tlsCertChain),
            Setting.of("tlsPrivateKey", "--tls-key", Setting.Type.PATH, "off",
                    "PEM certificate chain and PKCS#8 key: TLS on (both or neither)",
                    (c, v) -> c.tlsPrivateKey(Path.of(v)),
                    EngineConfiguration::tlsPrivateKey),
            Setting.of("tlsClientCa", "--tls-client-ca", Setting.Type.PATH, "off",
                    "PEM CA(s) of client certificates (mutual TLS)",
                    (c, v) -> c.tlsClientCa(Path.of(v)),
                    EngineConfiguration::tlsClientCa),
            Setting.of("clientAuth", "--client-auth", Setting.Type.CHOICE, "`NONE`",
                    "`OPTIONAL` (verify a certificate when sent) or `REQUIRE` (no handshake without one); needs "
                    + "`tlsClientCa`",
                    (c, v) -> c.clientAuth(EngineConfiguration.ClientAuth.valueOf(v.toUpperCase(Locale.ROOT))),
                    EngineConfiguration::clientAuth),
            Setting.of("adminPort", "--admin-port", Setting.Type.NUMBER, "`-1` (off)",
                    "a second gRPC port on `host` that speaks only mutual TLS (every service, the same "
                    + "authentication): admin by a certificate in `adminSubjects` from other machines while `port` "
                    + "stays plaintext; `0` = any free port ([operations](operations.md#admin-from-outside-the-pods))",
                    (c, v) -> c.adminPort(Integer.parseInt(v)),
                    EngineConfiguration::adminPort),
            Setting.of("adminTlsCertChain", "--admin-tls-cert", Setting.Type.PATH, "none",
                    "PEM certificate chain of the `adminPort` listener",
                    (c, v) -> c.adminTlsCertChain(Path.of(v)),
                    EngineConfiguration::adminTlsCertChain),
            Setting.of("adminTlsPrivateKey", "--admin-tls-key", Setting.Type.PATH, "none",
                    "PEM PKCS#8 private key of the `adminPort` listener",
                    (c, v) -> c.adminTlsPrivateKey(Path.of(v)),
                    EngineConfiguration::adminTlsPrivateKey),
            Setting.of("adminTlsClientCa", "--admin-tls-client-ca", Setting.Type.PATH, "none",
                    "PEM CA(s) of the client certificates the `adminPort` listener requires (no handshake without "
                    + "one)",
                    (c, v) -> c.adminTlsClientCa(Path.of(v)),
                    EngineConfiguration::adminTlsClientCa),
            Setting.list("adminSubjects", "--admin-subject", "none",
                    "client certificate subjects (RFC 2253, e.g. `CN=ops-admin,O=Example`) allowed to call "
                    + "AdminService; YAML list",
                    EngineConfiguration::adminSubjects, EngineConfiguration::adminSubjects),
            Setting.of("adminTokenFile", "--admin-token-file", Setting.Type.PATH, "none",
                    "owner-only file of admin bearer tokens, one a line (`#` comments), each ≥ 24 characters",
                    (c, v) -> c.adminTokenFile(Path.of(v)),
                    EngineConfiguration::adminTokenFile),
            Setting.of("adminTokenLoopbackOnly", null, Setting.Type.BOOLEAN, "`false`",
                    "admin tokens are taken only from loopback peers (on the server's machine, or `kubectl exec` in "
                    + "its pod); allows admin tokens on a plaintext non-loopback `host`, where `serve` then makes "
                    + "the local `admin.token` ([operations](operations.md#kubernetes))",
                    (c, v) -> c.adminTokenLoopbackOnly(EngineConfiguration.parseBoolean(v)),
                    EngineConfiguration::adminTokenLoopbackOnly),
            Setting.of("decisionAuthRequired", "--decision-auth-required", Setting.Type.BOOLEAN, "`false`",
                    "Decision, Profile and Diagnostics RPCs need an authenticated caller too",
                    (c, v) -> c.decisionAuthRequired(EngineConfiguration.parseBoolean(v)),
                    EngineConfiguration::decisionAuthRequired),
            Setting.list("callerSubjects", "--caller-subject", "any",
                    "client certificate subjects allowed as callers; empty = any certificate `tlsClientCa` signed",
                    EngineConfiguration::callerSubjects, EngineConfiguration::callerSubjects),
            Setting.of("callerTokenFile", "--caller-token-file", Setting.Type.PATH, "none",
                    "owner-only file of caller bearer tokens",
                    (c, v) -> c.callerTokenFile(Path.of(v)),
                    EngineConfiguration::callerTokenFile),
            Setting.of("latencyRecording", null, Setting.Type.BOOLEAN, "`true`",
                    "per-stage and per-RPC HdrHistograms, decision counters, `.hlog` files "
                    + "([observability](observability.md)); `false` records nothing",
                    (c, v) -> c.latencyRecording(EngineConfiguration.parseBoolean(v)),
                    EngineConfiguration::latencyRecording),
            Setting.of("latencyInterval", null, Setting.Type.DURATION, "`5s`",
                    "one `.hlog` line per stage and RPC this often, and `GetLatency`'s \"last interval\" (whole "
                    + "seconds)",
                    (c, v) -> c.latencyInterval(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::latencyInterval),
            Setting.of("latencyLogMaxBytes", null, Setting.Type.NUMBER, "`67108864`",
                    "start a new `.hlog` file under `<dataDir>/latency/` past this size; `0` = no files",
                    (c, v) -> c.latencyLogMaxBytes(Long.parseLong(v)),
                    EngineConfiguration::latencyLogMaxBytes),
            Setting.of("latencyLogMaxAge", null, Setting.Type.DURATION, "`1h`",
                    "start a new `.hlog` file after this long",
                    (c, v) -> c.latencyLogMaxAge(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::latencyLogMaxAge),
            Setting.of("latencyLogFiles", null, Setting.Type.NUMBER, "`48`",
                    "`.hlog` files kept; the oldest are deleted",
                    (c, v) -> c.latencyLogFiles(Integer.parseInt(v)),
                    EngineConfiguration::latencyLogFiles),
            Setting.of("journalEnabled", null, Setting.Type.BOOLEAN, "`true`",
                    "put each decision's audit record (request, answer, features, versions) in its shard-log frame, "
                    + "for `formica journal`, backtests and stress tests "
                    + "([backtest-and-stress.md](backtest-and-stress.md))",
                    (c, v) -> c.journalEnabled(EngineConfiguration.parseBoolean(v)),
                    EngineConfiguration::journalEnabled),
            Setting.of("journalRetention", null, Setting.Type.DURATION, "`7d`",
                    "shard-log segments older than this that end before the older of the two kept snapshots are "
                    + "deleted (at least `1h`): the audit period",
                    (c, v) -> c.journalRetention(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::journalRetention),
            Setting.of("durability", "--durability", Setting.Type.CHOICE, "`fsync`",
                    "when an answer may leave: `fsync` (its shard-log frame is on the disk, group-committed "
                    + "`fdatasync`; survives power loss) or `process` (the frame is in the shard's log window, a "
                    + "memory-mapped file on `/dev/shm` that outlives the process; survives `kill -9`, not an OS "
                    + "crash). [state-and-durability.md](state-and-durability.md)",
                    (c, v) -> c.durability(dev.formica.engine.log.Durability.parse(v)),
                    EngineConfiguration::durability),
            Setting.of("groupCommitInterval", null, Setting.Type.DURATION, "`1ms`",
                    "`durability: fsync`: how long a round of the log writer's `fdatasync`s may wait for more frames, "
                    + "counted from the start of the previous round; the frames that arrive in between go into the "
                    + "next round, so under load one sync covers more answers (less CPU per Decide, up to this much "
                    + "more latency). With `groupCommitSiblings` (the default) a round waits only when there is "
                    + "company; with `groupCommitSiblings: 0` every round waits (a fixed interval); `0` = never wait "
                    + "(the default until 2026-12-07's twenty-second session). An idle log's first frame is synced at "
                    + "once. Measured on this VM (2026-12-07): a fixed `1ms` a quarter less server CPU per Decide and "
                    + "one find-max step more (18,578 against 14,868 Decides/s) at twice the median (1.2 against "
                    + "0.6 ms); `1ms` with 4 siblings the same step (18,505 against 14,861/s) with the median of `0` "
                    + "at 2,000/s (0.45-0.48 against 0.45-0.46 ms). `0` to `100ms`; `us` and `ms` units. "
                    + "[state-and-durability.md](state-and-durability.md)",
                    (c, v) -> c.groupCommitInterval(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::groupCommitInterval),
            Setting.of("groupCommitSiblings", null, Setting.Type.NUMBER, "`4`",
                    "`durability: fsync` with a `groupCommitInterval`: a round of syncs waits for more frames only "
                    + "when there is company (PostgreSQL's `commit_siblings`): while the writer's last 8 intervals "
                    + "brought at least this many batches of answers per interval (a batch is a shard's group of "
                    + "one to 16 commands; about one Decide each up to 10,400/s here). The wait ends when the "
                    + "interval since the previous round has passed or once four times this many batches wait; "
                    + "otherwise the round syncs at once, so a lone frame at low load waits for nobody. `0` = every "
                    + "round waits for the interval. `0` to `10000`. "
                    + "[perf note](perf-notes/2026-12-07-commit-siblings.md)",
                    (c, v) -> c.groupCommitSiblings(Integer.parseInt(v)),
                    EngineConfiguration::groupCommitSiblings),
            Setting.of("logSync", null, Setting.Type.CHOICE, "`WRITER`",
                    "`durability: fsync` with `shardMode: LOOP`: which thread writes and `fdatasync`s a shard's log. "
                    + "`WRITER`: the node's log writer thread, woken once per group, which hands the synced answers "
                    + "back to the shard's loop. `LOOP`: the shard's own loop, after the round of calls it read, "
                    + "and it answers them itself; calls that arrive during the sync are read and decided as the "
                    + "next group (`groupCommitInterval` does not apply). Either way an answer leaves only after "
                    + "its frame is synced. [perf note](perf-notes/2026-12-07-sync-on-the-loop.md)",
                    (c, v) -> c.logSync(EngineConfiguration.LogSync.valueOf(v.toUpperCase(Locale.ROOT))),
                    EngineConfiguration::logSync),
            Setting.of("snapshotInterval", null, Setting.Type.DURATION, "`2m`",
                    "how often each shard's snapshot is built (off the decision path, by replaying the log into a "
                    + "scratch copy); restart loads the newest and replays the log after it, so this bounds the log "
                    + "a restart replays. `0` = never (restart replays the whole log, and no segment is ever "
                    + "deleted). With `clusterReplication: ratis` each group's replica also builds one this often "
                    + "when it applied entries since its newest (beside `clusterSnapshotEntries`; none when that is "
                    + "`0`)",
                    (c, v) -> c.snapshotInterval(EngineConfiguration.parseDuration(v)),
                    EngineConfiguration::snapshotInterval),
            Setting.of("snapshotScratch", null, Setting.Type.CHOICE, "`LIVE`",
                    "what the snapshot builder does with each shard's scratch copy between snapshots (with "
                    + "`clusterReplication: ratis`, each hosted group's). `LIVE`: keeps it, so a snapshot replays "
                    + "only the log (a group's: its Raft entries) since the last one and writes (a second copy of "
                    + "the shard's state in memory for good). `RELOAD`: drops it, and each snapshot first loads the "
                    + "last one into a fresh copy (most of a snapshot's CPU; the copy only while it builds). The "
                    + "snapshots are the same. [state-and-durability.md](state-and-durability.md#snapshots-and-"
                    + "recovery), [cluster.md](cluster.md#snapshots)",
                    (c, v) -> c.snapshotScratch(EngineConfiguration.SnapshotScratch.valueOf(v.toUpperCase(
                            Locale.ROOT))),
                    EngineConfiguration::snapshotScratch),
            Setting.of("logFormat", "--log-format", Setting.Type.CHOICE, "`auto`",
                    "log lines on stderr: `json` (one JSON object per line), `text`, or `auto` = text when the process "
                    + "has a terminal, JSON otherwise. Before the settings are read (and in commands other than "
                    + "`serve`) the system property `formica.logFormat` or `FORMICA_LOG_FORMAT` decides. "
                    + "[observability.md](observability.md#logs)",
                    (c, v) -> c.logFormat(dev.formica.engine.logging.LogFormat.parse(v)),
                    EngineConfiguration::logFormat),
            Setting.of("tracing", null, Setting.Type.BOOLEAN, "`false` (off)",
                    "OpenTelemetry server spans of the gRPC calls, exported by OTLP/HTTP; off = no interceptor and no "
                    + "span at all. [observability.md](observability.md#tracing)",
                    (c, v) -> c.tracing(EngineConfiguration.parseBoolean(v)),
                    EngineConfiguration::tracing),
            Setting.of("tracingSampleRatio", null, Setting.Type.NUMBER, "`0.01`",
                    "share (0..1) of calls traced when the caller sent no `traceparent`; a caller's `traceparent` "
                    + "decides for its own calls (parent-based sampling)",
                    (c, v) -> c.tracingSampleRatio(Double.parseDouble(v)),
                    EngineConfiguration::tracingSampleRatio),
            Setting.of("otlpEndpoint", null, Setting.Type.TEXT, "`http://127.0.0.1:4318`",
                    "the OTLP/HTTP receiver (an OpenTelemetry Collector, Jaeger, Tempo...) as `http://HOST:PORT`; "
                    + "spans go to `/v1/traces` there",
                    (c, v) -> c.otlpEndpoint(v),
                    EngineConfiguration::otlpEndpoint),
            Setting.list("clusterNodes", "--cluster-node", "none (one node)",
                    "the nodes of a cluster, `host:port` as clients dial them, the same list in the same order on "
                    + "every node (YAML list). Node `i` of `n` owns the partitions `p` (of 256) with `p * n / 256 == "
                    + "i`; a call for another node's partition is refused with `FAILED_PRECONDITION` naming the "
                    + "owner. Part of the data layout. [cluster.md](cluster.md)",
                    EngineConfiguration::clusterNodes, EngineConfiguration::clusterNodes),
            Setting.of("clusterNodeId", "--cluster-node-id", Setting.Type.NUMBER, "`0`",
                    "this node's position in `clusterNodes`",
                    (c, v) -> c.clusterNodeId(Integer.parseInt(v)),
                    EngineConfiguration::clusterNodeId),
            Setting.of("clusterReplication", null, Setting.Type.CHOICE, "`off`",
                    "`off` or `ratis`: each node's partition range is a Raft group replicated on `min(3, n)` nodes "
                    + "(Apache Ratis); the group's leader owns its partitions and a follower takes over when it "
                    + "fails. Needs `clusterNodes` and `clusterRaftNodes`; a node then runs one shard per group it "
                    + "hosts (`shards` is set to `min(3, n)`). [cluster.md](cluster.md#replication)",
                    (c, v) -> c.clusterReplication(EngineConfiguration.Replication.parse(v)),
                    EngineConfiguration::clusterReplication),
            Setting.list("clusterRaftNodes", null, "none",
                    "with `clusterReplication: ratis`: `host:port` of every node's Raft server (one port per node "
                    + "for all its groups), in the order of `clusterNodes` (YAML list)",
                    EngineConfiguration::clusterRaftNodes, EngineConfiguration::clusterRaftNodes),
            Setting.of("clusterSnapshotEntries", null, Setting.Type.NUMBER, "`100000`",
                    "with `clusterReplication: ratis`: Raft entries a group applies between two of its snapshots, "
                    + "built on every replica off the shard (a scratch copy replays the entries since the last "
                    + "one); the group's Raft log is then purged up to the older of the two newest snapshots, and a "
                    + "restart loads the newest and applies only the entries after it. `0` = no snapshots (the log "
                    + "grows without bound). [cluster.md](cluster.md#snapshots)",
                    (c, v) -> c.clusterSnapshotEntries(Long.parseLong(v)),
                    EngineConfiguration::clusterSnapshotEntries),
            Setting.of("clusterLogSegmentBytes", null, Setting.Type.NUMBER, "`8388608`",
                    "with `clusterReplication: ratis`: the size of a group's Raft log segment (4096 to 2^30 "
                    + "bytes); a purge deletes whole segments only",
                    (c, v) -> c.clusterLogSegmentBytes(Long.parseLong(v)),
                    EngineConfiguration::clusterLogSegmentBytes),
            Setting.of("clusterGroups", null, Setting.Type.NUMBER, "`0` (as many as `clusterNodes`)",
                    "with `clusterReplication: ratis`: the cluster's Raft groups, fixed when the cluster is made "
                    + "(recorded in `replication.properties` at a node's first start and checked at every start); "
                    + "set it when `clusterNodes` grows past it (a node added with `formica cluster add-node`). "
                    + "[cluster.md](cluster.md#adding-and-removing-a-node)",
                    (c, v) -> c.clusterGroups(Integer.parseInt(v)),
                    EngineConfiguration::clusterGroupsSetting),
            Setting.list("clusterJoin", null, "none",
                    "with `clusterReplication: ratis`: the groups this node joins as a new member (YAML list of "
                    + "group ids), beyond those its position gives it; a node added past `clusterGroups` hosts only "
                    + "these. Its replica is empty until `formica cluster add-node` adds it to the group's Raft "
                    + "configuration. [cluster.md](cluster.md#adding-and-removing-a-node)",
                    EngineConfiguration::clusterJoin, EngineConfiguration::clusterJoinEntries),
            Setting.of("clusterPeerCa", null, Setting.Type.PATH, "none (`tlsClientCa`, else the JVM's trust store)",
                    "with TLS on a cluster without replication: PEM CA(s) of the peers' server certificates, which "
                    + "the velocity exchange checks when it calls them (with mutual TLS a node's certificate is also "
                    + "its client certificate to its peers, so `tlsClientCa` already trusts them). "
                    + "[cluster.md](cluster.md#velocity-across-nodes)",
                    (c, v) -> c.clusterPeerCa(Path.of(v)),
                    EngineConfiguration::clusterPeerCa),
            Setting.list("clusterPeerSubjects", null, "none",
                    "with mutual TLS on a cluster without replication: the nodes' client certificate subjects, the "
                    + "only certificates the velocity exchange answers (none of `callerSubjects` or "
                    + "`adminSubjects`); a node presents its own `tlsCertChain` to its peers. YAML list",
                    EngineConfiguration::clusterPeerSubjects, EngineConfiguration::clusterPeerSubjects),
            Setting.of("clusterPeerTokenFile", null, Setting.Type.PATH, "none",
                    "on a cluster without replication: owner-only file of node tokens, the same on every node (no "
                    + "token of `callerTokenFile` or `adminTokenFile`); a node sends the first to its peers' velocity "
                    + "exchange and takes any as a peer's. With it or `clusterPeerSubjects` the exchange answers only "
                    + "peers; `decisionAuthRequired` needs one of them. [security](security.md)",
                    (c, v) -> c.clusterPeerTokenFile(Path.of(v)),
                    EngineConfiguration::clusterPeerTokenFile)
    );

    private static final Map<String, Setting> BY_KEY;

    static {
        Map<String, Setting> byKey = new LinkedHashMap<>();
        for (Setting s : ALL) {
            if (byKey.put(s.key(), s) != null) {
                throw new ExceptionInInitializerError("setting " + s.key() + " is declared twice");
            }
        }
        BY_KEY = Collections.unmodifiableMap(byKey);
    }

    private Settings() {
    }

    /** Every key, in print order. */
    public static List<String> keys() {
        return List.copyOf(BY_KEY.keySet());
    }

    /** The setting of {@code key}, or null when there is none. */
    public static Setting byKey(String key) {
        return BY_KEY.get(key);
    }

    /** The settings table of docs/configuration.md, one row per setting. */
    public static String markdownTable() {
        List<String> rows = new ArrayList<>();
        rows.add("| key (YAML) | flag | default | meaning |");
        rows.add("|---|---|---|---|");
        for (Setting s : ALL) {
            String option = s.option() == null ? "" : "`" + s.option() + "`" + (s.isList() ? " (repeatable)" : "");
            rows.add(String.format(Locale.ROOT, "| `%s` | %s | %s | %s |", s.key(), option, s.defaultText(),
                    s.doc()));
        }
        return String.join("\n", rows) + "\n";
    }
}
