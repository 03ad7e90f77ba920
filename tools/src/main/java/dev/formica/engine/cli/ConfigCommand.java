package dev.formica.engine.cli;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.config.Settings;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code formica config show [serve options]}: the configuration {@code formica serve} would run with, given the
 * same options, environment and {@code --config} file, each setting with where it came from (flags over
 * {@code FORMICA_*} environment variables over the file over the defaults), checked as at start-up; starts
 * nothing and touches no data directory.
 *
 * <p>Thread contract: runs on the CLI's main thread.
 */
@Command(name = "config", description = "Show the configuration 'formica serve' would run with.",
        subcommands = {ConfigCommand.Show.class, ConfigCommand.Docs.class, CommandLine.HelpCommand.class})
public final class ConfigCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Prints the block {@code serve} prints at start. Exit 2 when the settings would not start. */
    @Command(name = "show", description = "Print every setting 'formica serve' would use with these options (the"
            + " same as serve's), the FORMICA_* environment and --config, and where each came from; start nothing.")
    public static final class Show implements Callable<Integer> {
        /** Exactly serve's options, so the two cannot disagree. */
        @Mixin
        ServeCommand serve;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            EngineConfiguration config;
            try {
                config = serve.configuration();
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new CommandErrors.UsageException(e.getMessage(), e);
            }
            spec.commandLine().getOut().print(config.describe());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** Prints the settings table of docs/configuration.md, made from the settings' declarations. */
    @Command(name = "docs", description = "Print the settings table of docs/configuration.md (Markdown), made from"
            + " the declarations in config/Settings.java; a test fails when the file differs.")
    public static final class Docs implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(Settings.markdownTable());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
