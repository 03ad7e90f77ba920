package dev.formica.loadtest;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.formica.client.FormicaException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/**
 * The {@code google.rpc.ErrorInfo} reason of a failed call ({@code "OVERLOADED"}, {@code "SHARD_QUEUE_FULL"}), read
 * from its status and trailers as {@link FormicaException#reasonName()} reads it, but without building an exception.
 *
 * <p>Why not the SDK's exception: at twice Decide's saturation most answers are refusals, and grpc-java's stub
 * adapter and {@code FormicaException.of} built two exceptions per refusal, each filling in its stack trace on the
 * load tool's event loop: 15 % of that loop's CPU in a profile of the overload (2026-12-07-load-tool-at-overload.md),
 * taken from the server on the same two cores. The load tool only counts the reason.
 *
 * <p>Stateless and thread-safe.
 */
final class RefusalReason {
    private RefusalReason() {
    }

    /**
     * The reason text of the first {@code ErrorInfo} in the status details of {@code trailers} if its domain is
     * Formica's ({@link FormicaException#DOMAIN}); empty when there is none (a deadline the client hit, a transport
     * error, a bare status) or the details cannot be read.
     */
    static String of(Status status, Metadata trailers) {
        if (trailers == null) {
            return "";
        }
        com.google.rpc.Status details;
        try {
            details = StatusProto.fromStatusAndTrailers(status, trailers);
        } catch (RuntimeException e) {
            return ""; // unreadable details: the status alone, as the SDK keeps it
        }
        for (Any any : details.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    ErrorInfo info = any.unpack(ErrorInfo.class);
                    return FormicaException.DOMAIN.equals(info.getDomain()) ? info.getReason() : "";
                } catch (InvalidProtocolBufferException e) {
                    // a detail we cannot read tells us nothing: the next ErrorInfo may, as in the SDK
                }
            }
        }
        return "";
    }
}
