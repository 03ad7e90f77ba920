package dev.formica.engine.cli;

import dev.formica.engine.replay.BacktestReports;
import dev.formica.engine.replay.Sandbox;
import dev.formica.engine.stress.RuleShocks;
import dev.formica.engine.stress.Scenario;
import dev.formica.engine.stress.StressResult;
import dev.formica.engine.stress.StressTest;
import dev.formica.engine.stress.SyntheticPortfolio;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code formica stress}: a portfolio under a shocked scenario beside the same portfolio unshocked
 * (docs/backtest-and-stress.md).
 *
 * <p>Thread contract: runs on the calling thread.
 */
@Command(name = "stress", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Replay a journal or a synthetic portfolio under a stress scenario (risk appetite, PD multiplier,"
                + " partner quota cut, income drop) beside the same portfolio unshocked; report exposure, approval"
                + " rate, expected loss (PD x EAD x LGD) by grade and which caps bind.")
public final class StressCommand implements Callable<Integer> {
    private static final List<String> SHIPPED_SCENARIOS = List.of("baseline", "downturn", "severe");

    @Option(names = "--scenario", required = true, paramLabel = "FILE|NAME",
            description = "scenario YAML, or a shipped one: baseline, downturn, severe")
    String scenario;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Where the decisions come from. */
    static final class Source {
        @Option(names = "--journal", paramLabel = "DIR", description = "replay this journal (a data directory or"
                + " its journal/ directory); profiles, rule set, block lists and risk appetite from --data")
        Path journal;

        @Option(names = "--synthetic", paramLabel = "N", description = "a synthetic portfolio of N borrowers, one"
                + " purchase each")
        Integer synthetic;
    }

    @Option(names = "--data", paramLabel = "DIR", description = "data directory for --journal (default: the one the"
            + " journal belongs to)")
    Path data;

    @Option(names = "--rules", paramLabel = "FILE",
            description = "rule set to shock (default: the one active in --data, else the shipped default)")
    Path rules;

    @Option(names = "--regulatory", paramLabel = "FILE", description = "regulatory parameter file (default: shipped)")
    Path regulatory;

    @Option(names = "--seed", defaultValue = "42",
            description = "seed of the synthetic portfolio; default ${DEFAULT-VALUE}")
    long seed;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Scenario shocked = scenario();
        Path dataDir = null;
        List<Profile> profiles;
        int shards = 2;
        if (source.journal != null) {
            dataDir = data != null ? data : BacktestCommand.dataDirOf(source.journal);
            if (dataDir == null) {
                spec.commandLine().getErr().println("--data: give the data directory the journal belongs to");
                return 2;
            }
            profiles = Sandbox.profilesOf(dataDir);
            shards = Sandbox.shardsOf(dataDir);
        } else {
            profiles = SyntheticPortfolio.generate(source.synthetic, seed).profiles();
        }
        String base = rules != null ? Files.readString(rules) : RuleShocks.activeRules(dataDir);
        StressResult before = StressTest.run(Scenario.unshocked(), base, dataDir, regulatory, profiles, requests(),
                shards);
        StressResult after = StressTest.run(shocked, base, dataDir, regulatory, profiles, requests(), shards);
        out.print(text(before, after, shocked));
        out.flush();
        return 0;
    }

    /** The scenario file or shipped scenario named by --scenario; a wrong one is a usage error. */
    private Scenario scenario() throws IOException {
        Path file = Path.of(scenario);
        boolean named = !Files.exists(file) && !scenario.contains("/") && !scenario.endsWith(".yaml");
        try {
            return named ? Scenario.builtin(scenario) : Scenario.load(file);
        } catch (IllegalArgumentException e) {
            throw new CommandErrors.UsageException("--scenario: " + e.getMessage()
                    + (named ? " (shipped: " + String.join(", ", SHIPPED_SCENARIOS) + "; or a scenario YAML file)"
                            : ""), e);
        }
    }

    private Iterator<StressTest.Replay> requests() {
        return source.journal != null ? StressTest.fromJournal(source.journal)
                : SyntheticPortfolio.generate(source.synthetic, seed).requests().iterator();
    }

    static String text(StressResult base, StressResult s, Scenario scenario) {
        StringBuilder sb = new StringBuilder();
        sb.append("scenario  ").append(scenario.name()).append(": ").append(scenario.description()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-26s %18s %18s%n", "", base.scenario(), s.scenario()));
        row(sb, "decisions", Long.toString(base.decisions()), Long.toString(s.decisions()));
        row(sb, "approval rate", pct(base.approvalRateBps()), pct(s.approvalRateBps()));
        row(sb, "exposure approved", money(base.exposureMinor()), money(s.exposureMinor()));
        row(sb, "expected loss (PDxEADxLGD)", money(base.expectedLossMinor()), money(s.expectedLossMinor()));
        row(sb, "EL / exposure", pct((int) base.lossRateBps()), pct((int) s.lossRateBps()));
        sb.append("by grade (approved, exposure, expected loss, EL / exposure)\n");
        TreeSet<String> grades = new TreeSet<>(base.byGrade().keySet());
        grades.addAll(s.byGrade().keySet());
        for (String g : grades) {
            sb.append("  ").append(g).append('\n');
            StressResult.Grade x = base.byGrade().getOrDefault(g, new StressResult.Grade(0, 0, 0));
            StressResult.Grade y = s.byGrade().getOrDefault(g, new StressResult.Grade(0, 0, 0));
            row(sb, "    approved", Long.toString(x.approved()), Long.toString(y.approved()));
            row(sb, "    exposure", money(x.eadMinor()), money(y.eadMinor()));
            row(sb, "    expected loss", money(x.expectedLossMinor()), money(y.expectedLossMinor()));
            row(sb, "    EL / exposure", pct((int) x.lossRateBps()), pct((int) y.lossRateBps()));
        }
        sb.append("binding (first reason of each decision not approved)\n");
        TreeSet<String> codes = new TreeSet<>(base.binding().keySet());
        codes.addAll(s.binding().keySet());
        for (String c : codes) {
            row(sb, "  " + c, Long.toString(base.binding().getOrDefault(c, 0L)),
                    Long.toString(s.binding().getOrDefault(c, 0L)));
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, String a, String b) {
        sb.append(String.format(Locale.ROOT, "%-26s %18s %18s%n", name, a, b));
    }

    private static String pct(int bps) {
        return String.format(Locale.ROOT, "%d.%02d %%", bps / 100, bps % 100);
    }

    private static String money(long minor) {
        return BacktestReports.money(minor);
    }
}
