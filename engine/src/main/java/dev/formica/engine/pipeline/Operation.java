package dev.formica.engine.pipeline;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Profile;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The mutating operations of a shard, one row each: the kind byte its idempotency record carries (in the shard log
 * and the records on disk, so the numbers never change), its name in refusals, how the request finds its shard (the
 * borrower id, or the partition a hold id names), the request id and fingerprint that make a retry idempotent, how a
 * recorded answer is read back and marked replayed, and the shard's handler. {@link DecisionPipeline#submit} routes
 * any row; {@link ShardProcessor#run} answers a retry from the record of any replayable row before the handler runs.
 *
 * <p>Adding a mutating RPC: the server's handler (validate in {@code server/RequestValidator}, then
 * {@code pipeline.submit(Operation.X, ...)}), one row here (the next unused kind byte), and the
 * {@link ShardProcessor} method the row names (docs/contributing.md, "Adding a mutating RPC").
 *
 * <p>Thread contract: immutable rows; the functions are stateless; any thread.
 */
public final class Operation<Q, R> {
    /** What routes a request to its shard; the field names the request field a routing refusal names. */
    public enum Route {
        /** The borrower id's partition. */
        BORROWER("borrower_id"),
        /** The partition the hold id names (no look-up); the parsed id is the handler's {@code arg}. */
        HOLD("hold_id");

        private final String field;

