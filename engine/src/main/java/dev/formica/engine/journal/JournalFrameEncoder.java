package dev.formica.engine.journal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.FeatureLayout;
import dev.formica.engine.rules.FeatureType;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes journal frames in place into a buffer (a mapped segment, or any scratch buffer): a feature layout
 * frame (slot → name and type, written once per rule set per segment) and decision frames.
 *
 * <pre>
 *   decision payload: long time_ms, int shard, int layout_id (-1 = no features),
 *                     int n, n bytes DecisionRequest, int m, m bytes DecisionResponse,
 *                     int k, k × (short slot, byte type, value: 8 bytes | int length + UTF-8)
 *   layout payload:   int layout_id, int length + UTF-8 rule-set version, int count,
 *                     count × (short slot, byte type, int length + UTF-8 name)
 * </pre>
 *
 * <p>Thread contract: one instance per writer thread; keeps per-rule-set scratch. Encoding a decision
 * allocates only protobuf's two small {@code CodedOutputStream}s (and a byte array for a non-ASCII string).
 */
public final class JournalFrameEncoder {
    static final byte INT = 1;
    static final byte DOUBLE = 2;
    static final byte BOOL = 3;
    static final byte STRING = 4;
    static final int DECISION_FIXED = JournalSegments.FRAME_HEADER_BYTES + 8 + 4 + 4 + 4 + 4 + 4;

    private CompiledRuleSet typedRules;
    private byte[] types = new byte[0];

    /** Frame length of a decision (header included); call before {@link #encodeDecision}. */
    public int decisionLength(DecisionRequest request, DecisionResponse response, CompiledRuleSet rules,
            FeatureVector features) {
        return decisionLength(request, response.getSerializedSize(), rules, features);
    }

    /** Frame length of a decision whose response is {@code responseSize} bytes serialised. */
    public int decisionLength(DecisionRequest request, int responseSize, CompiledRuleSet rules,
            FeatureVector features) {
        return decisionLength(request.getSerializedSize(), responseSize, rules, features);
    }

    /** Frame length of a decision whose request and response are {@code requestSize} and {@code responseSize}. */
    public int decisionLength(int requestSize, int responseSize, CompiledRuleSet rules, FeatureVector features) {
        return DECISION_FIXED + requestSize + responseSize + featuresLength(rules, features);
    }

    /** Writes a decision frame's payload at {@code index} (the frame header is the log's to write). */
    public void encodeDecision(UnsafeBuffer buffer, ByteBuffer view, int index, long nowMs, int shard, int layoutId,
            DecisionRequest request, DecisionResponse response, CompiledRuleSet rules, FeatureVector features) {
        encodeDecision(buffer, view, index, nowMs, shard, layoutId, request, response, null, rules, features);
    }

    /** As above, with the response either as a message or already serialised ({@code responseBytes}). */
    public void encodeDecision(UnsafeBuffer buffer, ByteBuffer view, int index, long nowMs, int shard, int layoutId,
            DecisionRequest request, DecisionResponse response, byte[] responseBytes, CompiledRuleSet rules,
            FeatureVector features) {
        int i = index + JournalSegments.FRAME_HEADER_BYTES;
        buffer.putLong(i, nowMs);
        buffer.putInt(i + 8, shard);
        buffer.putInt(i + 12, features == null || rules == null ? -1 : layoutId);
        i = writeMessage(buffer, view, i + 16, request);
        if (responseBytes != null) {
            i = putBytes(buffer, i, responseBytes, responseBytes.length);
        } else {
            i = writeMessage(buffer, view, i, response);
        }
        writeFeatures(buffer, i, rules, features);
    }

    /**
     * As above, with the request and the response already serialised: the request's bytes as the caller sent them
     * (a valid {@code DecisionRequest}, so the frame reads as before) and the first {@code responseLength} bytes of
     * {@code response}. Allocates nothing.
     */
    public void encodeDecision(UnsafeBuffer buffer, int index, long nowMs, int shard, int layoutId,
            byte[] request, byte[] response, int responseLength, CompiledRuleSet rules, FeatureVector features) {
        int i = index + JournalSegments.FRAME_HEADER_BYTES;
        buffer.putLong(i, nowMs);
        buffer.putInt(i + 8, shard);
        buffer.putInt(i + 12, features == null || rules == null ? -1 : layoutId);
        i = putBytes(buffer, i + 16, request, request.length);
        i = putBytes(buffer, i, response, responseLength);
        writeFeatures(buffer, i, rules, features);
    }

