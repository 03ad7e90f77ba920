package dev.formica.engine.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.formica.engine.state.DecisionRecord;
import dev.formica.engine.state.DecisionRecords;
import dev.formica.engine.state.HoldSnapshot;
import dev.formica.engine.state.HoldState;
import dev.formica.engine.state.IntentLog;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Grade;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.ProductLine;
import dev.formica.v1.Profile;
import dev.formica.v1.Reason;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.collections.LongArrayQueue;

/**
 * The credit-ledger logic of one shard: Decide, Confirm, Cancel, Repay, profile writes, hold expiry
 * and the start-up recovery and reconciliation of the shard's state.
 *
 * <p>Thread contract: single writer. Every method is called by the one thread that currently owns
 * the shard (its agent thread, or the caller that holds the drain flag); there are no locks here.
 * Reads from other threads go straight to the thread-safe maps.
 *
 * <p>Each mutation follows one order: describe it in the {@link IntentLog}, write the idempotency
 * record, the hold, then the ledger, then clear the intent, and only then answer the caller. A crash
 * anywhere in between is redone at start-up by {@link #recover}.
 */
final class ShardProcessor {
    static final byte KIND_DECIDE = 1;
    static final byte KIND_CONFIRM = 2;
    static final byte KIND_CANCEL = 3;
    static final byte KIND_REPAY = 4;

    static final int OP_DECIDE = 1;
    static final int OP_CONFIRM = 2;
    static final int OP_CANCEL = 3;
    static final int OP_EXPIRE = 4;
    static final int OP_REPAY = 5;

    private static final String[] KIND_NAMES = {"", "Decide", "Confirm", "Cancel", "Repay"};
    private static final int EXPIRY_BATCH = 256;

    private final int shardId;
    private final ShardState state;
    private final IntentLog intent;
    private final long holdTtlMs;
    private final long holdRetentionMs;
    private final String currency;
    private final Cache<String, Message> replayCache;
    private final LedgerSnapshot ledger = new LedgerSnapshot();
    private final HoldSnapshot hold = new HoldSnapshot();
    /** (expiresMs, holdId) pairs in creation order; the TTL is constant, so also in expiry order. */
    private final LongArrayQueue expiries = new LongArrayQueue();
    /** (removeAtMs, holdId) pairs of finished holds, kept for the idempotency window then removed. */
    private final LongArrayQueue removals = new LongArrayQueue();
    private long nextHoldSequence;
    private long nextRotationCheckMs;

    ShardProcessor(int shardId, ShardState state, IntentLog intent, long holdTtlMs, long holdRetentionMs,
            String currency, Cache<String, Message> replayCache) {
        this.shardId = shardId;
        this.state = state;
        this.intent = intent;
        this.holdTtlMs = holdTtlMs;
        this.holdRetentionMs = holdRetentionMs;
        this.currency = currency;
        this.replayCache = replayCache;
    }

    int shardId() {
        return shardId;
    }

    ShardState state() {
        return state;
    }

    // ---- Decide ---------------------------------------------------------------------------------

