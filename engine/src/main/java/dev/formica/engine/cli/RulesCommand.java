package dev.formica.engine.cli;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleProblem;
import dev.formica.engine.rules.RuleSetCompiler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code formica rules validate|show-default}: work with rule-set files offline. */
@Command(name = "rules", description = "Validate rule-set files; print the shipped default.",
        subcommands = {RulesCommand.Validate.class, RulesCommand.ShowDefault.class, CommandLine.HelpCommand.class})
public final class RulesCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Parses and type-checks a file; prints every problem as FILE:LINE:COLUMN: message. Exit 1 when invalid. */
    @Command(name = "validate", description = "Parse and type-check a rule-set file; print every problem with"
            + " line and column. Exit code 0 = valid, 1 = invalid.")
    public static final class Validate implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "the rule-set YAML file")
        Path file;

        @Option(names = "--regulatory", paramLabel = "FILE",
                description = "regulatory parameter file (default: the one shipped with the engine)")
        Path regulatory;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            RegulatoryParameters reg;
            try {
                reg = regulatory == null ? RegulatoryParameters.builtin() : RegulatoryParameters.load(regulatory);
            } catch (IllegalArgumentException e) {
                throw new CommandErrors.UsageException("--regulatory: " + e.getMessage(), e);
            }
            RuleSetCompiler.Outcome o = new RuleSetCompiler(reg).compile(Files.readString(file));
            for (RuleProblem p : o.errors()) {
                out.println(file + ":" + p + " (error)");
            }
            for (RuleProblem p : o.warnings()) {
                out.println(file + ":" + p + " (warning)");
            }
            if (!o.valid()) {
                out.println(file + ": invalid, " + o.errors().size() + " error(s)");
                out.flush();
                return 1;
            }
            CompiledRuleSet rs = o.ruleSet();
            out.println(file + ": valid rule set " + rs.version() + " (" + rs.fraudRuleCount() + " fraud rules, "
                    + rs.creditRuleCount() + " credit rules, " + rs.scorecard().attributeCount()
                    + " scorecard attributes, " + rs.layout().declaredCount() + " declared features)");
            out.flush();
            return 0;
        }
    }

    /** Prints the shipped default rule set, a starting point for your own. */
    @Command(name = "show-default", description = "Print the shipped default rule set.")
    public static final class ShowDefault implements Runnable {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().print(DefaultRuleSet.yaml());
            spec.commandLine().getOut().flush();
        }
    }
}
