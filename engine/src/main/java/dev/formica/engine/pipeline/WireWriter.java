package dev.formica.engine.pipeline;

import java.util.Arrays;

/**
 * Writes the protocol-buffers wire format into one reused array, for answers the shard encodes without building a
 * message ({@link DecisionResult}). It writes what protobuf-java's generated {@code writeTo} writes: fields in the
 * order the caller gives them (field-number order), proto3 defaults left out by the caller, varints of minimal
 * length, {@code int32} negatives sign-extended to ten bytes, {@code double} as fixed64, strings as UTF-8 with an
 * unpaired surrogate written as {@code '?'}, and nested messages prefixed by their exact length. So protobuf parses
 * the bytes into the message its own builder would have serialised to the same bytes
 * ({@code DecisionResultTest}).
 *
 * <p>Thread contract: one instance per shard writer; allocates only when the array must grow.
 */
final class WireWriter {
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;

    private byte[] buf = new byte[1024];
    private int pos;

    void reset() {
        pos = 0;
    }

    /** The array written so far (valid up to {@link #length()}); replaced when it grows. */
    byte[] array() {
        return buf;
    }

    int length() {
        return pos;
    }

    /** An {@code int64}, {@code int32}, enum or {@code bool} field; 0 is the default and is left out. */
    void varintField(int field, long value) {
        if (value != 0) {
            tag(field, VARINT);
            varint(value);
        }
    }

    /** A {@code double} field; a value whose bits are all zero (0.0) is the default and is left out. */
    void doubleField(int field, double value) {
        long bits = Double.doubleToRawLongBits(value);
        if (bits != 0) {
            tag(field, FIXED64);
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[pos++] = (byte) (bits >>> (8 * i));
            }
        }
    }

    /** A {@code string} field; empty (or null) is the default and is left out. */
    void stringField(int field, CharSequence value) {
        if (value != null && value.length() > 0) {
            tag(field, LENGTH_DELIMITED);
            int mark = pos;
            ensure(1);
            pos++;
            utf8(value);
            endLength(mark);
        }
    }

    /** A hold id's text, {@code h} and the id in lower-case hex ({@code HoldIds.format}), without a String. */
    void holdIdField(int field, long holdId) {
        tag(field, LENGTH_DELIMITED);
        int digits = Math.max(1, (64 - Long.numberOfLeadingZeros(holdId) + 3) / 4);
        varint(1 + digits);
        ensure(1 + digits);
        buf[pos++] = 'h';
        for (int d = digits - 1; d >= 0; d--) {
            buf[pos++] = (byte) Character.forDigit((int) (holdId >>> (4 * d)) & 0xf, 16);
        }
    }

    /** Starts a nested message (or a string written in parts); returns the mark {@link #end} takes. */
    int begin(int field) {
        tag(field, LENGTH_DELIMITED);
        int mark = pos;
        ensure(1);
        pos++;
        return mark;
    }

    /** Ends what {@link #begin} started: writes its length in front of it. */
    void end(int mark) {
        endLength(mark);
    }

    /** Appends {@code s} as UTF-8 (inside a {@link #begin}/{@link #end} pair or a string field). */
    void utf8(CharSequence s) {
        int n = s.length();
        ensure(3 * n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[pos++] = (byte) c;
            } else if (c < 0x800) {
                buf[pos++] = (byte) (0xc0 | (c >>> 6));
                buf[pos++] = (byte) (0x80 | (c & 0x3f));
            } else if (!Character.isSurrogate(c)) {
                buf[pos++] = (byte) (0xe0 | (c >>> 12));
                buf[pos++] = (byte) (0x80 | ((c >>> 6) & 0x3f));
                buf[pos++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                ensure(4 + 3 * (n - i));
                buf[pos++] = (byte) (0xf0 | (cp >>> 18));
                buf[pos++] = (byte) (0x80 | ((cp >>> 12) & 0x3f));
                buf[pos++] = (byte) (0x80 | ((cp >>> 6) & 0x3f));
                buf[pos++] = (byte) (0x80 | (cp & 0x3f));
            } else {
                buf[pos++] = '?';
            }
        }
    }

    /** The body after {@code mark} + 1 is complete: writes its length at {@code mark}, moving the body if needed. */
    private void endLength(int mark) {
        int length = pos - mark - 1;
        int size = varintSize(length);
        if (size > 1) {
            ensure(size - 1);
            System.arraycopy(buf, mark + 1, buf, mark + size, length);
            pos += size - 1;
        }
        int at = mark;
        long v = length;
        while ((v & ~0x7fL) != 0) {
            buf[at++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[at] = (byte) v;
    }

    private void tag(int field, int wireType) {
        varint(((long) field << 3) | wireType);
    }

    private void varint(long value) {
        ensure(10);
        long v = value;
        while ((v & ~0x7fL) != 0) {
            buf[pos++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    private static int varintSize(long value) {
        return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }
}