    DecisionResponse decide(DecisionRequest r, long nowMs, long startNanos) {
        String requestId = r.getRequestId();
        if (state.decisions().contains(requestId)) {
            return replay(requestId, KIND_DECIDE, DecisionResponse.parser());
        }
        String borrowerId = r.getBorrowerId();
        int product = r.getProductValue();
        long amount = r.getAmountMinor();
        DecisionResponse.Builder response = DecisionResponse.newBuilder().setRequestId(requestId);
        if (!state.ledger().get(borrowerId, product, ledger)) {
            if (!state.profiles().contains(borrowerId)) {
                decline(response, "NO_PROFILE", "no profile for this borrower", "");
            } else {
                decline(response, "NO_LINE", "the borrower has no line on " + r.getProduct(), "line_minor=0");
            }
            return recordDecline(response, requestId, nowMs, startNanos);
        }
        long available = ledger.availableMinor();
        response.setGrade(grade(ledger.grade())).setAvailableAfterMinor(Math.max(0, available));
        if (ledger.frozen()) {
            decline(response, "LINE_FROZEN", "the line is frozen after an early-warning event", "frozen=true");
            return recordDecline(response, requestId, nowMs, startNanos);
        }
        if (amount > available) {
            decline(response, "INSUFFICIENT_LINE", "the amount exceeds the available line",
                    "available_minor=" + Math.max(0, available));
            return recordDecline(response, requestId, nowMs, startNanos);
        }
        long holdId = HoldIds.compose(shardId, nextHoldSequence++);
        long expiresMs = nowMs + holdTtlMs;
        DecisionResponse approved = response.setOutcome(Outcome.APPROVE)
                .setHoldId(HoldIds.format(holdId))
                .setApprovedAmountMinor(amount)
                .setAvailableAfterMinor(available - amount)
                .setHoldExpiresMs(expiresMs)
                .setServerNanos(System.nanoTime() - startNanos)
                .build();
        byte[] payload = approved.toByteArray();
        long requestHash = DecisionRecords.hash(requestId);
        intent.begin(OP_DECIDE)
                .ledger(borrowerId, product, ledger.version(), amount, 0)
                .hold(holdId, HoldState.ACTIVE, amount, nowMs, expiresMs, requestHash)
                .record(requestId, KIND_DECIDE, nowMs, payload)
                .commit();
        state.decisions().put(requestId, KIND_DECIDE, nowMs, payload);
        state.holds().put(holdId, hold.reset().borrowerId(borrowerId).product(product).amountMinor(amount)
                .createdMs(nowMs).expiresMs(expiresMs).state(HoldState.ACTIVE).requestIdHash(requestHash));
        state.ledger().apply(borrowerId, product, amount, 0, nowMs);
        intent.clear();
        expiries.addLong(expiresMs);
        expiries.addLong(holdId);
        remember(requestId, approved);
        return approved;
    }

    private static void decline(DecisionResponse.Builder response, String code, String text, String value) {
        response.setOutcome(Outcome.DECLINE)
                .addReasons(Reason.newBuilder().setCode(code).setText(text).setValue(value));
    }

    private DecisionResponse recordDecline(DecisionResponse.Builder response, String requestId, long nowMs,
            long startNanos) {
        DecisionResponse declined = response.setServerNanos(System.nanoTime() - startNanos).build();
        // One map write is atomic on its own: no intent needed when nothing else changes.
        state.decisions().put(requestId, KIND_DECIDE, nowMs, declined.toByteArray());
        remember(requestId, declined);
        return declined;
    }

    // ---- Confirm / Cancel / expiry ----------------------------------------------------------------

    ConfirmResponse confirm(ConfirmRequest r, long holdId, long nowMs) {
        String requestId = r.getRequestId();
        if (state.decisions().contains(requestId)) {
            return replay(requestId, KIND_CONFIRM, ConfirmResponse.parser());
        }
        loadHold(holdId, nowMs);
        switch (hold.state()) {
            case HoldState.CONFIRMED:
                throw failedPrecondition("hold_id: the hold is already confirmed");
            case HoldState.CANCELLED:
                throw failedPrecondition("hold_id: the hold was cancelled");
            case HoldState.EXPIRED:
                throw failedPrecondition("hold_id: the hold expired");
            default:
                break;
        }
        String borrowerId = hold.borrowerId().toString();
        int product = hold.product();
        long amount = hold.amountMinor();
        requireLedger(borrowerId, product);
        ConfirmResponse response = ConfirmResponse.newBuilder()
                .setRequestId(requestId)
                .setHoldId(r.getHoldId())
                .setDrawnAmountMinor(amount)
                .setLine(lineAfter(borrowerId, product, -amount, amount))
                .build();
        byte[] payload = response.toByteArray();
        intent.begin(OP_CONFIRM)
                .ledger(borrowerId, product, ledger.version(), -amount, amount)
                .hold(holdId, HoldState.CONFIRMED, amount, nowMs, hold.expiresMs(), hold.requestIdHash())
                .record(requestId, KIND_CONFIRM, nowMs, payload)
                .commit();
        state.decisions().put(requestId, KIND_CONFIRM, nowMs, payload);
        state.holds().setState(holdId, HoldState.CONFIRMED);
        state.ledger().apply(borrowerId, product, -amount, amount, nowMs);
        intent.clear();
        scheduleRemoval(holdId, nowMs);
        remember(requestId, response);
        return response;
    }

