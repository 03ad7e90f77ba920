package dev.formica.engine.replay;

import dev.formica.v1.BacktestOutcomes;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Reason;
import dev.formica.v1.ReasonCount;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts outcomes, approved exposure and reason codes of a run of decisions.
 *
 * <p>Thread contract: one thread.
 */
final class OutcomeTally {
    long decisions;
    long approved;
    long declined;
    long reviewed;
    long exposureMinor;
    final Map<String, Long> reasons = new HashMap<>();

    void add(DecisionResponse r) {
        decisions++;
        if (r.getOutcome() == Outcome.APPROVE) {
            approved++;
            exposureMinor = Math.addExact(exposureMinor, r.getApprovedAmountMinor());
        } else if (r.getOutcome() == Outcome.REVIEW) {
            reviewed++;
        } else {
            declined++;
        }
        for (Reason reason : r.getReasonsList()) {
            reasons.merge(reason.getCode(), 1L, Long::sum);
        }
    }

    int approvalRateBps() {
        return decisions == 0 ? 0 : (int) (approved * 10_000 / decisions);
    }

    BacktestOutcomes toProto() {
        BacktestOutcomes.Builder b = BacktestOutcomes.newBuilder().setApproved(approved).setDeclined(declined)
                .setReviewed(reviewed).setApprovalRateBps(approvalRateBps()).setExposureApprovedMinor(exposureMinor);
        reasons.entrySet().stream()
                .sorted((x, y) -> x.getValue().equals(y.getValue()) ? x.getKey().compareTo(y.getKey())
                        : Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> b.addReasons(ReasonCount.newBuilder().setCode(e.getKey()).setCount(e.getValue())));
        return b.build();
    }
}
