package dev.formica.engine.journal;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One shard's decision journal: every decision (request, response, the features that decided it, time, shard)
 * appended to memory-mapped segments under {@code <data-dir>/journal/shard-k/}. Appending never blocks (no
 * fsync, no lock) and never fails a decision: a frame that cannot be written is counted in {@link #dropped()}.
 * The measurement that chose this over Chronicle Queue is in BENCHMARKS.md and docs/backtest-and-stress.md.
 *
 * <p>Thread contract: single writer. {@link #append} is called only by the shard's writer thread, after the
 * answer is built; {@link #open} and {@link #close} by the thread that opens and closes the pipeline. Readers
 * ({@link JournalReader}) may run at the same time in any thread or process.
 */
public final class DecisionJournal implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DecisionJournal.class.getName());

    private final int shard;
    private final MappedJournalLog log;
    private final DecisionRecordEncoder encoder = new DecisionRecordEncoder();
    private CompiledRuleSet layoutRules;
    private int layoutId = -1;
    private int layoutSegment = -1;
    private long appended;
    private long errors;

    private DecisionJournal(int shard, MappedJournalLog log) {
        this.shard = shard;
        this.log = log;
    }

    /** Opens (creating) the journal of one shard in {@code dir} and deletes segments past retention. */
    public static DecisionJournal open(Path dir, int shard, JournalConfig config, long nowMs) throws IOException {
        return new DecisionJournal(shard, MappedJournalLog.open(dir, shard, config, nowMs));
    }

    /**
     * Appends one decision. {@code rules} is the rule set that decided and {@code features} the vector it
     * decided on; pass null features when none were computed (NO_PROFILE, NO_LINE): a stale vector would be
     * journaled as if it belonged to this decision. Do not journal replays (the original is journaled).
     */
    public void append(long nowMs, DecisionRequest request, DecisionResponse response, CompiledRuleSet rules,
            FeatureVector features) {
        append(nowMs, request, response, null, rules, features);
    }

    /**
     * As {@link #append(long, DecisionRequest, DecisionResponse, CompiledRuleSet, FeatureVector)}, with the
     * response already serialised (the bytes the shard writes as its idempotency record): saves serialising it
     * twice, about half of the append's cost (BENCHMARKS.md).
     */
    public void append(long nowMs, DecisionRequest request, byte[] responseBytes, CompiledRuleSet rules,
            FeatureVector features) {
        append(nowMs, request, null, responseBytes, rules, features);
    }

    private void append(long nowMs, DecisionRequest request, DecisionResponse response, byte[] responseBytes,
            CompiledRuleSet rules, FeatureVector features) {
        try {
            if (features != null && rules != null && !layoutCurrent(rules, nowMs)) {
                features = null;
            }
            int length = encoder.decisionLength(request, responseBytes != null ? responseBytes.length
                    : response.getSerializedSize(), rules, features);
            int index = log.claim(length, nowMs);
            if (index < 0) {
                return;
            }
            if (features != null && log.segments() != layoutSegment) {
                // The claim rolled to a new segment: repeat the layout there first, so each segment decodes alone.
                if (!writeLayout(rules, nowMs)) {
                    return;
                }
                index = log.claim(length, nowMs);
                if (index < 0) {
                    return;
                }
            }
            encoder.encodeDecision(log.buffer(), log.view(), index, nowMs, shard, layoutId, request, response,
                    responseBytes, rules, features);
            log.commit(index, length, JournalSegments.TYPE_DECISION);
            appended++;
        } catch (RuntimeException e) {
            if (errors++ == 0) {
                LOG.log(Level.WARNING, "journal of shard " + shard + ": cannot append (counted, not logged again)",
                        e);
            }
        }
    }

    /** True when the layout of {@code rules} is in the current segment (writing it if needed). */
    private boolean layoutCurrent(CompiledRuleSet rules, long nowMs) {
        if (rules == layoutRules && layoutSegment == log.segments()) {
            return true;
        }
        return writeLayout(rules, nowMs);
    }

    private boolean writeLayout(CompiledRuleSet rules, long nowMs) {
        int length = DecisionRecordEncoder.layoutLength(rules);
        int index = log.claim(length, nowMs);
        if (index < 0) {
            return false;
        }
        int id = rules == layoutRules ? layoutId : layoutId + 1;
        DecisionRecordEncoder.encodeLayout(log.buffer(), index, id, rules);
        log.commit(index, length, JournalSegments.TYPE_LAYOUT);
        layoutRules = rules;
        layoutId = id;
        layoutSegment = log.segments();
        return true;
    }

    public int shard() {
        return shard;
    }

    /** Decisions appended since open. */
    public long appended() {
        return appended;
    }

    /** Decisions not journaled: no room (disk full, I/O error) or an encoding error. */
    public long dropped() {
        return log.dropped() + errors;
    }

    @Override
    public void close() {
        log.close();
    }
}