    CancelResponse cancel(CancelRequest r, long holdId, long nowMs) {
        String requestId = r.getRequestId();
        if (state.decisions().contains(requestId)) {
            return replay(requestId, KIND_CANCEL, CancelResponse.parser());
        }
        loadHold(holdId, nowMs);
        if (hold.state() == HoldState.CONFIRMED) {
            throw failedPrecondition("hold_id: the hold is confirmed; repay the drawn balance instead");
        }
        String borrowerId = hold.borrowerId().toString();
        int product = hold.product();
        long release = hold.state() == HoldState.ACTIVE ? hold.amountMinor() : 0;
        requireLedger(borrowerId, product);
        CancelResponse response = CancelResponse.newBuilder()
                .setRequestId(requestId)
                .setHoldId(r.getHoldId())
                .setReleasedAmountMinor(release)
                .setLine(lineAfter(borrowerId, product, -release, 0))
                .build();
        byte[] payload = response.toByteArray();
        intent.begin(OP_CANCEL).record(requestId, KIND_CANCEL, nowMs, payload);
        if (release > 0) {
            intent.ledger(borrowerId, product, ledger.version(), -release, 0)
                    .hold(holdId, HoldState.CANCELLED, release, hold.createdMs(), hold.expiresMs(),
                            hold.requestIdHash());
        }
        intent.commit();
        state.decisions().put(requestId, KIND_CANCEL, nowMs, payload);
        if (release > 0) {
            state.holds().setState(holdId, HoldState.CANCELLED);
            state.ledger().apply(borrowerId, product, -release, 0, nowMs);
            scheduleRemoval(holdId, nowMs);
        }
        intent.clear();
        remember(requestId, response);
        return response;
    }

    /** Loads the hold into {@link #hold}, expiring it first when its time has passed. */
    private void loadHold(long holdId, long nowMs) {
        if (HoldIds.shardOf(holdId) != shardId || !state.holds().get(holdId, hold)) {
            throw Status.NOT_FOUND.withDescription("hold_id: no such hold").asRuntimeException();
        }
        if (hold.state() == HoldState.ACTIVE && nowMs >= hold.expiresMs()) {
            expire(holdId, nowMs);
            state.holds().get(holdId, hold);
        }
    }

    /** Releases an active hold whose time has passed. The caller has loaded it into {@link #hold}. */
    private void expire(long holdId, long nowMs) {
        String borrowerId = hold.borrowerId().toString();
        int product = hold.product();
        long amount = hold.amountMinor();
        if (!state.ledger().get(borrowerId, product, ledger)) {
            state.holds().setState(holdId, HoldState.EXPIRED);
            return;
        }
        intent.begin(OP_EXPIRE)
                .ledger(borrowerId, product, ledger.version(), -amount, 0)
                .hold(holdId, HoldState.EXPIRED, amount, hold.createdMs(), hold.expiresMs(), hold.requestIdHash())
                .commit();
        state.holds().setState(holdId, HoldState.EXPIRED);
        state.ledger().apply(borrowerId, product, -amount, 0, nowMs);
        intent.clear();
        scheduleRemoval(holdId, nowMs);
    }

    private void scheduleRemoval(long holdId, long nowMs) {
        removals.addLong(nowMs + holdRetentionMs);
        removals.addLong(holdId);
    }

    // ---- Repay ------------------------------------------------------------------------------------

    RepayResponse repay(RepayRequest r, long nowMs) {
        String requestId = r.getRequestId();
        if (state.decisions().contains(requestId)) {
            return replay(requestId, KIND_REPAY, RepayResponse.parser());
        }
        String borrowerId = r.getBorrowerId();
        int product = r.getProductValue();
        long amount = r.getAmountMinor();
        if (!state.ledger().get(borrowerId, product, ledger)) {
            throw Status.NOT_FOUND.withDescription("borrower_id: no line on " + r.getProduct() + " for this borrower")
                    .asRuntimeException();
        }
        if (amount > ledger.drawnMinor()) {
            throw failedPrecondition("amount_minor: " + amount + " exceeds the drawn balance " + ledger.drawnMinor());
        }
        RepayResponse response = RepayResponse.newBuilder()
                .setRequestId(requestId)
                .setLine(lineAfter(borrowerId, product, 0, -amount))
                .build();
        byte[] payload = response.toByteArray();
        intent.begin(OP_REPAY)
                .ledger(borrowerId, product, ledger.version(), 0, -amount)
                .record(requestId, KIND_REPAY, nowMs, payload)
                .commit();
        state.decisions().put(requestId, KIND_REPAY, nowMs, payload);
        state.ledger().apply(borrowerId, product, 0, -amount, nowMs);
        intent.clear();
        remember(requestId, response);
        return response;
    }

