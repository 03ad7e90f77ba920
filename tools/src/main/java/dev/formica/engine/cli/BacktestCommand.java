package dev.formica.engine.cli;

import dev.formica.engine.replay.BacktestReports;
import dev.formica.engine.replay.Backtester;
import dev.formica.engine.replay.Sandbox;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.Profile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code formica backtest}: a candidate rule set against journaled decisions, in a sandbox
 * (docs/backtest-and-stress.md).
 *
 * <p>Thread contract: runs on the calling thread.
 */
@Command(name = "backtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Re-run a candidate rule set over journaled decisions on a sandboxed copy of the state (the data"
                + " directory is only read) and report what changes: approval rate, flipped decisions, approved"
                + " exposure, reason codes.")
public final class BacktestCommand implements Callable<Integer> {
    @Option(names = "--journal", required = true, paramLabel = "DIR",
            description = "the journal: a data directory, its journal/ directory, or one shard's")
    Path journal;

    @Option(names = "--rules", required = true, paramLabel = "FILE", description = "the candidate rule set (YAML)")
    Path rules;

    @Option(names = "--data", paramLabel = "DIR",
            description = "data directory whose profiles, rule sets, block lists and risk appetite seed the sandbox"
                    + " (default: the one the journal belongs to)")
    Path data;

    @Option(names = "--html", paramLabel = "FILE", description = "also write a self-contained HTML report")
    Path html;

    @Option(names = "--regulatory", paramLabel = "FILE", description = "regulatory parameter file (default: shipped)")
    Path regulatory;

    @Mixin
    TimeWindowOptions window;

    @Option(names = "--examples", paramLabel = "N", defaultValue = "10",
            description = "flipped decisions listed per kind of flip; default ${DEFAULT-VALUE}")
    int examples;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path dataDir = data != null ? data : dataDirOf(journal);
        if (dataDir == null) {
            spec.commandLine().getErr().println("--data: cannot tell which data directory " + journal
                    + " belongs to; give --data DIR");
            return 2;
        }
        List<Profile> profiles = Sandbox.profilesOf(dataDir);
        BacktestReport report = Backtester.run(journal, Files.readString(rules), profiles, Sandbox.shardsOf(dataDir),
                new Backtester.Options(dataDir, regulatory, window.fromMs, window.toMs, examples));
        out.print(BacktestReports.text(report));
        if (html != null) {
            Files.writeString(html, BacktestReports.html(report), StandardCharsets.UTF_8);
            out.println("html      " + html);
        }
        out.flush();
        return 0;
    }

    /** The data directory a journal directory belongs to, or null. */
    static Path dataDirOf(Path journal) {
        Path p = journal.toAbsolutePath().normalize();
        for (int up = 0; up < 3 && p != null; up++) {
            if (Files.isRegularFile(p.resolve("formica.properties"))) {
                return p;
            }
            p = p.getParent();
        }
        return null;
    }
}
