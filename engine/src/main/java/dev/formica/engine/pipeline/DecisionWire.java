package dev.formica.engine.pipeline;

/**
 * Edits a {@code DecisionResponse}'s wire bytes without parsing them: {@link #markReplayed} sets its
 * {@code replayed} field, so a recorded answer goes back to the caller as the bytes protobuf would serialise for the
 * same message with {@code replayed = true}.
 *
 * <p>Thread contract: stateless; any thread (the one that delivers the answer, not the shard's).
 */
final class DecisionWire {
    /** {@code bool replayed = 14} in decision.proto. */
    static final int REPLAYED_FIELD = 14;
    private static final byte REPLAYED_TAG = (byte) (REPLAYED_FIELD << 3);

    private DecisionWire() {
    }

    /**
     * {@code response} with {@code replayed = true}: protobuf writes fields in field-number order, so the two bytes
     * go before the first top-level field numbered above 14 (or at the end). A copy; {@code response} is unchanged
     * and returned as it is when the field is already there.
     *
     * @throws IllegalArgumentException when the bytes are not a well-formed message
     */
    static byte[] markReplayed(byte[] response) {
        int at = 0;
        while (at < response.length) {
            int next = varintEnd(response, at);
            long tag = varint(response, at);
            long field = tag >>> 3;
            if (field == REPLAYED_FIELD) {
                return response;
            }
            if (field > REPLAYED_FIELD) {
                return insert(response, at);
            }
            at = skip(response, next, (int) (tag & 7));
        }
        return insert(response, response.length);
    }

    /**
     * Whether the message in {@code message} (any type: a request the transport parsed) has a top-level field numbered
     * {@code field}; every field is looked at, since a client may write them in any order. True when the bytes are not
     * well-formed (the caller then asks the parsed message, as without this check). Allocates nothing.
     */
    static boolean hasField(byte[] message, int field) {
        try {
            int at = 0;
            while (at < message.length) {
                int next = varintEnd(message, at);
                long tag = varint(message, at);
                if (tag >>> 3 == field) {
                    return true;
                }
                at = skip(message, next, (int) (tag & 7));
            }
            return false;
        } catch (IllegalArgumentException malformed) {
            return true;
        }
    }

    /** The index after the value of wire type {@code wireType} that starts at {@code from}. */
    private static int skip(byte[] bytes, int from, int wireType) {
        int at;
        switch (wireType) {
            case 0 -> at = varintEnd(bytes, from);
            case 1 -> at = from + 8;
            case 5 -> at = from + 4;
            case 2 -> {
                int body = varintEnd(bytes, from);
                long length = varint(bytes, from);
                check(length >= 0 && length <= bytes.length - body);
                at = body + (int) length;
            }
            default -> at = -1;
        }
        check(at >= 0 && at <= bytes.length);
        return at;
    }

    /** The index after the varint at {@code at}; checks it ends within the bytes and ten bytes. */
    private static int varintEnd(byte[] bytes, int at) {
        int i = at;
        while (true) {
            check(i < bytes.length && i - at < 10);
            if (bytes[i++] >= 0) {
                return i;
            }
        }
    }

    /** The value of the varint at {@code at}, which {@link #varintEnd} has checked. */
    private static long varint(byte[] bytes, int at) {
        long value = 0;
        int shift = 0;
        int i = at;
        byte b;
        do {
            b = bytes[i++];
            value |= (long) (b & 0x7f) << shift;
            shift += 7;
        } while (b < 0);
        return value;
    }

    private static byte[] insert(byte[] response, int at) {
        byte[] out = new byte[response.length + 2];
        System.arraycopy(response, 0, out, 0, at);
        out[at] = REPLAYED_TAG;
        out[at + 1] = 1;
        System.arraycopy(response, at, out, at + 2, response.length - at);
        return out;
    }

    private static void check(boolean wellFormed) {
        if (!wellFormed) {
            throw new IllegalArgumentException("not a well-formed DecisionResponse");
        }
    }
}
