package dev.formica.engine.journal;

import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import java.util.Map;

/**
 * One journaled decision, decoded: when, on which shard, what was asked, what was answered, and the features
 * it was decided on (name → Long, Double, Boolean or String, in slot order; empty when none were journaled).
 */
public record JournalEntry(long timeMs, int shard, DecisionRequest request, DecisionResponse response,
        Map<String, Object> features) {
}