    // ---- Profiles ---------------------------------------------------------------------------------

    /** Stores the profile and sets the line of each product it lists; returns true when created. */
    boolean upsert(Profile profile, long nowMs) {
        String borrowerId = profile.getBorrowerId();
        boolean created = state.profiles().put(borrowerId, profile.toByteArray());
        for (ProductLine line : profile.getLinesList()) {
            state.ledger().putLine(borrowerId, line.getProductValue(), line.getLineMinor(), nowMs);
        }
        return created;
    }

    // ---- reads (any thread) -----------------------------------------------------------------------

    /** Builds the line as the API shows it, from a snapshot the caller read. */
    static CreditLine creditLine(String borrowerId, int product, LedgerSnapshot s, String currency) {
        return CreditLine.newBuilder()
                .setBorrowerId(borrowerId)
                .setProduct(Product.forNumber(product))
                .setLineMinor(s.lineMinor())
                .setHeldMinor(s.heldMinor())
                .setDrawnMinor(s.drawnMinor())
                .setAvailableMinor(Math.max(0, s.availableMinor()))
                .setFrozen(s.frozen())
                .setGrade(grade(s.grade()))
                .setCurrency(currency)
                .setVersion(s.version())
                .build();
    }

    private CreditLine lineAfter(String borrowerId, int product, long heldDelta, long drawnDelta) {
        long held = ledger.heldMinor() + heldDelta;
        long drawn = ledger.drawnMinor() + drawnDelta;
        return CreditLine.newBuilder()
                .setBorrowerId(borrowerId)
                .setProduct(Product.forNumber(product))
                .setLineMinor(ledger.lineMinor())
                .setHeldMinor(held)
                .setDrawnMinor(drawn)
                .setAvailableMinor(Math.max(0, ledger.lineMinor() - held - drawn))
                .setFrozen(ledger.frozen())
                .setGrade(grade(ledger.grade()))
                .setCurrency(currency)
                .setVersion(ledger.version() + 1)
                .build();
    }

    private void requireLedger(String borrowerId, int product) {
        if (!state.ledger().get(borrowerId, product, ledger)) {
            throw Status.INTERNAL.withDescription("ledger entry missing for an existing hold").asRuntimeException();
        }
    }

    static Grade grade(int grade) {
        Grade g = Grade.forNumber(grade);
        return g == null ? Grade.GRADE_UNSPECIFIED : g;
    }

    // ---- idempotency ------------------------------------------------------------------------------

