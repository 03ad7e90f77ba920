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
            int start = at;
            long tag = 0;
            int shift = 0;
            byte b;
            do {
                check(at < response.length && shift < 64);
                b = response[at++];
                tag |= (long) (b & 0x7f) << shift;
                shift += 7;
            } while (b < 0);
            long field = tag >>> 3;
            if (field == REPLAYED_FIELD) {
                return response;
            }
            if (field > REPLAYED_FIELD) {
                return insert(response, start);
            }
            at = skip(response, at, (int) (tag & 7));
        }
        return insert(response, response.length);
    }

    private static int skip(byte[] bytes, int from, int wireType) {
        int at = from;
        switch (wireType) {
            case 0 -> {
                while (true) {
                    check(at < bytes.length);
                    if (bytes[at++] >= 0) {
                        break;
                    }
                }
            }
            case 1 -> at += 8;
            case 5 -> at += 4;
            case 2 -> {
                long length = 0;
                int shift = 0;
                byte b;
                do {
                    check(at < bytes.length && shift < 35);
                    b = bytes[at++];
                    length |= (long) (b & 0x7f) << shift;
                    shift += 7;
                } while (b < 0);
                check(length <= bytes.length - at);
                at += (int) length;
            }
            default -> check(false);
        }
        check(at <= bytes.length);
        return at;
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
