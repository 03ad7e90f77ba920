package dev.formica.client;

import dev.formica.v1.CancelRequest;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RiskEvent;
import java.util.UUID;

/**
 * Makes idempotency keys and fills them into requests that came without one.
 *
 * <p>Stateless and thread-safe. Ids are random UUIDs (36 characters, within the API's 1..64
 * printable ASCII): SecureRandom-backed, so two clients never collide inside the server's 24-hour
 * idempotency window. The client fills an id once, before the first attempt, so every retry of a
 * call carries the same key and the server can replay instead of acting twice.
 */
public final class RequestIds {
    private RequestIds() {
    }

    /** A fresh request id. */
    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /** {@code request} itself when it has a request_id, otherwise a copy with a fresh one. */
    public static DecisionRequest ensure(DecisionRequest request) {
        return request.getRequestId().isEmpty() ? request.toBuilder().setRequestId(newId()).build() : request;
    }

    /** {@code request} itself when it has a request_id, otherwise a copy with a fresh one. */
    public static ConfirmRequest ensure(ConfirmRequest request) {
        return request.getRequestId().isEmpty() ? request.toBuilder().setRequestId(newId()).build() : request;
    }

    /** {@code request} itself when it has a request_id, otherwise a copy with a fresh one. */
    public static CancelRequest ensure(CancelRequest request) {
        return request.getRequestId().isEmpty() ? request.toBuilder().setRequestId(newId()).build() : request;
    }

    /** {@code request} itself when it has a request_id, otherwise a copy with a fresh one. */
    public static RepayRequest ensure(RepayRequest request) {
        return request.getRequestId().isEmpty() ? request.toBuilder().setRequestId(newId()).build() : request;
    }

    /** {@code request} itself when it has a request_id, otherwise a copy with a fresh one. */
    public static CreditApplication ensure(CreditApplication request) {
        return request.getRequestId().isEmpty() ? request.toBuilder().setRequestId(newId()).build() : request;
    }

    /** {@code request} itself when it has a request_id, otherwise a copy with a fresh one. */
    public static RiskEvent ensure(RiskEvent request) {
        return request.getRequestId().isEmpty() ? request.toBuilder().setRequestId(newId()).build() : request;
    }
}
