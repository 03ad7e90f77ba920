package dev.formica.engine.cli;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.DefaultRuleSet;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.RuleProblem;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.v1.ActivateRuleSetRequest;
import dev.formica.v1.ActivateRuleSetResponse;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.ListRuleSetsRequest;
import dev.formica.v1.ListRuleSetsResponse;
import dev.formica.v1.PublishRuleSetRequest;
import dev.formica.v1.PublishRuleSetResponse;
import dev.formica.v1.RuleSetError;
import dev.formica.v1.RuleSetInfo;
import dev.formica.v1.SetShadowRuleSetRequest;
import dev.formica.v1.SetShadowRuleSetResponse;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code formica rules validate|show-default}: work with rule-set files offline; {@code formica rules
 * publish|activate|shadow|list}: manage the rule sets of a running server through {@code AdminService}
 * ({@link AdminConnection} says how the command reaches it and authenticates).
 */
@Command(name = "rules", description = "Validate rule-set files; print the shipped default; publish, activate,"
        + " shadow and list the rule sets of a running server.",
        subcommands = {RulesCommand.Validate.class, RulesCommand.ShowDefault.class, RulesCommand.Publish.class,
            RulesCommand.Activate.class, RulesCommand.Shadow.class, RulesCommand.ListVersions.class,
            CommandLine.HelpCommand.class})
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

    /** Publishes a rule-set file to a running server as a new version (not yet active). */
    @Command(name = "publish", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Publish a rule-set file to a running server as a new version (not active until"
                    + " 'rules activate'). Prints the version and any warnings.")
    public static final class Publish implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "the rule-set YAML file")
        Path file;

        @Option(names = "--author", paramLabel = "NAME", description = "who publishes, for the audit trail"
                + " (default: $USER)")
        String author;

        @Option(names = "--activate", description = "activate the version once published")
        boolean activate;

        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            String yaml = Files.readString(file);
            String who = author != null ? author : System.getenv().getOrDefault("USER", "");
            if (who.isBlank()) {
                throw new CommandErrors.UsageException("--author: required (no $USER to default to)");
            }
            PrintWriter out = spec.commandLine().getOut();
            ManagedChannel channel = server.channel();
            try {
                AdminServiceGrpc.AdminServiceBlockingStub stub = server.stub(channel);
                PublishRuleSetResponse published = AdminConnection.deadline(stub).publishRuleSet(
                        PublishRuleSetRequest.newBuilder().setYaml(yaml).setAuthor(who).build());
                out.println("published " + published.getVersion() + " from " + file);
                for (RuleSetError w : published.getWarningsList()) {
                    out.println(file + ":" + w.getLine() + ":" + w.getColumn() + ": " + w.getMessage() + " (warning)");
                }
                if (activate) {
                    ActivateRuleSetResponse a = AdminConnection.deadline(stub).activateRuleSet(
                            ActivateRuleSetRequest.newBuilder().setVersion(published.getVersion()).build());
                    out.println(activated(a));
                }
                out.flush();
                return 0;
            } finally {
                AdminConnection.close(channel);
            }
        }
    }

    /** Makes a published version the active one on every shard. */
    @Command(name = "activate", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Make a published version the active rule set of a running server.")
    public static final class Activate implements Callable<Integer> {
        @Parameters(paramLabel = "VERSION", description = "a published version ('rules list' shows them)")
        String version;

        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ActivateRuleSetResponse a = server.call(stub -> stub.activateRuleSet(
                    ActivateRuleSetRequest.newBuilder().setVersion(version).build()));
            spec.commandLine().getOut().println(activated(a));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    private static String activated(ActivateRuleSetResponse a) {
        return "active " + a.getActiveVersion()
                + (a.getPreviousVersion().isEmpty() ? "" : " (was " + a.getPreviousVersion() + ")");
    }

    /** Runs a published version in shadow beside the active one, or stops shadowing. */
    @Command(name = "shadow", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Run a published version in shadow beside the active one (its decisions are recorded,"
                    + " not answered), or stop with --clear.")
    public static final class Shadow implements Callable<Integer> {
        @Parameters(paramLabel = "VERSION", arity = "0..1", description = "a published version")
        String version;

        @Option(names = "--clear", description = "stop shadowing")
        boolean clear;

        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (clear == (version != null)) {
                throw new CommandErrors.UsageException("give a VERSION or --clear, not both or neither");
            }
            SetShadowRuleSetResponse r = server.call(stub -> stub.setShadowRuleSet(
                    SetShadowRuleSetRequest.newBuilder().setVersion(clear ? "" : version).build()));
            spec.commandLine().getOut().println(r.getShadowVersion().isEmpty() ? "no shadow rule set"
                    : "shadow " + r.getShadowVersion());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** Lists the published versions, which is active and which is in shadow. */
    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = "List the rule sets published on a running server: which is active, which is in shadow"
                    + " and how often the shadow disagreed.")
    public static final class ListVersions implements Callable<Integer> {
        @Mixin
        AdminConnection server;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            print(server.call(stub -> stub.listRuleSets(ListRuleSetsRequest.getDefaultInstance())),
                    spec.commandLine().getOut());
            return 0;
        }

        static void print(ListRuleSetsResponse r, PrintWriter out) {
            out.printf("  %-28s %-7s %-16s %-20s %6s %6s %s%n", "version", "state", "author", "published (UTC)",
                    "fraud", "credit", "shadow decisions / disagreements");
            for (RuleSetInfo i : r.getRuleSetsList()) {
                String state = i.getActive() ? "active" : i.getShadow() ? "shadow" : "";
                String shadow = i.getShadowDecisions() == 0 && !i.getShadow() ? ""
                        : i.getShadowDecisions() + " / " + i.getShadowDisagreements();
                String published = i.getPublishedMs() == 0 ? "(built in)"
                        : PUBLISHED.format(Instant.ofEpochMilli(i.getPublishedMs()));
                out.printf("%s %-28s %-7s %-16s %-20s %6d %6d %s%n", i.getActive() ? "*" : " ", i.getVersion(), state,
                        i.getAuthor(), published, i.getFraudRules(), i.getCreditRules(), shadow);
            }
            out.flush();
        }
    }

    private static final DateTimeFormatter PUBLISHED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);
}
