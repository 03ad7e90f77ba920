package dev.formica.engine.journal;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.state.StateOps;
import dev.formica.v1.DecisionRequest;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's decision journal: every decision (request, response, the features that decided it, time, shard) is
 * an audit record in the same shard-log frame as the state changes it made, so the audit trail and the state can
 * never disagree and nothing is written twice. {@link JournalReader} reads the records back from the shard log.
 * A record that cannot be encoded is counted in {@link #dropped()}; the decision still stands.
 *
 * <p>The feature names of the rule set (its layout) are written as a record of their own before the first decision
 * under a rule set, and again every {@value #LAYOUT_EVERY} decisions so that a reader starting in the middle of the
 * log finds them soon.
 *
 * <p>Thread contract: single writer, the shard's writer thread, inside a command (the records go into the
 * command's frame); readers run anywhere.
 */
public final class DecisionJournal {
    private static final Logger LOG = LoggerFactory.getLogger(DecisionJournal.class);
    static final int LAYOUT_EVERY = 10_000;

    private final int shard;
    private final StateOps ops;
    private final JournalFrameEncoder encoder = new JournalFrameEncoder();
    private ByteBuffer view = ByteBuffer.allocateDirect(64 * 1024);
    private final UnsafeBuffer buffer = new UnsafeBuffer(view);
    private CompiledRuleSet layoutRules;
    private int layoutId = -1;
    private long sinceLayout;
    private long appended;
    private long errors;

    private DecisionJournal(int shard, StateOps ops) {
        this.shard = shard;
        this.ops = ops;
    }

    /** The journal of one shard, writing into the frames that {@code ops} collects. */
    public static DecisionJournal forShard(int shard, StateOps ops) {
        return new DecisionJournal(shard, ops);
    }

    /**
     * Appends one decision, with the response already serialised (the bytes the shard keeps as its idempotency
     * record). {@code rules} is the rule set that decided and {@code features} the vector it decided on; pass null
     * features when none were computed (NO_PROFILE, NO_LINE). Do not journal replays (the original is journaled).
     */
    public void append(long nowMs, DecisionRequest request, byte[] responseBytes, CompiledRuleSet rules,
            FeatureVector features) {
        if (!ops.recording()) {
            return;
        }
        try {
            int length = prepare(encoder.decisionLength(request, responseBytes.length, rules, features), rules,
                    features);
            encoder.encodeDecision(buffer, view, 0, nowMs, shard, layoutId, request, null, responseBytes, rules,
                    features);
            appendDecision(length);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /**
     * As above, with the request as the bytes the caller sent (a valid {@code DecisionRequest}, journaled as they
     * are instead of serialising the message again) and the response as the first {@code responseLength} bytes of
     * {@code response}: the shard's path, which allocates nothing.
     */
    public void append(long nowMs, byte[] request, byte[] response, int responseLength, CompiledRuleSet rules,
            FeatureVector features) {
        if (!ops.recording()) {
            return;
        }
        try {
            int length = prepare(encoder.decisionLength(request.length, responseLength, rules, features), rules,
                    features);
            encoder.encodeDecision(buffer, 0, nowMs, shard, layoutId, request, response, responseLength, rules,
                    features);
            appendDecision(length);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** Writes the layout record first when it is due; makes room for a decision frame of {@code length}. */
    private int prepare(int length, CompiledRuleSet rules, FeatureVector features) {
        if (features != null && rules != null && (rules != layoutRules || sinceLayout >= LAYOUT_EVERY)) {
            writeLayout(rules);
        }
        ensure(length);
        return length;
    }

    private void appendDecision(int length) {
        buffer.putInt(0, length);
        buffer.putInt(4, JournalSegments.TYPE_DECISION);
        ops.audit(buffer, length);
        appended++;
        sinceLayout++;
    }

    private void failed(RuntimeException e) {
        if (errors++ == 0) {
            LOG.warn("journal of shard " + shard + ": cannot encode (counted, not logged again)", e);
        }
    }

    private void writeLayout(CompiledRuleSet rules) {
        int length = JournalFrameEncoder.layoutLength(rules);
        ensure(length);
        int id = layoutId + 1;
        JournalFrameEncoder.encodeLayout(buffer, 0, id, rules);
        buffer.putInt(0, length);
        buffer.putInt(4, JournalSegments.TYPE_LAYOUT);
        ops.audit(buffer, length);
        layoutRules = rules;
        layoutId = id;
        sinceLayout = 0;
    }

    private void ensure(int length) {
        if (length > view.capacity()) {
            view = ByteBuffer.allocateDirect(Integer.highestOneBit(length) << 1);
            buffer.wrap(view);
        }
    }

    public int shard() {
        return shard;
    }

    /** Decisions appended since open. */
    public long appended() {
        return appended;
    }

    /** Decisions not journaled: an encoding error. */
    public long dropped() {
        return errors;
    }
}
