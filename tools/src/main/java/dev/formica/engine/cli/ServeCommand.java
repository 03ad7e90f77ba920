package dev.formica.engine.cli;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.config.Setting;
import dev.formica.engine.config.Settings;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code formica serve}: runs the engine until SIGTERM / SIGINT, then drains and stops.
 * Settings come from the defaults, then {@code --config FILE}, then the {@code FORMICA_*} environment variables,
 * then the options given here (docs/configuration.md); the result is printed once at start, each setting with
 * where it came from ({@link EngineConfiguration#describe()}; {@code formica config show} prints the same).
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the decisioning server.",
        resourceBundle = "dev.formica.engine.cli.SettingsHelp")
public final class ServeCommand implements Callable<Integer> {
    private static final int WARMUP_BORROWERS = 20_000;
    private static final long MAX_WARMUP_DECISIONS = 10_000_000;

    /** This command's options: a setting's flag is found by the name its {@link Setting} declares. */
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML settings file (see docs/configuration.md).")
    Path configFile;

    @Option(names = "--host", descriptionKey = "host")
    String host;

    @Option(names = "--port", descriptionKey = "port")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR", descriptionKey = "dataDir")
    Path dataDir;

    @Option(names = "--metrics-port", descriptionKey = "metricsPort")
    Integer metricsPort;

    @Option(names = "--shards", descriptionKey = "shards")
    Integer shards;

    @Option(names = "--rules", paramLabel = "FILE", descriptionKey = "rulesFile")
    java.nio.file.Path rulesFile;

    @Option(names = "--regulatory", paramLabel = "FILE", descriptionKey = "regulatoryFile")
    java.nio.file.Path regulatoryFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", descriptionKey = "tlsCertChain")
    Path tlsCertChain;

    @Option(names = "--tls-key", paramLabel = "PEM", descriptionKey = "tlsPrivateKey")
    Path tlsPrivateKey;

    @Option(names = "--tls-client-ca", paramLabel = "PEM", descriptionKey = "tlsClientCa")
    Path tlsClientCa;

    @Option(names = "--client-auth", descriptionKey = "clientAuth")
    EngineConfiguration.ClientAuth clientAuth;

    @Option(names = "--admin-port", descriptionKey = "adminPort")
    Integer adminPort;

    @Option(names = "--admin-tls-cert", paramLabel = "PEM", descriptionKey = "adminTlsCertChain")
    Path adminTlsCertChain;

    @Option(names = "--admin-tls-key", paramLabel = "PEM", descriptionKey = "adminTlsPrivateKey")
    Path adminTlsPrivateKey;

    @Option(names = "--admin-tls-client-ca", paramLabel = "PEM", descriptionKey = "adminTlsClientCa")
    Path adminTlsClientCa;

    @Option(names = "--admin-subject", paramLabel = "DN", descriptionKey = "adminSubjects")
    List<String> adminSubjects;

    @Option(names = "--admin-token-file", paramLabel = "FILE", descriptionKey = "adminTokenFile")
    Path adminTokenFile;

    @Option(names = "--decision-auth-required", descriptionKey = "decisionAuthRequired")
    Boolean decisionAuthRequired;

    @Option(names = "--caller-subject", paramLabel = "DN", descriptionKey = "callerSubjects")
    List<String> callerSubjects;

    @Option(names = "--caller-token-file", paramLabel = "FILE", descriptionKey = "callerTokenFile")
    Path callerTokenFile;

    @Option(names = "--max-queue-delay", paramLabel = "DURATION", descriptionKey = "maxQueueDelay")
    String maxQueueDelay;

    @Option(names = "--durability", paramLabel = "MODE", descriptionKey = "durability")
    String durability;

    @Option(names = "--max-in-flight-decisions", paramLabel = "N", descriptionKey = "maxInFlightDecisions")
    Integer maxInFlightDecisions;

    @Option(names = "--admission-limit", paramLabel = "MODE", descriptionKey = "admissionLimit")
    String admissionLimit;

    @Option(names = "--admission-limit-max", paramLabel = "N", descriptionKey = "admissionLimitMax")
    Integer admissionLimitMax;

    @Option(names = "--cluster-node", paramLabel = "HOST:PORT", descriptionKey = "clusterNodes")
    List<String> clusterNodes;

    @Option(names = "--cluster-node-id", paramLabel = "N", descriptionKey = "clusterNodeId")
    Integer clusterNodeId;

    @Option(names = "--log-format", paramLabel = "FORMAT", descriptionKey = "logFormat")
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
        for (Setting setting : Settings.ALL) {
            if (setting.option() != null) {
                flag(config, setting);
            }
        }
        return config;
    }

    /** Sets {@code setting} from its flag when the flag was given, and records that the flag set it. */
    private void flag(EngineConfiguration config, Setting setting) {
        CommandLine.Model.OptionSpec option = spec.findOption(setting.option());
        if (option == null) {
            throw new IllegalStateException("setting " + setting.key() + " declares the flag " + setting.option()
                    + ", which serve does not have");
        }
        Object value = option.getValue();
        if (value == null || value instanceof List<?> items && items.isEmpty()) {
            return;
        }
        try {
            if (value instanceof List<?> items) {
                setting.listSetter().accept(config, items.stream().map(String::valueOf).toList());
            } else {
                setting.parser().accept(config, String.valueOf(value));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting.option() + " " + value + ": " + e.getMessage(), e);
        }
        config.setBy(setting.key(), "flag " + setting.option());
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
            if (taken == null) {
                taken = takenPort(config.host(), config.adminPort(), "--admin-port");
            }
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
     * On loopback, or with {@code adminTokenLoopbackOnly} (admin tokens taken from loopback peers only: a pod's
     * {@code kubectl exec}), and with no admin token file of the operator's own, the local admin token's file
     * ({@link LocalAdminToken}: made in the data directory on first start, by {@link #ensureLocalAdminToken}); null
     * otherwise. Remote admin keeps mutual TLS or an explicit token file.
     */
    static Path localAdminTokenFile(EngineConfiguration config) {
        if (config.adminTokenFile() != null || !loopback(config.host()) && !config.adminTokenLoopbackOnly()) {
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