        Route(String field) {
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /**
     * The fingerprint of a request's meaningful fields ({@link IdempotencyKeys}); {@code arg} is the hold id. Stored
     * in the records like the kind byte: a row's fingerprint never changes, or retries across an upgrade are refused.
     */
    @FunctionalInterface
    interface Fingerprint<Q> {
        long of(Q request, long arg);
    }

    public static final Operation<DecisionRequest, DecisionResponse> DECIDE = replayable(1, "Decide",
            Route.BORROWER, DecisionRequest::getBorrowerId, DecisionRequest::getRequestId,
            (r, arg) -> IdempotencyKeys.decide(r), DecisionResponse.parser(),
            d -> d.toBuilder().setReplayed(true).build(), (p, r, arg, now, start) -> p.decideFresh(r, now, start));
    public static final Operation<ConfirmRequest, ConfirmResponse> CONFIRM = replayable(2, "Confirm",
            Route.HOLD, ConfirmRequest::getHoldId, ConfirmRequest::getRequestId,
            (r, holdId) -> IdempotencyKeys.hold(2, holdId), ConfirmResponse.parser(),
            c -> c.toBuilder().setReplayed(true).build(), (p, r, holdId, now, start) -> p.confirm(r, holdId, now));
    public static final Operation<CancelRequest, CancelResponse> CANCEL = replayable(3, "Cancel",
            Route.HOLD, CancelRequest::getHoldId, CancelRequest::getRequestId,
            (r, holdId) -> IdempotencyKeys.hold(3, holdId), CancelResponse.parser(),
            c -> c.toBuilder().setReplayed(true).build(), (p, r, holdId, now, start) -> p.cancel(r, holdId, now));
    public static final Operation<RepayRequest, RepayResponse> REPAY = replayable(4, "Repay",
            Route.BORROWER, RepayRequest::getBorrowerId, RepayRequest::getRequestId,
            (r, arg) -> IdempotencyKeys.repay(r), RepayResponse.parser(),
            rp -> rp.toBuilder().setReplayed(true).build(), (p, r, arg, now, start) -> p.repay(r, now));
    public static final Operation<CreditApplication, CreditOffer> APPLY = replayable(5, "Apply",
            Route.BORROWER, CreditApplication::getBorrowerId, CreditApplication::getRequestId,
            (a, arg) -> IdempotencyKeys.apply(a), CreditOffer.parser(),
            o -> o.toBuilder().setReplayed(true).build(), (p, a, arg, now, start) -> p.apply(a, now, start));
    public static final Operation<RiskEvent, RiskEventResponse> RISK_EVENT = replayable(6, "ReportRiskEvent",
            Route.BORROWER, RiskEvent::getBorrowerId, RiskEvent::getRequestId,
            (e, arg) -> IdempotencyKeys.riskEvent(e), RiskEventResponse.parser(),
            e -> e.toBuilder().setReplayed(true).build(), (p, e, arg, now, start) -> p.riskEvent(e, now));
    /** Upsert and Load: a profile write is the same however often it is sent, so it keeps no record (kind 0). */
    public static final Operation<Profile, Boolean> UPSERT_PROFILE = new Operation<>((byte) 0, "UpsertProfile",
            Route.BORROWER, Profile::getBorrowerId, null, null, null, null,
            (p, r, arg, now, start) -> p.upsert(r, now));

    private static final List<Operation<?, ?>> ALL = List.of(DECIDE, CONFIRM, CANCEL, REPAY, APPLY, RISK_EVENT,
            UPSERT_PROFILE);
    /** The replayable rows by kind byte. */
    private static final Operation<?, ?>[] BY_KIND = byKind(ALL);

    private final byte kind;
    private final String name;
    private final Route route;
    private final Function<Q, String> routingKey;
    private final Function<Q, String> requestId;
    private final Fingerprint<Q> fingerprint;
    private final Parser<R> parser;
    private final UnaryOperator<R> markReplayed;
    private final ShardCommand.Op<Q, R> handler;
    /** The shard command of this row: the idempotency check, then the handler ({@link ShardProcessor#run}). */
    private final ShardCommand.Op<Q, R> command;

    private Operation(byte kind, String name, Route route, Function<Q, String> routingKey,
            Function<Q, String> requestId, Fingerprint<Q> fingerprint, Parser<R> parser, UnaryOperator<R> markReplayed,
            ShardCommand.Op<Q, R> handler) {
        this.kind = kind;
        this.name = name;
        this.route = route;
        this.routingKey = routingKey;
        this.requestId = requestId;
        this.fingerprint = fingerprint;
        this.parser = parser;
        this.markReplayed = markReplayed;
        this.handler = handler;
        this.command = (p, request, arg, now, start) -> p.run(this, request, arg, now, start);
    }

    private static <Q, R> Operation<Q, R> replayable(int kind, String name, Route route,
            Function<Q, String> routingKey, Function<Q, String> requestId, Fingerprint<Q> fingerprint,
            Parser<R> parser, UnaryOperator<R> markReplayed, ShardCommand.Op<Q, R> handler) {
        return new Operation<>((byte) kind, name, route, routingKey, requestId, fingerprint, parser, markReplayed,
                handler);
    }

    private static Operation<?, ?>[] byKind(List<Operation<?, ?>> rows) {
        Operation<?, ?>[] table = new Operation<?, ?>[Byte.MAX_VALUE + 1];
        for (Operation<?, ?> row : rows) {
            if (!row.replayable()) {
                continue;
            }
            if (row.kind <= 0 || table[row.kind] != null) {
                throw new IllegalStateException("kind " + row.kind + " of " + row.name + " is not > 0 or used twice");
            }
            table[row.kind] = row;
        }
        return table;
    }

    /** Every row, replayable or not. */
    public static List<Operation<?, ?>> all() {
        return ALL;
    }

    /** The replayable row whose records carry {@code kind}; null when none does. */
    public static Operation<?, ?> ofKind(byte kind) {
        return kind > 0 ? BY_KIND[kind] : null;
    }

    /** The kind byte of its idempotency records; 0 = keeps none. */
    public byte kind() {
        return kind;
    }

    /** The RPC's name, as refusals name it ("already used for a Confirm call"). */
    public String name() {
        return name;
    }

    public Route route() {
        return route;
    }

    /** The borrower id or hold id text that routes {@code request}. */
    public String routingKey(Q request) {
        return routingKey.apply(request);
    }

    /** Whether a retry with the same request id is answered from a record of the first answer. */
    public boolean replayable() {
        return parser != null;
    }

    String requestId(Q request) {
        return requestId.apply(request);
    }

    long fingerprint(Q request, long arg) {
        return fingerprint.of(request, arg);
    }

    /** The recorded answer {@code payload}, marked replayed. */
    public R replay(byte[] payload) throws InvalidProtocolBufferException {
        return markReplayed.apply(parser.parseFrom(payload));
    }

    /**
     * The message of an answer the shard left as wire bytes (a fresh Decide's, or any recorded one), marked replayed
     * when {@code replayed}: parsed by the thread that delivers it, not the shard's. STATE_UNREADABLE when the bytes
     * do not parse.
     */
    R answer(byte[] payload, boolean replayed) {
        try {
            return replayed ? replay(payload) : parser.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw Refused.of(DomainError.STATE_UNREADABLE, "idempotency record unreadable");
        }
    }

    ShardCommand.Op<Q, R> handler() {
        return handler;
    }

    ShardCommand.Op<Q, R> command() {
        return command;
    }

    @Override
    public String toString() {
        return name + "(kind " + kind + ")";
    }
}