    private <T extends Message> T replay(String requestId, byte kind, Parser<T> parser) {
        DecisionRecord record = state.decisions().get(requestId);
        if (record.kind() != kind) {
            throw Status.INVALID_ARGUMENT.withDescription("request_id: already used for a "
                    + KIND_NAMES[record.kind()] + " call; use a new request_id").asRuntimeException();
        }
        try {
            T original = parser.parseFrom(record.payload());
            remember(requestId, original);
            return markReplayed(original);
        } catch (InvalidProtocolBufferException e) {
            throw Status.DATA_LOSS.withDescription("idempotency record unreadable").asRuntimeException();
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends Message> T markReplayed(T original) {
        if (original instanceof DecisionResponse d) {
            return (T) d.toBuilder().setReplayed(true).build();
        } else if (original instanceof ConfirmResponse c) {
            return (T) c.toBuilder().setReplayed(true).build();
        } else if (original instanceof CancelResponse c) {
            return (T) c.toBuilder().setReplayed(true).build();
        } else if (original instanceof RepayResponse rp) {
            return (T) rp.toBuilder().setReplayed(true).build();
        }
        throw new IllegalArgumentException("not a replayable response: " + original.getClass());
    }

    private void remember(String requestId, Message response) {
        if (replayCache != null) {
            replayCache.put(requestId, response);
        }
    }

    private static StatusRuntimeException failedPrecondition(String message) {
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }

    // ---- duty cycle: timers and rotation ----------------------------------------------------------

    /** Expires due holds, removes finished holds past retention, rotates idempotency records. */
    int duty(long nowMs) {
        int work = 0;
        while (!expiries.isEmpty() && expiries.peekLong() <= nowMs && work < EXPIRY_BATCH) {
            expiries.pollLong();
            long holdId = expiries.pollLong();
            if (state.holds().get(holdId, hold) && hold.state() == HoldState.ACTIVE) {
                expire(holdId, nowMs);
            }
            work++;
        }
        while (!removals.isEmpty() && removals.peekLong() <= nowMs && work < EXPIRY_BATCH) {
            removals.pollLong();
            long holdId = removals.pollLong();
            if (state.holds().get(holdId, hold) && hold.state() != HoldState.ACTIVE) {
                state.holds().remove(holdId);
            }
            work++;
        }
        if (nowMs >= nextRotationCheckMs) {
            state.decisions().rotateIfDue(nowMs);
            nextRotationCheckMs = nowMs + 1000;
        }
        return work;
    }

    // ---- start-up ---------------------------------------------------------------------------------

    /**
     * Redoes an interrupted mutation, rebuilds the expiry queues, and reconciles held = sum of
     * active holds for every ledger entry (repairing and counting any difference).
     */
    RecoveryReport recover(long nowMs) {
        boolean redone = false;
        if (intent.pending()) {
            redo(nowMs);
            redone = true;
        }
        Map<String, long[]> heldByLine = new HashMap<>();
        List<long[]> active = new ArrayList<>();
        List<long[]> finished = new ArrayList<>();
        long[] highest = {0};
        state.holds().forEach((holdId, h) -> {
            highest[0] = Math.max(highest[0], HoldIds.sequenceOf(holdId));
            if (h.state() == HoldState.ACTIVE) {
                active.add(new long[] {h.expiresMs(), holdId});
                heldByLine.computeIfAbsent(h.borrowerId() + "\u0000" + h.product(), k -> new long[1])[0] +=
                        h.amountMinor();
            } else {
                finished.add(new long[] {Math.max(h.expiresMs(), nowMs) + holdRetentionMs, holdId});
            }
        });
        nextHoldSequence = HoldIds.firstSequence(nowMs, highest[0]);
        active.sort((a, b) -> Long.compare(a[0], b[0]));
        finished.sort((a, b) -> Long.compare(a[0], b[0]));
        for (long[] e : active) {
            expiries.addLong(e[0]);
            expiries.addLong(e[1]);
        }
        for (long[] e : finished) {
            removals.addLong(e[0]);
            removals.addLong(e[1]);
        }
        long[] mismatches = {0};
        long[] negative = {0};
        List<Object[]> repairs = new ArrayList<>();
        state.ledger().forEach((borrowerId, product, s) -> {
            long[] sum = heldByLine.get(borrowerId + "\u0000" + product);
            long expected = sum == null ? 0 : sum[0];
            if (s.heldMinor() != expected) {
                mismatches[0]++;
                repairs.add(new Object[] {borrowerId.toString(), product, expected});
            }
            if (s.availableMinor() < 0) {
                negative[0]++;
            }
        });
        for (Object[] repair : repairs) {
            state.ledger().setHeld((String) repair[0], (Integer) repair[1], (Long) repair[2], nowMs);
        }
        return new RecoveryReport(redone, active.size(), finished.size(), state.ledger().size(), mismatches[0],
                negative[0]);
    }

    private void redo(long nowMs) {
        byte kind = intent.recordKind();
        if (kind != 0) {
            String requestId = intent.requestId();
            if (!state.decisions().contains(requestId)) {
                state.decisions().put(requestId, kind, intent.createdMs(), intent.payload());
            }
        }
        int target = intent.holdTargetState();
        String borrowerId = intent.borrowerId();
        if (target == HoldState.ACTIVE) {
            if (!state.holds().get(intent.holdId(), hold)) {
                state.holds().put(intent.holdId(), hold.reset().borrowerId(borrowerId).product(intent.product())
                        .amountMinor(intent.amountMinor()).createdMs(intent.createdMs())
                        .expiresMs(intent.expiresMs()).state(HoldState.ACTIVE).requestIdHash(intent.requestIdHash()));
            }
        } else if (target != 0) {
            state.holds().setState(intent.holdId(), target);
        }
        if (intent.ledgerVersionBefore() >= 0 && state.ledger().get(borrowerId, intent.product(), ledger)
                && ledger.version() == intent.ledgerVersionBefore()) {
            state.ledger().apply(borrowerId, intent.product(), intent.heldDelta(), intent.drawnDelta(), nowMs);
        }
        intent.clear();
    }
}
