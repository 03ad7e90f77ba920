package dev.formica.loadtest;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;

/**
 * The part of a {@link DecisionResponse} the load tool acts on: the outcome, the hold id a Confirm or Cancel
 * follow-up needs, and (DecideStream only) the request id and an in-stream error's code. Read straight from the
 * wire, skipping everything else (reasons, plan, funding, contributions), so the load tool does not spend the
 * server's cores parsing fields it never looks at.
 *
 * @param requestId the echoed request id, or null unless asked for ({@link #STREAM_MARSHALLER})
 * @param outcome the decision; {@link Outcome#OUTCOME_UNSPECIFIED} when absent, {@link Outcome#UNRECOGNIZED} when
 *        the number is unknown
 * @param holdId the hold id as it came on the wire (empty when none): a follow-up sets it as bytes, undecoded
 * @param errorCode the in-stream error's gRPC code number, {@link #NO_ERROR} when the answer carries no error
 */
record DecisionSummary(String requestId, Outcome outcome, ByteString holdId, int errorCode) {
    /** Field numbers of decision.proto's DecisionResponse and DecisionError. */
    private static final int REQUEST_ID = 1;
    private static final int OUTCOME = 2;
    private static final int HOLD_ID = 3;
    private static final int ERROR = 16;
    private static final int ERROR_CODE = 1;
    /** Larger answers (none seen: a Decide answer is well under 1 KB) are read through a stream instead. */
    private static final int MAX_BUFFERED = 64 * 1024;

    /** Unary Decide: the request id is not read (the call is its own match). */
    static final MethodDescriptor.Marshaller<DecisionSummary> UNARY_MARSHALLER = new Lean(false);
    /** DecideStream: the request id matches an answer to its request. */
    static final MethodDescriptor.Marshaller<DecisionSummary> STREAM_MARSHALLER = new Lean(true);

    /** {@link #errorCode} of an answer without an in-stream error. */
    static final int NO_ERROR = -1;

    /** True for an approval that carries a hold (the only answers that get a follow-up). */
    boolean approvedWithHold() {
        return outcome == Outcome.APPROVE && !holdId.isEmpty();
    }

    /** True when the answer is an in-stream error (DecideStream), whatever its code. */
    boolean hasError() {
        return errorCode != NO_ERROR;
    }

    /** The in-stream error's status; call only when {@link #hasError()}. */
    Status.Code status() {
        return Status.fromCodeValue(errorCode).getCode();
    }

    /** Reads one serialised DecisionResponse; {@code withRequestId} false leaves {@link #requestId} null. */
    static DecisionSummary parse(CodedInputStream in, boolean withRequestId) throws IOException {
        String requestId = null;
        int outcome = 0;
        ByteString holdId = ByteString.EMPTY;
        int errorCode = NO_ERROR;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case REQUEST_ID -> {
                    if (withRequestId && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        requestId = in.readStringRequireUtf8();
                    } else {
                        in.skipField(tag);
                    }
                }
                case OUTCOME -> outcome = readVarint(in, tag, outcome);
                case HOLD_ID -> {
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        holdId = in.readBytes();
                    } else {
                        in.skipField(tag);
                    }
                }
                case ERROR -> errorCode = readErrorCode(in, tag, errorCode);
                default -> in.skipField(tag);
            }
        }
        Outcome o = Outcome.forNumber(outcome);
        return new DecisionSummary(requestId, o == null ? Outcome.UNRECOGNIZED : o, holdId, errorCode);
    }

    private static int readVarint(CodedInputStream in, int tag, int previous) throws IOException {
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_VARINT) {
            in.skipField(tag);
            return previous;
        }
        return in.readEnum();
    }

    /** DecisionError's code; a message field may come in several parts, which merge (the last code wins). */
    private static int readErrorCode(CodedInputStream in, int tag, int previous) throws IOException {
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            in.skipField(tag);
            return previous;
        }
        int code = previous == NO_ERROR ? 0 : previous; // present, code 0 unless it says otherwise
        int limit = in.pushLimit(in.readRawVarint32());
        for (int t = in.readTag(); t != 0; t = in.readTag()) {
            if (WireFormat.getTagFieldNumber(t) == ERROR_CODE) {
                code = readVarint(in, t, code);
            } else {
                in.skipField(t);
            }
        }
        in.popLimit(limit);
        return code;
    }

    /**
     * Parses the summary; never serialises one (the load tool only receives them). As grpc-java's protobuf
     * marshaller, a message of known length is first copied into a buffer reused by the thread (an answer is parsed
     * on its transport thread), not read through a stream that allocates a 4 KB buffer per call; a malformed one
     * fails the call with INTERNAL.
     */
    private static final class Lean implements MethodDescriptor.Marshaller<DecisionSummary> {
        private final boolean withRequestId;
        private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[4096]);

        Lean(boolean withRequestId) {
            this.withRequestId = withRequestId;
        }

        @Override
        public InputStream stream(DecisionSummary value) {
            throw new UnsupportedOperationException("a DecisionSummary is only read");
        }

        @Override
        public DecisionSummary parse(InputStream stream) {
            try {
                return DecisionSummary.parse(input(stream), withRequestId);
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e)
                        .asRuntimeException();
            }
        }

        private CodedInputStream input(InputStream stream) throws IOException {
            int size = stream instanceof KnownLength ? stream.available() : -1;
            if (size < 0 || size > MAX_BUFFERED) {
                return CodedInputStream.newInstance(stream);
            }
            byte[] buffer = buffers.get();
            if (buffer.length < size) {
                buffer = new byte[size];
                buffers.set(buffer);
            }
            int read = 0;
            for (int n; read < size && (n = stream.read(buffer, read, size - read)) > 0; ) {
                read += n;
            }
            if (read != size) {
                throw new IOException("message shorter than its length: " + read + " of " + size + " bytes");
            }
            return CodedInputStream.newInstance(buffer, 0, size);
        }
    }
}
