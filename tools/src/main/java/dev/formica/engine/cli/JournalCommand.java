package dev.formica.engine.cli;

import dev.formica.engine.files.OwnerOnly;
import dev.formica.engine.journal.JournalEntry;
import dev.formica.engine.journal.JournalText;
import dev.formica.engine.journal.Journals;
import dev.formica.engine.replay.AuditTrail;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code formica journal tail|export}: read the decision journal of a data directory (docs/backtest-and-stress.md).
 *
 * <p>Thread contract: runs on the calling thread.
 */
@Command(name = "journal", mixinStandardHelpOptions = true,
        description = "Read the decision journal: tail it (no ids on screen) or export it as JSON lines.",
        subcommands = {JournalCommand.Tail.class, JournalCommand.Export.class})
public final class JournalCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The last N decisions, one line each, with a pseudonym instead of the borrower id; optionally follow. */
    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = "Print the last decisions, one line each: time, shard, borrower pseudonym (never the id),"
                    + " outcome, score, grade, rule-set version, reasons.")
    public static final class Tail implements Callable<Integer> {
        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
                description = "data directory, single node or replicated (its raft/ groups), or its journal/ directory;"
                        + " default ${DEFAULT-VALUE}")
        Path dataDir;

        @Option(names = "-n", paramLabel = "N", defaultValue = "20", description = "lines; default ${DEFAULT-VALUE}")
        int lines;

        @Option(names = {"-f", "--follow"}, description = "keep printing decisions as they are journaled (Ctrl-C ends)")
        boolean follow;

        @Option(names = "--poll-ms", defaultValue = "200", hidden = true)
        long pollMs;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Journals.Merged journal = AuditTrail.open(dataDir)) {
                if (journal.shards() == 0) {
                    spec.commandLine().getErr().println("no journal under " + dataDir);
                    return 1;
                }
                ArrayDeque<String> last = new ArrayDeque<>();
                for (JournalEntry e = journal.next(); e != null; e = journal.next()) {
                    last.addLast(JournalText.line(e));
                    if (last.size() > lines) {
                        last.removeFirst();
                    }
                }
                journal.notes().forEach(spec.commandLine().getErr()::println);
                last.forEach(out::println);
                out.flush();
                if (follow) {
                    follow(journal, out);
                }
            }
            return 0;
        }

        /**
         * Prints what is journaled from now on until the thread is interrupted (Ctrl-C ends the process; a caller
         * that runs this command in a thread of its own interrupts it). Each poll reads only what was appended
         * since the last: a replicated group's open Raft segment from the offset where the last read ended.
         */
        private void follow(Journals.Merged journal, PrintWriter out) {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    JournalEntry e = journal.next();
                    if (e == null) {
                        // A terminal tool polling files: nothing to wait on but time.
                        TimeUnit.MILLISECONDS.sleep(pollMs);
                        continue;
                    }
                    out.println(JournalText.line(e));
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Every decision in a time range as JSON lines, ids included: the output is a data file. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write decisions as JSON lines (request and response in the protobuf JSON mapping, features"
                    + " as an object). The file contains borrower ids, device ids and IPs: it is created owner-only;"
                    + " treat it like the data directory.")
    public static final class Export implements Callable<Integer> {
        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
                description = "data directory, single node or replicated (its raft/ groups), or its journal/ directory;"
                        + " default ${DEFAULT-VALUE}")
        Path dataDir;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "JSON-lines file to write")
        Path out;

        @Mixin
        TimeWindowOptions window;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            long written = 0;
            Files.deleteIfExists(out);
            OwnerOnly.file(out);
            try (Journals.Merged journal = AuditTrail.open(dataDir);
                    BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                for (JournalEntry e = journal.next(); e != null; e = journal.next()) {
                    if (window.contains(e.timeMs())) {
                        w.write(JournalText.json(e));
                        w.write('\n');
                        written++;
                    }
                }
                journal.notes().forEach(spec.commandLine().getErr()::println);
            }
            spec.commandLine().getOut().println("exported " + written + " decisions to " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
