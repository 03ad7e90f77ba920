package dev.formica.engine.cli;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.server.EngineServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code formica serve}: runs the engine until SIGTERM / SIGINT, then drains and stops.
 * Settings come from the defaults, then {@code --config FILE}, then the options given here.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the decisioning server.")
public final class ServeCommand implements Callable<Integer> {
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

    /** Builds the configuration these options describe. */
    public EngineConfiguration configuration() {
        EngineConfiguration config = configFile != null ? EngineConfiguration.fromYaml(configFile)
                : new EngineConfiguration();
        if (host != null) {
            config.host(host);
        }
        if (port != null) {
            config.port(port);
        }
        if (dataDir != null) {
            config.dataDir(dataDir);
        }
        if (metricsPort != null) {
            config.metricsPort(metricsPort);
        }
        if (shards != null) {
            config.shards(shards);
        }
        if (rulesFile != null) {
            config.rulesFile(rulesFile);
        }
        if (regulatoryFile != null) {
            config.regulatoryFile(regulatoryFile);
        }
        return config.conclude();
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
        EngineServer server = new EngineServer(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "formica-shutdown"));
        System.out.println("formica serving on " + config.host() + ":" + server.port()
                + (server.metricsPort() > 0 ? ", metrics on :" + server.metricsPort() + "/metrics" : "")
                + ", data in " + config.dataDir().toAbsolutePath());
        server.awaitTermination();
        return 0;
    }
}
