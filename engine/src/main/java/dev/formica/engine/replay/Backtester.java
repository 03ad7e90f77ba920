package dev.formica.engine.replay;

import dev.formica.engine.journal.JournalEntry;
import dev.formica.engine.journal.Journals;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.FlipCount;
import dev.formica.v1.FlippedDecision;
import dev.formica.v1.Outcome;
import dev.formica.v1.Profile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Re-runs a candidate rule set over journaled decisions in a {@link Sandbox} and compares the answers with what
 * the engine said at the time: approval rate, flipped decisions, approved exposure and reason codes. A second
 * sandbox replays the journaled rule-set versions themselves, to show how faithful the sandbox is.
 *
 * <p>Thread contract: {@link #run} runs on the calling thread and owns both sandboxes it opens.
 */
public final class Backtester {
    /**
     * What to compare over which decisions.
     *
     * @param policySource data directory whose rule sets, block lists and risk appetite the sandboxes copy
     * @param regulatory   regulatory parameter file; null = the shipped one
     * @param fromMs       first decision time (inclusive)
     * @param toMs         end of the window (exclusive)
     * @param maxExamples  flipped decisions to list per kind of flip
     */
    public record Options(Path policySource, Path regulatory, long fromMs, long toMs, int maxExamples) {
    }

    private Backtester() {
    }

    /**
     * Runs the backtest.
     *
     * @param journal       a data directory (single node or replicated: {@link AuditTrail}), its journal directory or
     *                      one shard's journal directory
     * @param candidateYaml the candidate rule set
     * @param profiles      the borrowers (a snapshot: {@link Sandbox#profilesOf})
     * @param shards        shards of the sandboxes
     */
    public static BacktestReport run(Path journal, String candidateYaml, List<Profile> profiles, int shards,
            Options options) {
        OutcomeTally before = new OutcomeTally();
        OutcomeTally after = new OutcomeTally();
        Map<String, Long> flips = new TreeMap<>();
        Map<String, List<FlippedDecision>> examples = new TreeMap<>();
        TreeSet<String> versions = new TreeSet<>();
        long agreements = 0;
        long firstMs = options.fromMs();
        long lastMs = options.fromMs() - 1;
        String candidateVersion;
        // Streamed: a week of journal does not fit in memory, so both sandboxes open at the first decision's time.
        try (Journals.Merged merged = AuditTrail.open(journal)) {
            JournalEntry e = merged.next();
            while (e != null && e.timeMs() < options.fromMs()) {
                e = merged.next();
            }
            long startMs = e == null ? options.fromMs() : e.timeMs();
            firstMs = startMs;
            try (Sandbox candidate = Sandbox.open(options.policySource(), candidateYaml, options.regulatory(),
                    profiles, p -> p, shards, startMs);
                    Sandbox baseline = Sandbox.open(options.policySource(), null, options.regulatory(), profiles,
                            p -> p, shards, startMs)) {
                candidateVersion = candidate.pipeline().risk().rules().active().version();
                for (; e != null && e.timeMs() < options.toMs(); e = merged.next()) {
                    lastMs = e.timeMs();
                    DecisionResponse was = e.response();
                    versions.add(was.getRuleSetVersion());
                    DecisionResponse now = candidate.decide(e.request(), e.timeMs());
                    before.add(was);
                    after.add(now);
                    if (baseline.activateIfPublished(was.getRuleSetVersion())
                            && baseline.decide(e.request(), e.timeMs()).getOutcome() == was.getOutcome()) {
                        agreements++;
                    }
                    if (now.getOutcome() != was.getOutcome()) {
                        String kind = was.getOutcome().name() + ">" + now.getOutcome().name();
                        flips.merge(kind, 1L, Long::sum);
                        List<FlippedDecision> list = examples.computeIfAbsent(kind, k -> new ArrayList<>());
                        if (list.size() < options.maxExamples()) {
                            list.add(FlippedDecision.newBuilder()
                                    .setBorrowerPseudonym(Journals.pseudonym(e.request().getBorrowerId()))
                                    .setTimeMs(e.timeMs()).setAmountMinor(e.request().getAmountMinor())
                                    .setBefore(was.getOutcome()).setAfter(now.getOutcome())
                                    .setAfterReason(now.getReasonsCount() == 0 ? "" : now.getReasons(0).getCode())
                                    .build());
                        }
                    }
                }
            }
        }
        BacktestReport.Builder report = BacktestReport.newBuilder().setCandidateVersion(candidateVersion)
                .setFromMs(firstMs).setToMs(lastMs + 1).setDecisions(before.decisions)
                .setBefore(before.toProto()).setAfter(after.toProto())
                .setReplayAgreements(agreements).addAllJournaledVersions(versions);
        flips.forEach((kind, count) -> {
            String[] parts = kind.split(">");
            report.addFlips(FlipCount.newBuilder().setBefore(Outcome.valueOf(parts[0]))
                    .setAfter(Outcome.valueOf(parts[1])).setCount(count));
        });
        examples.values().forEach(report::addAllExamples);
        return report.build();
    }
}
