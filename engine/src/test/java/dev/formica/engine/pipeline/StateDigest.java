package dev.formica.engine.pipeline;

import dev.formica.engine.state.ShardState;
import java.util.TreeMap;

/** A digest of every ledger, hold, record and profile count of a pipeline, to prove a call changed nothing. */
public final class StateDigest {
    private StateDigest() {
    }

    public static String of(DecisionPipeline pipeline) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < pipeline.shards(); k++) {
            ShardState s = pipeline.state(k);
            TreeMap<String, String> rows = new TreeMap<>();
            s.ledger().forEach((b, p, l) -> rows.put("L" + b + "/" + p, l.lineMinor() + "," + l.heldMinor() + ","
                    + l.drawnMinor() + "," + l.frozen() + "," + l.version()));
            s.holds().forEach((id, h) -> rows.put("H" + id, h.state() + "," + h.amountMinor()));
            rows.put("records", Long.toString(s.decisions().size()));
            rows.put("profiles", Long.toString(s.profiles().size()));
            sb.append(k).append(rows);
        }
        return sb.toString();
    }
}
