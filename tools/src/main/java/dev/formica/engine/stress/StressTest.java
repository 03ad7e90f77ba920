package dev.formica.engine.stress;

import dev.formica.engine.journal.JournalEntry;
import dev.formica.engine.journal.Journals;
import dev.formica.engine.replay.AuditTrail;
import dev.formica.engine.replay.Sandbox;
import dev.formica.engine.risk.RiskAppetite;
import dev.formica.engine.rules.LoanProduct;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Profile;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Replays a portfolio's decisions (journaled or synthetic) in a {@link Sandbox} under a {@link Scenario}: the
 * risk appetite scaled, PDs multiplied, partner quotas cut and incomes lowered, then reports exposure, approval
 * rate, expected loss = PD × EAD × LGD by grade, and which caps bind.
 *
 * <p>Thread contract: {@link #run} runs on the calling thread and owns the sandbox it opens.
 */
public final class StressTest {
    /** One decision to replay, at the time it was (or would be) asked. */
    public record Replay(DecisionRequest request, long timeMs) {
    }

    private StressTest() {
    }

    /**
     * Runs one scenario.
     *
     * @param baseRulesYaml the rule set the shocks apply to (see {@link RuleShocks#activeRules})
     * @param policySource  data directory whose block lists and risk appetite the sandbox copies; null = none
     * @param regulatory    regulatory parameter file; null = the shipped one
     * @param profiles      the borrowers before the shock
     * @param requests      the decisions, in time order
     */
    public static StressResult run(Scenario scenario, String baseRulesYaml, Path policySource, Path regulatory,
            List<Profile> profiles, Iterator<Replay> requests, int shards) {
        String shocked = RuleShocks.apply(baseRulesYaml, scenario);
        int keepBps = 10_000 - scenario.incomeDropBps();
        UnaryOperator<Profile> incomeDrop = p -> keepBps == 10_000 ? p : p.toBuilder()
                .setAnnualIncomeMinor(p.getAnnualIncomeMinor() / 10_000 * keepBps
                        + p.getAnnualIncomeMinor() % 10_000 * keepBps / 10_000).build();
        long decisions = 0;
        long approved = 0;
        long exposure = 0;
        long loss = 0;
        Map<String, long[]> grades = new TreeMap<>();
        Map<String, Long> binding = new TreeMap<>();
        Replay first = requests.hasNext() ? requests.next() : null;
        long startMs = first == null ? System.currentTimeMillis() : first.timeMs();
        try (Sandbox sandbox = Sandbox.open(policySource, shocked, regulatory, profiles, incomeDrop, shards,
                startMs)) {
            RiskAppetite appetite = sandbox.pipeline().risk().appetite();
            for (LoanProduct each : LoanProduct.values()) {
                int product = each.number();
                long bps = (long) appetite.factorBps(product) * scenario.riskAppetiteBps() / 10_000;
                appetite.set(product, (int) Math.max(1, bps), "stress scenario " + scenario.name(), startMs);
            }
            for (Replay r = first; r != null; r = requests.hasNext() ? requests.next() : null) {
                DecisionResponse answer = sandbox.decide(r.request(), r.timeMs());
                decisions++;
                if (answer.getOutcome() == Outcome.APPROVE) {
                    approved++;
                    long ead = answer.getApprovedAmountMinor();
                    long el = expectedLoss(answer.getPd(), ead, scenario.lgd());
                    exposure += ead;
                    loss += el;
                    String grade = answer.getGradeValue() == 0 ? "-" : answer.getGrade().name().replace("GRADE_", "");
                    long[] g = grades.computeIfAbsent(grade, k -> new long[3]);
                    g[0]++;
                    g[1] += ead;
                    g[2] += el;
                } else {
                    String code = answer.getReasonsCount() == 0 ? answer.getOutcome().name()
                            : answer.getReasons(0).getCode();
                    binding.merge(code, 1L, Long::sum);
                }
            }
        }
        Map<String, StressResult.Grade> byGrade = new TreeMap<>();
        grades.forEach((k, g) -> byGrade.put(k, new StressResult.Grade(g[0], g[1], g[2])));
        return new StressResult(scenario.name(), decisions, approved, exposure, loss, byGrade, binding);
    }

    /** PD × EAD × LGD, rounded half-even to minor units. */
    public static long expectedLoss(double pd, long eadMinor, BigDecimal lgd) {
        return BigDecimal.valueOf(pd).multiply(BigDecimal.valueOf(eadMinor)).multiply(lgd)
                .setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    }

    /** The journaled decisions of a data directory (or journal directory), in time order. */
    public static Iterator<Replay> fromJournal(Path journal) {
        List<Replay> out = new ArrayList<>();
        try (Journals.Merged merged = AuditTrail.open(journal)) {
            for (JournalEntry e = merged.next(); e != null; e = merged.next()) {
                out.add(new Replay(e.request(), e.timeMs()));
            }
        }
        return out.iterator();
    }
}