    private static int putBytes(UnsafeBuffer buffer, int index, byte[] bytes, int length) {
        buffer.putInt(index, length);
        buffer.putBytes(index + 4, bytes, 0, length);
        return index + 4 + length;
    }

    private void writeFeatures(UnsafeBuffer buffer, int index, CompiledRuleSet rules, FeatureVector features) {
        int i = index;
        int countAt = i;
        i += 4;
        int count = 0;
        if (features != null && rules != null) {
            byte[] t = typesOf(rules);
            int n = Math.min(t.length, features.capacity());
            for (int slot = 0; slot < n; slot++) {
                if (!features.isPresent(slot)) {
                    continue;
                }
                count++;
                buffer.putShort(i, (short) slot);
                buffer.putByte(i + 2, t[slot]);
                i += 3;
                switch (t[slot]) {
                    case DOUBLE -> {
                        buffer.putDouble(i, features.getDouble(slot));
                        i += 8;
                    }
                    case STRING -> i = putString(buffer, i, features.getString(slot));
                    default -> {
                        buffer.putLong(i, features.getInt(slot));
                        i += 8;
                    }
                }
            }
        }
        buffer.putInt(countAt, count);
    }

    /** Frame length of a layout frame (header included). */
    public static int layoutLength(CompiledRuleSet rules) {
        int length = JournalSegments.FRAME_HEADER_BYTES + 4 + 4 + utf8(rules.version()).length + 4;
        for (FeatureLayout.Slot slot : rules.layout().all().values()) {
            length += 2 + 1 + 4 + utf8(slot.name()).length;
        }
        return length;
    }

    /** Writes a layout frame's payload at {@code index}. */
    public static void encodeLayout(UnsafeBuffer buffer, int index, int layoutId, CompiledRuleSet rules) {
        int i = index + JournalSegments.FRAME_HEADER_BYTES;
        buffer.putInt(i, layoutId);
        i = putBytes(buffer, i + 4, utf8(rules.version()));
        buffer.putInt(i, rules.layout().all().size());
        i += 4;
        for (FeatureLayout.Slot slot : rules.layout().all().values()) {
            buffer.putShort(i, (short) slot.index());
            buffer.putByte(i + 2, code(slot.type()));
            i = putBytes(buffer, i + 3, utf8(slot.name()));
        }
    }

    private int featuresLength(CompiledRuleSet rules, FeatureVector features) {
        if (features == null || rules == null) {
            return 0;
        }
        byte[] t = typesOf(rules);
        int n = Math.min(t.length, features.capacity());
        int length = 0;
        for (int slot = 0; slot < n; slot++) {
            if (features.isPresent(slot)) {
                length += 3 + (t[slot] == STRING ? 4 + utf8Length(features.getString(slot)) : 8);
            }
        }
        return length;
    }

    private byte[] typesOf(CompiledRuleSet rules) {
        if (rules != typedRules) {
            FeatureLayout layout = rules.layout();
            byte[] t = new byte[layout.size()];
            for (FeatureLayout.Slot slot : layout.all().values()) {
                t[slot.index()] = code(slot.type());
            }
            types = t;
            typedRules = rules;
        }
        return types;
    }

    static byte code(FeatureType type) {
        return switch (type) {
            case INT -> INT;
            case DOUBLE -> DOUBLE;
            case BOOL -> BOOL;
            case STRING -> STRING;
        };
    }

    private static int writeMessage(UnsafeBuffer buffer, ByteBuffer view, int i, MessageLite message) {
        int size = message.getSerializedSize();
        buffer.putInt(i, size);
        view.limit(i + 4 + size).position(i + 4);
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(view);
            message.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return i + 4 + size;
    }

    private static int utf8Length(CharSequence s) {
        int n = s.length();
        for (int k = 0; k < n; k++) {
            if (s.charAt(k) >= 0x80) {
                return utf8(s.toString()).length;
            }
        }
        return n;
    }

    private static int putString(UnsafeBuffer buffer, int i, CharSequence s) {
        int n = s.length();
        for (int k = 0; k < n; k++) {
            if (s.charAt(k) >= 0x80) {
                return putBytes(buffer, i, utf8(s.toString()));
            }
        }
        buffer.putInt(i, n);
        for (int k = 0; k < n; k++) {
            buffer.putByte(i + 4 + k, (byte) s.charAt(k));
        }
        return i + 4 + n;
    }

    private static int putBytes(UnsafeBuffer buffer, int i, byte[] bytes) {
        buffer.putInt(i, bytes.length);
        buffer.putBytes(i + 4, bytes);
        return i + 4 + bytes.length;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
