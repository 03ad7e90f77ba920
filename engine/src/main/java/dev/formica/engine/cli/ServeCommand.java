package dev.formica.engine.cli;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.logging.LogFormat;
import dev.formica.engine.server.EngineServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code formica serve}: runs the engine until SIGTERM / SIGINT, then drains and stops.
 * Settings come from the defaults, then {@code --config FILE}, then the {@code FORMICA_*} environment variables,
 * then the options given here (docs/configuration.md); the result is printed once at start, each setting with
 * where it came from ({@link EngineConfiguration#describe()}; {@code formica config show} prints the same).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the decisioning server.")
public final class ServeCommand implements Callable<Integer> {
    private static final int WARMUP_BORROWERS = 20_000;
    private static final long MAX_WARMUP_DECISIONS = 10_000_000;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML settings file (see docs/configuration.md).")
    Path configFile;

    @Option(names = "--host", description = "Address to bind (default 127.0.0.1: loopback only).")
    String host;

    @Option(names = "--port", description = "gRPC port (default 50051; 0 = any free port).")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory (default ./data).")
    Path dataDir;

    @Option(names = "--metrics-port", description = "Prometheus /metrics port (default off; 0 = any free port).")
    Integer metricsPort;

    @Option(names = "--shards", description = "Number of shards (default: one per core).")
    Integer shards;

    @Option(names = "--rules", paramLabel = "FILE",
            description = "Rule-set YAML to publish and activate at start-up (see docs/rules.md).")
    java.nio.file.Path rulesFile;

    @Option(names = "--regulatory", paramLabel = "FILE",
            description = "Regulatory parameter file (default: the one shipped with the engine).")
    java.nio.file.Path regulatoryFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Server certificate chain: TLS on.")
    Path tlsCertChain;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Server private key (PKCS#8), owner-only.")
    Path tlsPrivateKey;

    @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "CA of client certificates (mutual TLS).")
    Path tlsClientCa;

    @Option(names = "--client-auth", description = "NONE, OPTIONAL or REQUIRE a client certificate.")
    EngineConfiguration.ClientAuth clientAuth;

    @Option(names = "--admin-subject", paramLabel = "DN", description = "Client certificate subject allowed to "
            + "call AdminService (repeatable), e.g. 'CN=ops-admin,O=Example'.")
    List<String> adminSubjects;

    @Option(names = "--admin-token-file", paramLabel = "FILE", description = "Owner-only file of admin bearer tokens "
            + "(default on loopback: DATA_DIR/admin.token, made on first start, which 'formica latency --data-dir' "
            + "reads).")
    Path adminTokenFile;

    @Option(names = "--decision-auth-required", description = "Decision, profile and diagnostics calls need an "
            + "authenticated caller too (default off).")
    Boolean decisionAuthRequired;

    @Option(names = "--caller-subject", paramLabel = "DN", description = "Client certificate subject allowed as "
            + "a caller (repeatable; default any certificate the client CA signed).")
    List<String> callerSubjects;

    @Option(names = "--caller-token-file", paramLabel = "FILE", description = "Owner-only file of caller tokens.")
    Path callerTokenFile;

    @Option(names = "--max-queue-delay", paramLabel = "DURATION", description = "Shed a request that waited "
            + "longer than this in its shard queue, e.g. 5ms (default off).")
    String maxQueueDelay;

    @Option(names = "--durability", paramLabel = "MODE", description = "fsync (default: an answer leaves after its "
            + "shard-log frame is on the disk; survives power loss) or process (after the frame is handed to the "
            + "kernel; survives kill -9, not an OS crash).")
    String durability;

    @Option(names = "--max-in-flight-decisions", paramLabel = "N", description = "Answer RESOURCE_EXHAUSTED at call "
            + "start when N Decide calls are already in progress (default 64; 0 = off).")
    Integer maxInFlightDecisions;

    @Option(names = "--cluster-node", paramLabel = "HOST:PORT", description = "A node of the cluster as clients "
            + "dial it (repeatable, the same list in the same order on every node; default: this node alone owns "
            + "every partition). docs/cluster.md")
    List<String> clusterNodes;

    @Option(names = "--cluster-node-id", paramLabel = "N", description = "This node's position in the "
            + "--cluster-node list (default 0).")
    Integer clusterNodeId;

    @Option(names = "--log-format", paramLabel = "FORMAT", description = "auto (default: text on a terminal, JSON "
            + "lines otherwise), json or text.")
    String logFormat;

    @Option(names = "--warmup-decisions", paramLabel = "N", description = "Before serving, compile the decision "
            + "path by sending N decisions to a scratch server on a temporary data directory (default 0 = off; "
            + "at most 10000000; 100000 took 25 s on 2 cores). The first minute of traffic then does not wait for "
            + "the JIT compiler.")
    long warmupDecisions;

    /** The environment the {@code FORMICA_*} settings are read from. */
    private java.util.Map<String, String> environment = System.getenv();

    /** Reads the {@code FORMICA_*} settings from {@code environment} instead of the process's (tests). */
    public ServeCommand environment(java.util.Map<String, String> environment) {
        this.environment = java.util.Map.copyOf(environment);
        return this;
    }

    /** Builds the configuration these options describe. */
    public EngineConfiguration configuration() {
        return settings().conclude();
    }

    /** The settings these options describe, not yet concluded (a fresh object each call). */
    private EngineConfiguration settings() {
        EngineConfiguration config = configFile != null ? EngineConfiguration.fromYaml(configFile)
                : new EngineConfiguration();
        config.applyEnvironment(environment);
        flag(config, host, "host", "--host", config::host);
        flag(config, port, "port", "--port", config::port);
        flag(config, dataDir, "dataDir", "--data-dir", config::dataDir);
        flag(config, metricsPort, "metricsPort", "--metrics-port", config::metricsPort);
        flag(config, shards, "shards", "--shards", config::shards);
        flag(config, rulesFile, "rulesFile", "--rules", config::rulesFile);
        flag(config, regulatoryFile, "regulatoryFile", "--regulatory", config::regulatoryFile);
        flag(config, tlsCertChain, "tlsCertChain", "--tls-cert", config::tlsCertChain);
        flag(config, tlsPrivateKey, "tlsPrivateKey", "--tls-key", config::tlsPrivateKey);
        flag(config, tlsClientCa, "tlsClientCa", "--tls-client-ca", config::tlsClientCa);
        flag(config, clientAuth, "clientAuth", "--client-auth", config::clientAuth);
        flag(config, adminSubjects, "adminSubjects", "--admin-subject", config::adminSubjects);
        flag(config, adminTokenFile, "adminTokenFile", "--admin-token-file", config::adminTokenFile);
        flag(config, decisionAuthRequired, "decisionAuthRequired", "--decision-auth-required",
                config::decisionAuthRequired);
        flag(config, callerSubjects, "callerSubjects", "--caller-subject", config::callerSubjects);
        flag(config, callerTokenFile, "callerTokenFile", "--caller-token-file", config::callerTokenFile);
        flag(config, maxQueueDelay == null ? null : EngineConfiguration.parseDuration(maxQueueDelay), "maxQueueDelay",
                "--max-queue-delay", config::maxQueueDelay);
        flag(config, maxInFlightDecisions, "maxInFlightDecisions", "--max-in-flight-decisions",
                config::maxInFlightDecisions);
        flag(config, durability == null ? null : dev.formica.engine.log.Durability.parse(durability), "durability",
                "--durability", config::durability);
        flag(config, clusterNodes, "clusterNodes", "--cluster-node", config::clusterNodes);
        flag(config, clusterNodeId, "clusterNodeId", "--cluster-node-id", config::clusterNodeId);
        flag(config, logFormat == null ? null : LogFormat.parse(logFormat), "logFormat", "--log-format",
                config::logFormat);
        return config;
    }

    /** Sets {@code key} from {@code option} when it was given, and records that the flag set it. */
    private static <T> void flag(EngineConfiguration config, T value, String key, String option,
            java.util.function.Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
            config.setBy(key, "flag " + option);
        }
    }

    @Override
    public Integer call() throws Exception {
        EngineConfiguration config;
        try {
            config = configuration();
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("formica serve: " + e.getMessage());
            return 2;
        }
        LogFormat.use(config.logFormat());
        if (warmupDecisions < 0 || warmupDecisions > MAX_WARMUP_DECISIONS) {
            System.err.println("formica serve: --warmup-decisions must be 0.." + MAX_WARMUP_DECISIONS + ", was "
                    + warmupDecisions);
            return 2;
        }
        if (warmupDecisions > 0) {
            // the warm-up takes tens of seconds: find a taken port before it, not after
            String taken = takenPort(config.host(), config.metricsPort(), "--metrics-port");
            if (taken != null) {
                System.err.println("formica serve: " + taken);
                return 2;
            }
        }
        Path localToken = localAdminTokenFile(config);
        if (localToken != null) {
            EngineConfiguration withToken = settings().adminTokenFile(localToken);
            withToken.setBy("adminTokenFile", "made by serve: the local admin token");
            config = withToken.conclude();
        }
        System.out.print(config.describe());
        EngineServer server = new EngineServer(config);
        try {
            // health checks are answered NOT_SERVING from here on, through the warm-up and the recovery; a taken
            // port is refused here, before the warm-up and before any state was opened
            server.listenForHealth();
        } catch (UncheckedIOException e) {
            System.err.println("formica serve: " + e.getMessage());
            return 2;
        }
        try {
            if (warmupDecisions > 0) {
                ServerWarmup.Result r = ServerWarmup.run(settings(), warmupDecisions, WARMUP_BORROWERS);
                System.out.printf("formica warmed up: %,d decisions (%,d confirms and cancels, %,d errors) on a "
                        + "scratch server in %,d ms, of which %,d ms waiting for the JIT compiler%n", r.decisions(),
                        r.confirmsAndCancels(), r.errors(), r.millis(), r.compilerWaitMillis());
            }
            // after every refusal above: a refused start leaves no data directory behind
            if (localToken != null) {
                try {
                    ensureLocalAdminToken(config);
                } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
                    System.err.println("formica serve: cannot set up the local admin token in " + config.dataDir()
                            + ": " + e.getMessage());
                    server.close();
                    return 2;
                }
            }
            server.start();
        } catch (IllegalStateException | UncheckedIOException e) {
            System.err.println("formica serve: " + e.getMessage());
            server.close();
            return 2;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            server.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } finally {
                // the drain and "formica stopped" are logged above: now flush and stop Logback
                LogFormat.shutdown();
            }
        }, "formica-shutdown"));
        System.out.println("formica serving on " + config.host() + ":" + server.port()
                + (server.metricsPort() > 0 ? ", metrics on :" + server.metricsPort() + "/metrics" : "")
                + ", data in " + config.dataDir().toAbsolutePath());
        server.awaitTermination();
        return 0;
    }

    /**
     * On loopback and with no admin token file of the operator's own, the local admin token's file
     * ({@link LocalAdminToken}: made in the data directory on first start, by {@link #ensureLocalAdminToken}); null
     * otherwise. Remote admin keeps mutual TLS or an explicit token file.
     */
    private static Path localAdminTokenFile(EngineConfiguration config) {
        if (config.adminTokenFile() != null || !loopback(config.host())) {
            return null;
        }
        return config.dataDir().resolve(LocalAdminToken.FILE);
    }

    private static void ensureLocalAdminToken(EngineConfiguration config) throws IOException {
        LocalAdminToken.Ensured token = LocalAdminToken.ensureReporting(config.dataDir());
        if (token.created()) {
            System.out.println("formica made an admin token for operators on this machine in " + token.file()
                    + " (owner-only); 'formica latency --data-dir " + config.dataDir() + "' uses it");
        }
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Why {@code port} cannot be listened on, or null if it can (or is 0 / off: any free port will do). */
    static String takenPort(String host, int port, String option) {
        if (port <= 0) {
            return null;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
            return null;
        } catch (IOException e) {
            return "cannot listen on " + host + ":" + port + " (" + e.getMessage() + "): choose another " + option;
        }
    }
}
