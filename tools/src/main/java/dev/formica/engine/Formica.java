package dev.formica.engine;

import dev.formica.engine.cli.AppetiteCommand;
import dev.formica.engine.cli.BacktestCommand;
import dev.formica.engine.cli.BareEchoCommand;
import dev.formica.engine.cli.BlockListCommand;
import dev.formica.engine.cli.ClusterCommand;
import dev.formica.engine.cli.CommandErrors;
import dev.formica.engine.cli.ConfigCommand;
import dev.formica.engine.cli.DemoCommand;
import dev.formica.engine.cli.JournalCommand;
import dev.formica.engine.cli.LatencyCommand;
import dev.formica.engine.cli.LoadCommand;
import dev.formica.engine.cli.RulesCommand;
import dev.formica.engine.cli.ScorecardCommand;
import dev.formica.engine.cli.ServeCommand;
import dev.formica.engine.cli.StressCommand;
import dev.formica.engine.cli.VersionCommand;
import dev.formica.engine.logging.LogFormat;
import dev.formica.loadtest.LoadTestCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code formica} command line: {@code serve}, {@code demo}, {@code load}, {@code loadtest}, {@code latency},
 * {@code scorecard}, {@code rules}, {@code appetite}, {@code blocklist}, {@code config}, {@code journal},
 * {@code backtest}, {@code stress}, {@code version}, {@code help}.
 *
 * <p>Thread contract: runs on the main thread; each subcommand owns what it starts.
 */
@Command(name = "formica",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Real-time credit and fraud decisioning engine on gRPC.",
        subcommands = {
            ServeCommand.class,
            DemoCommand.class,
            LoadCommand.class,
            LatencyCommand.class,
            VersionCommand.class,
            LoadTestCommand.class,
            ScorecardCommand.class,
            RulesCommand.class,
            AppetiteCommand.class,
            BlockListCommand.class,
            ClusterCommand.class,
            ConfigCommand.class,
            JournalCommand.class,
            BacktestCommand.class,
            StressCommand.class,
            BareEchoCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Formica implements Runnable {
    static {
        // Before any Chronicle class loads: no usage analytics ever leave the machine.
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        // gRPC's java.util.logging lines go through SLF4J and Logback like the engine's (docs/observability.md)
        LogFormat.bridgeJavaUtilLogging();
    }

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Formica()).setExecutionExceptionHandler(new CommandErrors()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
