package dev.formica.engine.state;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A digest of everything one shard holds: every ledger line, hold, idempotency record, profile, line note and
 * activity entry, field by field, in key order. Two shards with equal digests hold the same state: the replay tests
 * compare a live run's digest with the digest after rebuilding the shard from its log (and from its snapshots).
 *
 * <p>Thread contract: call with the shard quiescent (stopped, or on its writer); it walks every map.
 */
public final class StateDigest {
    private StateDigest() {
    }

    /** The SHA-256 of {@link #rows}, hex. */
    public static String of(ShardState s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> e : rows(s).entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                md.update((byte) '=');
                md.update(e.getValue().getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every entry of the shard as a sorted row (for a readable difference when two digests differ). */
    public static TreeMap<String, String> rows(ShardState s) {
        TreeMap<String, String> rows = new TreeMap<>();
        s.ledger().forEach((b, p, l) -> rows.put("L " + b + "/" + p, l.lineMinor() + "," + l.heldMinor() + ","
                + l.drawnMinor() + "," + l.frozen() + "," + l.grade() + "," + l.version()));
        s.holds().forEach((id, h) -> {
            StringBuilder f = new StringBuilder();
            for (int i = 0; i < h.fundingCount(); i++) {
                f.append(h.funderIndex(i)).append(':').append(h.fundingAmountMinor(i)).append(' ');
            }
            rows.put("H " + id, h.borrowerId() + "," + h.product() + "," + h.amountMinor() + "," + h.createdMs() + ","
                    + h.expiresMs() + "," + h.state() + "," + h.requestIdHash() + "," + f);
        });
        s.decisions().forEach((k, r) -> rows.merge("R " + k, r.kind() + "," + r.createdMs() + "," + r.fingerprint()
                + "," + Arrays.hashCode(r.payload()), (a, b) -> a + "|" + b));
        rows.put("R generation", s.decisions().previousGenerationStartMs() + ","
                + s.decisions().currentGenerationStartMs());
        s.profiles().forEach((b, bytes) -> rows.put("P " + b, Integer.toString(Arrays.hashCode(bytes))));
        s.lineNotes().forEach((b, bytes) -> rows.put("N " + b, Integer.toString(Arrays.hashCode(bytes))));
        s.exposures().forEach((b, p, r) -> rows.put("X " + p + " " + b, r.toString()));
        s.activity().forEach((b, a) -> rows.put("A " + b, a.describe()));
        return rows;
    }
}
