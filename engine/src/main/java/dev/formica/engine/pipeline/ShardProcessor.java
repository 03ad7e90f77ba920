package dev.formica.engine.pipeline;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.formica.engine.cluster.Partitions;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.engine.funding.FunderSpec;
import dev.formica.engine.funding.FundingAllocation;
import dev.formica.engine.funding.FundingAllocator;
import dev.formica.engine.funding.FundingQuotas;
import dev.formica.engine.journal.DecisionJournal;
import dev.formica.engine.log.ShardLog;
import dev.formica.engine.metrics.ShardMetrics;
import dev.formica.engine.metrics.Stage;
import dev.formica.engine.pricing.FeeSpec;
import dev.formica.engine.pricing.InstallmentPlanner;
import dev.formica.engine.pricing.InstallmentSchedule;
import dev.formica.engine.risk.CreditPolicy;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.risk.RiskEvaluator;
import dev.formica.engine.risk.RuleSetRegistry;
import dev.formica.engine.rules.AllInRateCap;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.EarlyWarningRule;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.LinePolicy;
import dev.formica.engine.rules.LoanProduct;
import dev.formica.engine.rules.Money;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.engine.rules.Rule;
import dev.formica.engine.rules.Scorecard;
import dev.formica.engine.state.BorrowerBook;
import dev.formica.engine.state.DecisionRecord;
import dev.formica.engine.state.DecisionRecords;
import dev.formica.engine.state.HoldSnapshot;
import dev.formica.engine.state.HoldState;
import dev.formica.engine.state.LedgerSnapshot;
import dev.formica.engine.state.ShardState;
import dev.formica.engine.state.StateConfig;
import dev.formica.engine.state.StateOps;
import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
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
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import dev.formica.v1.ScoreContribution;
import java.util.List;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongArrayQueue;

/**
 * The credit-ledger logic of one shard: Decide, Confirm, Cancel, Repay, profile writes, hold expiry
 * and the start-up recovery and reconciliation of the shard's state.
 *
 * <p>Thread contract: single writer. Every method is called by the one thread that currently owns
 * the shard (its agent thread, or the caller that holds the drain flag); there are no locks here.
 * Reads from other threads go straight to the thread-safe maps.
 *
 * <p>Every change a command makes to the shard's stores (and to the engine-wide velocity and quota tables) is
 * recorded in the shard's {@link StateOps}; {@link #endCommand} appends them to the shard log as one frame, and the
 * command's answer is released only once that frame is durable. The log is the source of truth: recovery replays
 * it into empty in-memory stores.
 */
final class ShardProcessor {
    private static final int EXPIRY_BATCH = 256;
    /** How often a replicated group's leader moves quota headroom between the groups ({@link #moveQuotaHeadroom}). */
    static final long QUOTA_TRANSFER_PERIOD_MS = 100;
    private static final Rule.Action[] ACTIONS = Rule.Action.values();
    /** The principal an offer's APR is checked on when no line was assigned (1,000.00). */
    private static final long OFFER_CHECK_PRINCIPAL_MINOR = 100_000;

    private final int shardId;
    private final ShardState state;
    private final long holdTtlMs;
    private final long holdRetentionMs;
    /** The currency, engine and evaluators of the market of the command running now ({@link #useMarket}). */
    private String currency;
    private final StateOps ops;
    private final IdempotencyKeys keys = new IdempotencyKeys();
    /** The record key and request fingerprint of the command running now. */
    private CharSequence key;
    private long fingerprint;
    private ShardLog log;
    private RiskContext risk;
    private RiskEvaluator eval;
    private RiskEvaluator shadowEval;
    private final Markets markets;
    private Markets.Market market;
    /** Per market (as {@link Markets#all()}): the live and the shadow evaluator, in the market's zone. */
    private final RiskEvaluator[][] evaluators;
    private final InstallmentPlanner planner = new InstallmentPlanner();
    /** The Decide being answered, in plain fields, and its wire bytes (the record; the caller's answer). */
    private final DecisionResult result = new DecisionResult();
    private final WireWriter wire = new WireWriter();
    /** The answer the last command left encoded for the caller ({@link #takeAnswerBytes}); null row = none. */
    private Operation<?, ?> answerRow;
    private AnswerBytes answerBytes;
    private boolean answerReplayed;
    /**
     * The buffers a fresh Decide's answer is copied into for the thread that delivers it, given back once delivered
     * (no array per answer; {@link AnswerBytes}).
     */
    private final AnswerBytes.Pool answers = new AnswerBytes.Pool();
    private final InstallmentSchedule schedule = new InstallmentSchedule();
    private final InstallmentSchedule shadowSchedule = new InstallmentSchedule();
    private final FundingAllocation allocation = new FundingAllocation();
    /** The Raft group whose quota lease this shard reserves in ({@link #quotaLease}); -1 = none. */
    private int quotaLease = -1;
    private long nextQuotaTransferMs;
    /**
     * The gives of the running {@link #moveQuotaHeadroom}: funder, group, day (-1: the total quota), cumulative
     * amount, in fours.
     */
    private final LongArrayList gives = new LongArrayList();
    private final FundingQuotas.TransferLog transfers = new FundingQuotas.TransferLog() {
        @Override
        public void gave(int funder, int toGroup, long cumulativeMinor) {
            ops.quotaGive(funder, toGroup, cumulativeMinor);
            gave(funder, toGroup, -1, cumulativeMinor);
        }

        @Override
        public void accepted(int funder, int fromGroup, long cumulativeMinor) {
            ops.quotaAccept(funder, fromGroup, cumulativeMinor);
        }

        @Override
        public void gaveDaily(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
            ops.quotaGiveDaily(funder, toGroup, dayIndex, cumulativeMinor);
            gave(funder, toGroup, dayIndex, cumulativeMinor);
        }

        @Override
        public void acceptedDaily(int funder, int fromGroup, long dayIndex, long cumulativeMinor) {
            ops.quotaAcceptDaily(funder, fromGroup, dayIndex, cumulativeMinor);
        }

        private void gave(int funder, int toGroup, long dayIndex, long cumulativeMinor) {
            gives.addLong(funder);
            gives.addLong(toGroup);
            gives.addLong(dayIndex);
            gives.addLong(cumulativeMinor);
        }
    };
    private final ShardExposures exposures;
    private ShardMetrics metrics = ShardMetrics.none();
    private DecisionJournal journal;
    /** The running command's request as the caller sent it ({@link WireCall#requestBytes}); null when not kept. */
    private byte[] requestBytes;
    /** The running Decide's request may carry attributes: false when its {@link #requestBytes} have none. */
    private boolean requestAttributes;
    private CompiledRuleSet reportedRules;
    private long nextQuotaReportMs;
    private final LedgerSnapshot ledger = new LedgerSnapshot();
    /** The Decide's borrower: its lines and activity, read in one look-up ({@link BorrowerBook#read}). */
    private final BorrowerBook.Reading borrower = new BorrowerBook.Reading();
    private final HoldSnapshot hold = new HoldSnapshot();
    /** (expiresMs, holdId) pairs in creation order; the TTL is constant, so also in expiry order. */
    private final LongArrayQueue expiries = new LongArrayQueue();
    /** (removeAtMs, holdId) pairs of finished holds, kept for the idempotency window then removed. */
    private final LongArrayQueue removals = new LongArrayQueue();
    /** New hold ids: random, none a hold of this shard has. */
    private final HoldIds.Source holdIds = new HoldIds.Source();
    private final java.util.function.LongPredicate holdTaken;
    private long nextRotationCheckMs;

    ShardProcessor(int shardId, ShardState state, long holdTtlMs, long holdRetentionMs, String currency,
            RiskContext risk) {
        this(shardId, state, holdTtlMs, holdRetentionMs, Markets.single(currency, risk));
    }

    ShardProcessor(int shardId, ShardState state, long holdTtlMs, long holdRetentionMs, Markets markets) {
        this.shardId = shardId;
        this.state = state;
        this.ops = state.ops();
        this.holdTtlMs = holdTtlMs;
        this.holdRetentionMs = holdRetentionMs;
        this.markets = markets;
        this.evaluators = new RiskEvaluator[markets.all().size()][];
        for (int i = 0; i < evaluators.length; i++) {
            RiskContext engine = markets.all().get(i).risk();
            evaluators[i] = new RiskEvaluator[] {new RiskEvaluator(engine), new RiskEvaluator(engine)};
        }
        useMarket(markets.defaultMarket());
        this.exposures = new ShardExposures(state, risk.concentration());
        this.holdTaken = state.holds()::contains;
    }

    /** Makes {@code m} the market of the command running now: its currency, engine and evaluators. */
    private void useMarket(Markets.Market m) {
        if (m == market) {
            return;
        }
        int i = markets.all().indexOf(m);
        market = m;
        currency = m.currency();
        risk = m.risk();
        eval = evaluators[i][0];
        shadowEval = evaluators[i][1];
    }

    /**
     * Makes the borrower's market (its profile's; the default without a profile) the current one and returns it;
     * INVALID_ARGUMENT naming {@code market} when the profile names one the server no longer serves.
     */
    Markets.Market useMarketOf(String borrowerId) {
        Profile profile = markets.all().size() == 1 ? null : profile(borrowerId);
        useMarket(profile == null ? markets.defaultMarket() : markets.require(profile.getMarket()));
        return market;
    }

    /** Selects the market of a request for {@code borrowerId} ({@link Markets#resolve}); refuses before any change. */
    private void useMarketOf(String requested, String borrowerId, String askedCurrency) {
        // one market: no profile read, the hot path as before markets
        Profile profile = markets.all().size() == 1 ? null : profile(borrowerId);
        useMarket(markets.resolve(requested, profile, askedCurrency));
    }

    int shardId() {
        return shardId;
    }

    /**
     * A replicated node's shard: its reservations and releases of funders' quotas count in Raft group
     * {@code group}'s lease ({@link dev.formica.engine.funding.FundingQuotas#leases}). Set before the shard runs.
     */
    void quotaLease(int group) {
        this.quotaLease = group;
        allocation.lane(group);
    }

    /**
     * The shard's log: from now on every change to the shard's state is recorded and appended as one frame per
     * command ({@link #endCommand}). Set by the pipeline after recovery, before the shard runs.
     */
    void log(ShardLog l) {
        this.log = l;
        ops.reset();
        ops.recording(l != null);
    }

    ShardLog log() {
        return log;
    }

    /**
     * Ends a command (or a duty cycle): the changes it made become one frame of the shard log, at the command's
     * time. The command's answer is released once the log's durable position reaches the returned position.
     *
     * @return the log position after the frame (the appended position when the command changed nothing)
     */
    long endCommand(long nowMs) {
        if (log == null) {
            ops.reset();
            return 0;
        }
        if (ops.length() > 0) {
            try {
                log.append(nowMs, ops.buffer(), 0, ops.length());
            } finally {
                ops.reset();
            }
        }
        return log.appendedPosition();
    }

    /** The wire bytes of the request of the command about to run (journaled as they are); null: none kept. */
    void requestBytes(byte[] bytes) {
        requestBytes = bytes;
    }

    /** Where every decision is journaled; null = journaling off (set by the pipeline before the shard runs). */
    void journal(DecisionJournal j) {
        this.journal = j;
    }

    /** Where the decision stages are recorded (set by the pipeline before the shard runs). */
    void metrics(ShardMetrics m) {
        this.metrics = m;
    }

    ShardState state() {
        return state;
    }

    // ---- Decide ---------------------------------------------------------------------------------

    /**
     * Runs the mutating operation {@code op}: a retry of a request this borrower already sent (the same request id)
     * is answered from its record, marked replayed, or refused when the id was used for another call or other
     * fields; a new request goes to the row's handler. For a hold's operation ({@code arg} = the hold id) the record
     * is the hold's borrower's.
     */
    <Q, R> R run(Operation<Q, R> op, Q request, long arg, long nowMs, long startNanos) {
        answerRow = null;
        answerBytes = null;
        answerReplayed = false;
        if (op.replayable()) {
            CharSequence borrowerId = op.route() == Operation.Route.HOLD ? holdBorrower(arg) : op.routingKey(request);
            key = keys.borrower(borrowerId, op.requestId(request));
            fingerprint = op.fingerprint(request, arg);
            if (state.decisions().contains(key)) {
                return replay(op, request);
            }
        }
        return op.handler().run(this, request, arg, nowMs, startNanos);
    }

    /** A Decide, replayed when it is a retry ({@link #run}); the answer parsed on the calling thread (tests). */
    DecisionResponse decide(DecisionRequest r, long nowMs, long startNanos) {
        DecisionResponse built = run(Operation.DECIDE, r, 0, nowMs, startNanos);
        if (built != null) {
            return built;
        }
        AnswerBytes bytes = takeAnswerBytes();
        try {
            return Operation.DECIDE.answer(bytes.toArray(), answerReplayed);
        } finally {
            bytes.release();
        }
    }

    /**
     * A Decide as the shard kernel runs it, leaving the answer in {@link #result} and its bytes in the record:
     * returns the outcome number ({@link DecisionResult#APPROVE}, ...), or 0 for a retry answered from its record.
     */
    int decideOutcome(DecisionRequest r, long nowMs, long startNanos) {
        Operation<DecisionRequest, DecisionResponse> op = Operation.DECIDE;
        key = keys.borrower(op.routingKey(r), op.requestId(r));
        fingerprint = op.fingerprint(r, 0);
        if (state.decisions().contains(key)) {
            replay(op, r);
            takeAnswerBytes().release();
            return 0;
        }
        return decideInto(r, nowMs, startNanos);
    }

    /**
     * The row of the answer the last command left as wire bytes instead of a message (a Decide, or any replay); null
     * when it returned its message. The message is parsed off the shard thread ({@link Operation#answer}).
     */
    Operation<?, ?> answerRow() {
        return answerRow;
    }

    boolean answerReplayed() {
        return answerReplayed;
    }

    /** The answer's bytes ({@link #answerRow}), now the caller's to release ({@link AnswerBytes}); clears it. */
    AnswerBytes takeAnswerBytes() {
        AnswerBytes bytes = answerBytes;
        answerRow = null;
        answerBytes = null;
        return bytes;
    }

    /** The last fresh Decide's answer in plain fields (its outcome and reason codes, for the metrics). */
    DecisionResult result() {
        return result;
    }

    /** The pool of this shard's answer buffers (tests: how many it made, how many wait to be taken). */
    AnswerBytes.Pool answers() {
        return answers;
    }

    private void answer(Operation<?, ?> row, AnswerBytes bytes, boolean replayed) {
        answerRow = row;
        answerBytes = bytes;
        answerReplayed = replayed;
    }

    /**
     * A new Decide: {@link #key} and {@link #fingerprint} are set and no record has them ({@link #run}). The answer
     * is written into {@link #result} and encoded into {@link #wire} (the record's bytes), and copied into a buffer of
     * {@link #answers} for the thread that delivers it ({@link #takeAnswerBytes}), which gives it back once sent.
     */
    DecisionResponse decideFresh(DecisionRequest r, long nowMs, long startNanos) {
        decideInto(r, nowMs, startNanos);
        answer(Operation.DECIDE, answers.copyOf(wire.array(), wire.length()), false);
        return null;
    }

    /** Decides {@code r} into {@link #result} and records it; returns the outcome number ({@code 1} = approve). */
    int decideInto(DecisionRequest r, long nowMs, long startNanos) {
        String requestId = r.getRequestId();
        useMarketOf(r.getMarket(), r.getBorrowerId(), r.getCurrency());
        RuleSetRegistry.Active current = risk.rules().current();
        CompiledRuleSet rules = current.rules();
        String borrowerId = r.getBorrowerId();
        int product = r.getProductValue();
        long amount = r.getAmountMinor();
        DecisionResult response = result.reset(requestId, rules.version());
        // regulation in force when the transaction happened (its event time, within a tolerance of the clock)
        long regulatoryMs = RegulatoryParameters.decisionTime(r.getEventTimeMs(), nowMs);
        RegulatoryParameters.Limits limits = risk.regulatory().at(regulatoryMs, rules.licence());
        if (limits != null) {
            response.regulatoryVersion(limits.version());
        }
        state.borrowers().read(borrowerId, this.borrower);
        if (!this.borrower.hasLine(product)) {
            if (!state.profiles().contains(borrowerId)) {
                decline(response, "NO_PROFILE", "no profile for this borrower", "");
            } else {
                decline(response, "NO_LINE", "the borrower has no line on " + r.getProduct(), "line_minor=0");
            }
            return recordDecline(nowMs, startNanos, r, rules, null);
        }
        if (rules != reportedRules && metrics.enabled()) {
            reportedRules = rules;
            metrics.decisions().activeRuleSet(rules.version());
        }
        ledger.copyOf(this.borrower.line(product));
        long lap = metrics.enabled() ? System.nanoTime() : 0;
        Profile profile = profile(borrowerId);
        requestAttributes = requestBytes == null
                || DecisionWire.hasField(requestBytes, DecisionRequest.ATTRIBUTES_FIELD_NUMBER);
        eval.requestAttributes(requestAttributes);
        eval.borrower(this.borrower);
        eval.decision(rules, r, profile, ledger, state, nowMs, true);
        lap = metrics.lap(Stage.FEATURES, lap);
        eval.fraud(rules);
        lap = metrics.lap(Stage.FRAUD, lap);
        eval.credit(rules);
        response.scored(eval.score(), eval.pd(), eval.grade(), Math.max(0, ledger.availableMinor()));
        String region = borrowerRegion(profile, r.getRegion());
        Rule.Action action = eval.resolve(rules, product, amount, ledger, risk.appetite().factorBps(product), limits,
                region);
        if (eval.capCode() != null) {
            decline(response, eval.capCode(), eval.capText(), eval.capValue());
        }
        addRuleReasons(response, rules);
        addContributions(response, rules);
        lap = metrics.lap(Stage.CREDIT, lap);
        runShadow(rules, r, profile, action, nowMs, regulatoryMs);
        if (action == Rule.Action.DECLINE || action == Rule.Action.REVIEW) {
            response.outcome(action == Rule.Action.DECLINE ? DecisionResult.DECLINE : DecisionResult.REVIEW);
            return recordDecline(nowMs, startNanos, r, rules, eval.features());
        }
        int pricedGrade = ledger.grade() > 0 ? ledger.grade() : eval.grade();
        int apr = rules.pricing().aprFor(pricedGrade);
        List<FeeSpec> fees = rules.feesFor(product);
        InstallmentPlanner.CapResult capped;
        try {
            capped = AllInRateCap.price(planner, rules.pricing(), limits, product, amount, apr,
                    Math.max(1, r.getInstallments()), nowMs, fees, schedule);
        } catch (IllegalArgumentException e) {
            decline(response, "PRICING_UNAVAILABLE", "no valid plan for this amount: " + e.getMessage(),
                    "amount_minor=" + amount);
            return recordDecline(nowMs, startNanos, r, rules, eval.features());
        }
        if (capped != InstallmentPlanner.CapResult.WITHIN) {
            AllInRateCap.describe(capped, limits, product, amount, apr, fees, schedule, response.capText(),
                    response.capValue());
        }
        if (capped == InstallmentPlanner.CapResult.ABOVE_CAP) {
            response.outcome(DecisionResult.DECLINE);
            response.reasonFirst(AllInRateCap.CODE, response.capText(), response.capValue());
            return recordDecline(nowMs, startNanos, r, rules, eval.features());
        }
        String industry = markets.key(market, industry(product, r.getMerchantCategory()));
        String merchant = markets.key(market, r.getMerchantId());
        if (!exposures.reserve(rules, limits, borrowerId, product, region, profile, merchant, industry, amount)) {
            response.outcome(DecisionResult.DECLINE);
            exposures.declineReasonFirst(response);
            return recordDecline(nowMs, startNanos, r, rules, eval.features());
        }
        if (current.funding().allocate(Product.forNumber(product), amount, nowMs, regulatoryMs, allocation)
                != FundingAllocator.Result.FUNDED) {
            exposures.undo();
            decline(response, "FUNDING_UNAVAILABLE", "no funder has quota for this loan",
                    "shortfall_minor=" + allocation.shortfallMinor());
            return recordDecline(nowMs, startNanos, r, rules, eval.features());
        }
        return approve(r, rules, fees, capped, industry, merchant, nowMs, startNanos, lap);
    }

    /** Reserves the approved hold ({@link #decideInto} found it fundable) and records the approval. */
    private int approve(DecisionRequest r, CompiledRuleSet rules, List<FeeSpec> fees,
            InstallmentPlanner.CapResult capped, String industry, String merchant, long nowMs, long startNanos,
            long lap) {
        DecisionResult response = result;
        String borrowerId = r.getBorrowerId();
        int product = r.getProductValue();
        long amount = r.getAmountMinor();
        hold.reset().borrowerId(borrowerId).product(product).amountMinor(amount);
        for (int i = 0; i < allocation.count(); i++) {
            hold.addFunding(allocation.storedFunder(i), allocation.amountMinor(i));
            response.funding(allocation.funderId(i), allocation.amountMinor(i), allocation.shareBps(i));
        }
        if (capped != InstallmentPlanner.CapResult.WITHIN) {
            response.reason(AllInRateCap.CODE, response.capText(), response.capValue());
        }
        response.plan(schedule, fees);
        lap = metrics.lap(Stage.FUNDING, lap);
        long available = ledger.availableMinor();
        long holdId = holdIds.next(Partitions.of(borrowerId), holdTaken);
        long expiresMs = nowMs + holdTtlMs;
        response.approved(holdId, amount, expiresMs);
        response.availableAfterMinor(Math.max(0, available - amount));
        response.serverNanos(System.nanoTime() - startNanos);
        response.encode(wire);
        long requestHash = DecisionRecords.hash(r.getRequestId());
        for (int i = 0; i < allocation.count(); i++) {
            ops.quotaReserve(allocation.funderIndex(i), allocation.amountMinor(i), allocation.chargedDayIndex(i));
        }
        state.decisions().put(key, Operation.DECIDE.kind(), nowMs, fingerprint, wire.array(), wire.length());
        state.holds().put(holdId, hold.createdMs(nowMs).expiresMs(expiresMs).state(HoldState.ACTIVE)
                .requestIdHash(requestHash));
        exposures.hold(borrowerId, product, holdId, merchant, industry, amount);
        if (journal != null) {
            if (requestBytes != null) {
                journal.append(nowMs, requestBytes, wire.array(), wire.length(), rules, eval.features());
            } else {
                // an embedded caller (no request bytes kept): its request is serialised, the answer copied
                journal.append(nowMs, r, java.util.Arrays.copyOf(wire.array(), wire.length()), rules,
                        eval.features());
            }
        }
        String device = r.getDeviceId();
        // the line's held and the activity's approval: one look-up of the borrower's entry for the two operations
        state.borrowers().approve(borrowerId, product, amount, device.isEmpty() ? 0 : DecisionRecords.hash(device),
                nowMs);
        expiries.addLong(expiresMs);
        expiries.addLong(holdId);
        metrics.lap(Stage.COMMIT, lap);
        return DecisionResult.APPROVE;
    }

    /** Adds this shard's exposure records to the concentration table (start-up, after {@link #recover}). */
    void addExposuresToTable() {
        exposures.addAllToTable();
    }

    /**
     * The concentration table holds this shard's exposure records from now on, whatever {@link #recover} repairs
     * (a replicated group's, added as its snapshot loads and changed by every frame it applies).
     */
    void tableHoldsExposures() {
        exposures.tableHoldsRecords();
    }

    /** The name of the regulatory version in force at {@code nowMs} for the active rule set's licence; "" = none. */
    String regulatoryVersion(long nowMs) {
        RegulatoryParameters.Limits limits = risk.regulatory().at(nowMs, risk.rules().active().licence());
        return limits == null ? "" : limits.version();
    }

    /** The borrower's parsed profile, from the shared cache or the store; null when there is none. */
    Profile profile(String borrowerId) {
        Profile p = risk.profiles().getIfPresent(borrowerId);
        if (p != null) {
            return p;
        }
        byte[] bytes = state.profiles().get(borrowerId);
        if (bytes == null) {
            return null;
        }
        try {
            p = Profile.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw Refused.of(DomainError.STATE_UNREADABLE, "stored profile unreadable");
        }
        risk.profiles().put(borrowerId, p);
        return p;
    }

    /** Fired rules as reasons: declines first, then reviews, then tags; each with the values that fired. */
    private void addRuleReasons(DecisionResult response, CompiledRuleSet rules) {
        int n = eval.firedCount();
        for (Rule.Action level = Rule.Action.DECLINE; ; level = ACTIONS[level.ordinal() - 1]) {
            for (int i = 0; i < n; i++) {
                Rule rule = eval.fired(rules, i);
                if (rule.action() == level) {
                    response.ruleReason(rule, eval.features());
                }
            }
            if (level.ordinal() == 0) {
                break;
            }
        }
    }

    /** The scorecard attributes with the largest absolute points, at most three. */
    private void addContributions(DecisionResult response, CompiledRuleSet rules) {
        Scorecard card = rules.scorecard();
        int n = card.attributeCount();
        long taken = 0;
        for (int k = 0; k < Math.min(3, n); k++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if ((taken & (1L << i)) == 0 && (best < 0 || Math.abs(eval.points(i)) > Math.abs(eval.points(best)))) {
                    best = i;
                }
            }
            if (best < 0 || eval.points(best) == 0) {
                break;
            }
            taken |= 1L << best;
            response.contribution(card, best, eval.bin(best), eval.points(best));
        }
    }

    /** Attribute {@code i}'s part in the score just evaluated, for an explanation. */
    private ScoreContribution contribution(Scorecard card, int i) {
        return ScoreContribution.newBuilder().setAttributeBytes(card.attributeNameBytes(i))
                .setBinBytes(card.binLabelBytes(i, eval.bin(i))).setPoints(eval.points(i)).build();
    }

    /** Runs the shadow rule set, if any, on the same request and counts whether it would have disagreed. */
    private void runShadow(CompiledRuleSet live, DecisionRequest r, Profile profile, Rule.Action liveAction,
            long nowMs, long regulatoryMs) {
        CompiledRuleSet shadow = risk.rules().shadow();
        if (shadow == null || shadow == live) {
            return;
        }
        shadowEval.requestAttributes(requestAttributes);
        shadowEval.borrower(borrower);
        shadowEval.decision(shadow, r, profile, ledger, state, nowMs, false);
        shadowEval.fraud(shadow);
        shadowEval.credit(shadow);
        RegulatoryParameters.Limits limits = risk.regulatory().at(regulatoryMs, shadow.licence());
        int product = r.getProductValue();
        String region = borrowerRegion(profile, r.getRegion());
        Rule.Action action = shadowEval.resolve(shadow, product, r.getAmountMinor(), ledger,
                risk.appetite().factorBps(product), limits, region);
        if (action == Rule.Action.TAG && !shadowPriceAllowed(shadow, r, limits, nowMs)) {
            action = Rule.Action.DECLINE;
        } else if (action == Rule.Action.TAG && !exposures.fits(shadow, limits, r.getBorrowerId(), product, region,
                profile, r.getMerchantId(), industry(product, r.getMerchantCategory()), r.getAmountMinor())) {
            action = Rule.Action.DECLINE;
        }
        risk.rules().shadowCounts(shadow.version()).count(action != liveAction);
        if (action != liveAction && metrics.enabled()) {
            metrics.shadowDisagreement(outcome(liveAction), outcome(action));
        }
    }

    /**
     * Whether the shadow rule set could price this approval under the all-in cap in force: false when it would
     * decline above the cap ({@code above_all_in_cap: DECLINE}) or no plan is possible; a rule set that lowers its
     * price to the cap approves. One plan into the shadow's own scratch schedule; allocates nothing.
     */
    private boolean shadowPriceAllowed(CompiledRuleSet shadow, DecisionRequest r, RegulatoryParameters.Limits limits,
            long nowMs) {
        int product = r.getProductValue();
        long cap = limits == null ? -1 : limits.allInRateCapBps(product);
        if (cap < 0 || shadow.pricing().lowerToAllInCap()) {
            return true;
        }
        int grade = ledger.grade() > 0 ? ledger.grade() : shadowEval.grade();
        try {
            return planner.planWithin(r.getAmountMinor(), shadow.pricing().aprFor(grade),
                    Math.max(1, r.getInstallments()), nowMs, shadow.feesFor(product), cap, false, shadowSchedule)
                    != InstallmentPlanner.CapResult.ABOVE_CAP;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Where the borrower is, for the licence's regions and the region concentration: the profile's registered region,
     * else the request's.
     */
    static String borrowerRegion(Profile profile, String requestRegion) {
        return profile != null && !profile.getRegion().isEmpty() ? profile.getRegion() : requestRegion;
    }

    /** The industry of the industry concentration limit: a business loan's merchant category; none otherwise. */
    private static String industry(int product, String merchantCategory) {
        return LoanProduct.isBusiness(product) ? merchantCategory : "";
    }

    private static Outcome outcome(Rule.Action action) {
        return action == Rule.Action.DECLINE ? Outcome.DECLINE
                : action == Rule.Action.REVIEW ? Outcome.REVIEW : Outcome.APPROVE;
    }

    private static void decline(DecisionResult response, String code, String text, String value) {
        response.outcome(DecisionResult.DECLINE);
        response.reason(code, text, value);
    }

    /** Records the declined (or referred) {@link #result}: its bytes in {@link #wire}, the record, the journal. */
    private int recordDecline(long nowMs, long startNanos, DecisionRequest r, CompiledRuleSet rules,
            FeatureVector features) {
        result.serverNanos(System.nanoTime() - startNanos);
        result.encode(wire);
        state.decisions().put(key, Operation.DECIDE.kind(), nowMs, fingerprint, wire.array(), wire.length());
        if (journal != null) {
            if (requestBytes != null) {
                journal.append(nowMs, requestBytes, wire.array(), wire.length(), rules, features);
            } else {
                journal.append(nowMs, r, java.util.Arrays.copyOf(wire.array(), wire.length()), rules, features);
            }
        }
        return result.outcome();
    }

    // ---- Confirm / Cancel / expiry ----------------------------------------------------------------

    ConfirmResponse confirm(ConfirmRequest r, long holdId, long nowMs) {
        String requestId = r.getRequestId();
        loadHold(holdId, nowMs);
        switch (hold.state()) {
            case HoldState.CONFIRMED:
                throw Refused.of(DomainError.HOLD_ALREADY_CONFIRMED, "hold_id: the hold is already confirmed");
            case HoldState.CANCELLED:
                throw Refused.of(DomainError.HOLD_CANCELLED, "hold_id: the hold was cancelled");
            case HoldState.EXPIRED:
                throw Refused.of(DomainError.HOLD_EXPIRED, "hold_id: the hold expired");
            default:
                break;
        }
        String borrowerId = hold.borrowerId().toString();
        int product = hold.product();
        long amount = hold.amountMinor();
        requireLedger(borrowerId, product);
        useMarketOf(borrowerId);
        ConfirmResponse response = ConfirmResponse.newBuilder()
                .setRequestId(requestId)
                .setHoldId(r.getHoldId())
                .setDrawnAmountMinor(amount)
                .setLine(lineAfter(borrowerId, product, -amount, amount, nowMs))
                .build();
        byte[] payload = response.toByteArray();
        state.decisions().put(key, Operation.CONFIRM.kind(), nowMs, fingerprint, payload);
        state.holds().setState(holdId, HoldState.CONFIRMED);
        state.ledger().apply(borrowerId, product, -amount, amount, nowMs);
        exposures.confirm(borrowerId, product, holdId);
        scheduleRemoval(holdId, nowMs);
        return response;
    }

    CancelResponse cancel(CancelRequest r, long holdId, long nowMs) {
        String requestId = r.getRequestId();
        loadHold(holdId, nowMs);
        if (hold.state() == HoldState.CONFIRMED) {
            throw Refused.of(DomainError.HOLD_ALREADY_CONFIRMED,
                    "hold_id: the hold is confirmed; repay the drawn balance instead");
        }
        String borrowerId = hold.borrowerId().toString();
        int product = hold.product();
        long release = hold.state() == HoldState.ACTIVE ? hold.amountMinor() : 0;
        requireLedger(borrowerId, product);
        useMarketOf(borrowerId);
        CancelResponse response = CancelResponse.newBuilder()
                .setRequestId(requestId)
                .setHoldId(r.getHoldId())
                .setReleasedAmountMinor(release)
                .setLine(lineAfter(borrowerId, product, -release, 0, nowMs))
                .build();
        byte[] payload = response.toByteArray();
        state.decisions().put(key, Operation.CANCEL.kind(), nowMs, fingerprint, payload);
        if (release > 0) {
            state.holds().setState(holdId, HoldState.CANCELLED);
            state.ledger().apply(borrowerId, product, -release, 0, nowMs);
            exposures.release(borrowerId, product, holdId);
            scheduleRemoval(holdId, nowMs);
            releaseFunding();
        }
        return response;
    }

    /**
     * The borrower of a hold, whose records scope the request id of a Confirm or Cancel (so it cannot reuse the id
     * of one of their Decides). Loads the hold into {@link #hold}.
     *
     * @throws Refused {@link DomainError#HOLD_NOT_FOUND} when the hold is not this shard's or does not exist
     */
    private CharSequence holdBorrower(long holdId) {
        if (!state.holds().get(holdId, hold)) {
            throw Refused.of(DomainError.HOLD_NOT_FOUND, "hold_id: no such hold");
        }
        return hold.borrowerId();
    }

    /** Loads the hold into {@link #hold}, expiring it first when its time has passed. */
    private void loadHold(long holdId, long nowMs) {
        if (!state.holds().get(holdId, hold)) {
            throw Refused.of(DomainError.HOLD_NOT_FOUND, "hold_id: no such hold");
        }
        if (hold.state() == HoldState.ACTIVE && nowMs >= hold.expiresMs()) {
            expire(holdId, nowMs);
            state.holds().get(holdId, hold);
        }
    }

    /** Releases an active hold whose time has passed. The caller has loaded it into {@link #hold}. */
    private void expire(long holdId, long nowMs) {
        state.holds().setState(holdId, HoldState.EXPIRED);
        expired(holdId, nowMs);
    }

    /**
     * Releases the hold loaded in {@link #hold}, just set {@link HoldState#EXPIRED}: its amount goes back to the line
     * (when the line exists), its exposure and funding are released, its removal is scheduled.
     */
    private void expired(long holdId, long nowMs) {
        CharSequence borrowerId = hold.borrowerId(); // the loaded hold's own builder: no String per expiry
        int product = hold.product();
        long amount = hold.amountMinor();
        if (!state.ledger().applyIfPresent(borrowerId, product, -amount, 0, nowMs)) {
            return;
        }
        exposures.release(borrowerId, product, holdId);
        releaseFunding();
        scheduleRemoval(holdId, nowMs);
    }

    /** Returns the quota of the hold loaded in {@link #hold} to its funders (and records it for the log). */
    private void releaseFunding() {
        FundingAllocator allocator = risk.rules().current().funding();
        long decisionDay = dev.formica.engine.funding.FundingQuotas.dayIndex(hold.createdMs());
        for (int i = 0; i < hold.fundingCount(); i++) {
            int stored = hold.funderIndex(i);
            ops.quotaRelease(FundingAllocation.funderOf(stored), hold.fundingAmountMinor(i),
                    FundingAllocation.dayOf(stored, decisionDay));
            allocator.releaseStored(stored, hold.fundingAmountMinor(i), hold.createdMs(), quotaLease);
        }
    }

    private void scheduleRemoval(long holdId, long nowMs) {
        removals.addLong(nowMs + holdRetentionMs);
        removals.addLong(holdId);
    }

    // ---- Repay ------------------------------------------------------------------------------------

    RepayResponse repay(RepayRequest r, long nowMs) {
        String requestId = r.getRequestId();
        useMarketOf(r.getMarket(), r.getBorrowerId(), r.getCurrency());
        String borrowerId = r.getBorrowerId();
        int product = r.getProductValue();
        long amount = r.getAmountMinor();
        if (!state.ledger().get(borrowerId, product, ledger)) {
            throw Refused.of(DomainError.LINE_NOT_FOUND, "borrower_id: no line on " + r.getProduct()
                    + " for this borrower");
        }
        if (amount > ledger.drawnMinor()) {
            throw Refused.of(DomainError.REPAYMENT_EXCEEDS_DRAWN,
                    "amount_minor: " + amount + " exceeds the drawn balance " + ledger.drawnMinor())
                    .metadata("drawn_minor", Long.toString(ledger.drawnMinor()));
        }
        RepayResponse response = RepayResponse.newBuilder()
                .setRequestId(requestId)
                .setLine(lineAfter(borrowerId, product, 0, -amount, nowMs))
                .build();
        byte[] payload = response.toByteArray();
        state.decisions().put(key, Operation.REPAY.kind(), nowMs, fingerprint, payload);
        state.ledger().apply(borrowerId, product, 0, -amount, nowMs);
        exposures.repay(borrowerId, product, amount);
        return response;
    }

    // ---- Apply ------------------------------------------------------------------------------------

    /**
     * Scores an application and, on approval, writes the profile, the line and its grade. The writes are
     * idempotent and the answer is recorded last, so a crash in between is repaired by the client's retry
     * with the same request_id.
     */
    CreditOffer apply(CreditApplication a, long nowMs, long startNanos) {
        String requestId = a.getRequestId();
        useMarketOf(a.getMarket(), a.getBorrowerId(), a.getCurrency());
        CompiledRuleSet rules = risk.rules().active();
        String borrowerId = a.getBorrowerId();
        int product = a.getProductValue();
        Profile profile = profile(borrowerId);
        eval.application(rules, a, profile, state, nowMs);
        eval.fraud(rules);
        eval.credit(rules);
        Rule.Action action = eval.ruled();
        int grade = eval.grade();
        CreditOffer.Builder offer = CreditOffer.newBuilder().setRequestId(requestId).setBorrowerId(borrowerId)
                .setProduct(a.getProduct()).setScore(eval.score()).setPd(eval.pd()).setGrade(grade(grade))
                .setAprBps(rules.pricing().aprFor(grade)).setRuleSetVersion(rules.version());
        RegulatoryParameters.Limits limits = risk.regulatory().at(
                RegulatoryParameters.decisionTime(a.getEventTimeMs(), nowMs), rules.licence());
        if (limits != null) {
            offer.setRegulatoryVersion(limits.version());
        }
        LinePolicy policy = rules.lines(product);
        long line = 0;
        Reason binding = null;
        String region = !a.getRegion().isEmpty() ? a.getRegion() : borrowerRegion(profile, "");
        CreditPolicy caps = eval.policy(rules, product, risk.appetite().factorBps(product), limits);
        if (!caps.lendsIn(region)) {
            action = Rule.Action.DECLINE;
            binding = reason(caps.code(), caps.text(), caps.value());
        } else if (policy == null) {
            action = Rule.Action.DECLINE;
            binding = reason("NO_POLICY", "the active rule set does not lend on " + a.getProduct(), "");
        } else if (!policy.eligible(grade)) {
            action = Rule.Action.DECLINE;
            binding = reason("GRADE_NOT_ELIGIBLE", "grade " + grade(grade) + " is not eligible for "
                    + a.getProduct(), "score=" + eval.score());
        } else {
            line = caps.grant(product, grade, a.getRequestedLineMinor());
            if (caps.code() != null) {
                binding = reason(caps.code(), caps.text(), caps.value());
            }
            if (caps.belowMinimum()) {
                action = Rule.Action.DECLINE;
            }
        }
        // the APR the offer states is held under the all-in cost cap in force, like every drawing's price
        int askedApr = rules.pricing().aprFor(grade);
        int offeredApr = AllInRateCap.offerApr(planner, rules.pricing(), limits, product,
                line > 0 ? line : OFFER_CHECK_PRINCIPAL_MINOR, askedApr, nowMs, schedule);
        if (offeredApr < 0 && action != Rule.Action.DECLINE) {
            action = Rule.Action.DECLINE;
            offer.addReasons(AllInRateCap.offerReason(limits, product, askedApr, offeredApr));
        }
        if (binding != null) {
            offer.addReasons(binding);
        }
        if (offeredApr >= 0 && offeredApr != askedApr) {
            offer.setAprBps(offeredApr).addReasons(AllInRateCap.offerReason(limits, product, askedApr, offeredApr));
        }
        DecisionResult fired = result.reset("", "");
        addRuleReasons(fired, rules);
        for (int i = 0; i < fired.reasonCount(); i++) {
            Rule rule = fired.reasonRule(i);
            offer.addReasons(Reason.newBuilder().setCodeBytes(rule.codeBytes()).setTextBytes(rule.textBytes())
                    .setValue(rule.renderValue(eval.features())));
        }
        Scorecard card = rules.scorecard();
        Integer[] order = new Integer[card.attributeCount()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Integer.compare(Math.abs(eval.points(y)), Math.abs(eval.points(x))));
        for (int i : order) {
            offer.addContributions(contribution(card, i));
        }
        Outcome outcome = action == Rule.Action.DECLINE ? Outcome.DECLINE
                : action == Rule.Action.REVIEW ? Outcome.REVIEW : Outcome.APPROVE;
        offer.setOutcome(outcome).setLineMinor(outcome == Outcome.APPROVE ? line : 0);
        if (outcome == Outcome.APPROVE) {
            Profile.Builder p = profile == null ? Profile.newBuilder().setBorrowerId(borrowerId) : profile.toBuilder();
            if (!a.getRegion().isEmpty()) {
                p.setRegion(a.getRegion());
            }
            if (!a.getMarket().isEmpty()) {
                p.setMarket(a.getMarket());
            }
            if (a.getAnnualIncomeMinor() > 0) {
                p.setAnnualIncomeMinor(a.getAnnualIncomeMinor());
            }
            if (a.getSelfLimitMinor() > 0) {
                p.setSelfLimitMinor(a.getSelfLimitMinor());
            }
            p.putAllAttributes(a.getAttributesMap());
            p.clearLines();
            for (ProductLine pl : (profile == null ? Profile.getDefaultInstance() : profile).getLinesList()) {
                if (pl.getProductValue() != product) {
                    p.addLines(pl);
                }
            }
            p.addLines(ProductLine.newBuilder().setProduct(a.getProduct()).setLineMinor(line));
            Profile stored = p.build();
            byte[] storedBytes = stored.toByteArray();
            checkMergedProfile(storedBytes.length);
            state.profiles().put(borrowerId, storedBytes);
            risk.profiles().put(borrowerId, stored);
            exposures.move(stored);
            state.ledger().putLine(borrowerId, product, line, nowMs);
            state.ledger().setGrade(borrowerId, product, grade, nowMs);
        }
        CreditOffer answer = offer.setServerNanos(System.nanoTime() - startNanos).build();
        state.decisions().put(key, Operation.APPLY.kind(), nowMs, fingerprint, answer.toByteArray());
        return answer;
    }

    /**
     * An approved application's attributes join the profile's own: each side kept the profile rules, the two
     * together may be more than a stored profile holds. Bad input, refused before anything is written, not a failed
     * store (INTERNAL).
     */
    private static void checkMergedProfile(int size) {
        if (size > StateConfig.MAX_PAYLOAD_BYTES) {
            throw Refused.invalid("attributes: with the profile's own, " + size + " bytes to store; a profile holds at"
                    + " most " + StateConfig.MAX_PAYLOAD_BYTES + " bytes");
        }
    }

    private static Reason reason(String code, String text, String value) {
        return Reason.newBuilder().setCode(code).setText(text).setValue(value).build();
    }

    // ---- early warning ------------------------------------------------------------------------------

    /**
     * Applies a risk event: the active rule set's early-warning rules for its type decide whether the borrower's
     * lines are frozen, cut, watched or restored, each product on its own. The changes are idempotent (a cut is
     * taken from the assigned line, not the current one) and the answer is recorded last, so a retry after a
     * crash converges.
     */
    RiskEventResponse riskEvent(RiskEvent e, long nowMs) {
        String requestId = e.getRequestId();
        String borrowerId = e.getBorrowerId();
        Profile profile = profile(borrowerId);
        if (profile == null) {
            throw Refused.of(DomainError.PROFILE_NOT_FOUND, "borrower_id: no profile for this borrower");
        }
        useMarketOf(borrowerId);
        CompiledRuleSet rules = risk.rules().active();
        String type = RiskEvaluator.eventType(e);
        eval.event(rules, e, profile, state, nowMs);
        RiskEventResponse.Builder response = RiskEventResponse.newBuilder().setRequestId(requestId);
        EarlyWarningRule.Action strongest = null;
        java.util.Set<String> seen = new java.util.HashSet<>();
        boolean watch = false;
        boolean restore = false;
        for (LoanProduct each : LoanProduct.values()) {
            int product = each.number();
            if ((e.getProductValue() != 0 && e.getProductValue() != product)
                    || !state.ledger().get(borrowerId, product, ledger)) {
                continue;
            }
            eval.eventLine(ledger, product);
            EarlyWarningRule.Action action = eval.earlyWarning(rules, type);
            if (action == null) {
                continue;
            }
            CreditLine.Builder note = CreditLine.newBuilder();
            for (int i = 0; i < eval.firedWarningCount(); i++) {
                EarlyWarningRule rule = eval.firedWarning(rules, i);
                Reason reason = reason(rule.code(), rule.text(), rule.renderValue(eval.features()));
                note.addReasons(reason);
                if (seen.add(rule.code())) {
                    response.addReasons(reason);
                }
            }
            long assigned = assignedLine(profile, product, ledger.lineMinor());
            switch (action) {
                case FREEZE -> state.ledger().setFrozen(borrowerId, product, true, nowMs);
                case CUT -> {
                    long cut = 0;
                    for (int i = 0; i < eval.firedWarningCount(); i++) {
                        EarlyWarningRule rule = eval.firedWarning(rules, i);
                        if (rule.action() == EarlyWarningRule.Action.CUT) {
                            cut = Math.max(cut, rule.cutBps());
                        }
                    }
                    state.ledger().putLine(borrowerId, product, assigned - Money.applyBps(assigned, cut), nowMs);
                }
                case WATCH -> watch = true;
                default -> {
                    restore = true;
                    state.ledger().setFrozen(borrowerId, product, false, nowMs);
                    state.ledger().putLine(borrowerId, product, assigned, nowMs);
                }
            }
            state.lineNotes().put(noteKey(product, borrowerId), note.build().toByteArray());
            if (strongest == null || action.compareTo(strongest) > 0) {
                strongest = action;
            }
        }
        if (watch || restore) {
            state.activity().setWatch(borrowerId, watch, nowMs);
        }
        response.setAction(strongest == null ? "NONE" : strongest.name());
        for (LoanProduct each : LoanProduct.values()) {
            int product = each.number();
            if ((e.getProductValue() == 0 || e.getProductValue() == product)
                    && state.ledger().get(borrowerId, product, ledger)) {
                response.addLines(withNotes(creditLine(borrowerId, product, ledger, currency), state).toBuilder()
                        .setMarket(market.code()).setRegulatoryVersion(regulatoryVersion(nowMs)).build());
            }
        }
        RiskEventResponse answer = response.build();
        state.decisions().put(key, Operation.RISK_EVENT.kind(), nowMs, fingerprint, answer.toByteArray());
        return answer;
    }

    /** The line the borrower was assigned (profile or Apply), which CUT and RESTORE work from. */
    private static long assignedLine(Profile profile, int product, long current) {
        for (ProductLine line : profile.getLinesList()) {
            if (line.getProductValue() == product) {
                return line.getLineMinor();
            }
        }
        return current;
    }

    static String noteKey(int product, String borrowerId) {
        return (char) ('0' + product) + borrowerId;
    }

    /** Adds the reasons of the line's last early-warning change. */
    static CreditLine withNotes(CreditLine line, ShardState state) {
        byte[] note = state.lineNotes().get(noteKey(line.getProductValue(), line.getBorrowerId()));
        if (note == null) {
            return line;
        }
        try {
            return line.toBuilder().addAllReasons(CreditLine.parseFrom(note).getReasonsList()).build();
        } catch (InvalidProtocolBufferException ex) {
            return line;
        }
    }

    // ---- Profiles ---------------------------------------------------------------------------------

    /** Stores the profile and sets the line of each product it lists; returns true when created. */
    boolean upsert(Profile profile, long nowMs) {
        String borrowerId = profile.getBorrowerId();
        Profile before = profile(borrowerId);
        if (before != null && markets.get(before.getMarket()) != markets.get(profile.getMarket())) {
            for (int product = 1; product <= Product.BUSINESS_LOAN_VALUE; product++) {
                if (state.ledger().get(borrowerId, product, ledger)) {
                    throw Refused.invalid("market: the borrower has a " + Product.forNumber(product) + " line in"
                            + " market " + (before.getMarket().isEmpty() ? "(default)" : before.getMarket())
                            + "; a line's currency and regulation cannot change");
                }
            }
        }
        boolean created = state.profiles().put(borrowerId, profile.toByteArray());
        risk.profiles().put(borrowerId, profile);
        exposures.move(profile);
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

    private CreditLine lineAfter(String borrowerId, int product, long heldDelta, long drawnDelta, long nowMs) {
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
                .setMarket(market.code())
                .setRegulatoryVersion(regulatoryVersion(nowMs))
                .setVersion(ledger.version() + 1)
                .build();
    }

    private void requireLedger(String borrowerId, int product) {
        if (!state.ledger().get(borrowerId, product, ledger)) {
            throw Refused.of(DomainError.INTERNAL_ERROR, "ledger entry missing for an existing hold");
        }
    }

    static Grade grade(int grade) {
        Grade g = Grade.forNumber(grade);
        return g == null ? Grade.GRADE_UNSPECIFIED : g;
    }

    // ---- idempotency ------------------------------------------------------------------------------

    /** The stored response bytes of the Decide recorded under {@code key}; NOT_FOUND when there is none. */
    byte[] storedDecision(String key) {
        DecisionRecord record = state.decisions().get(key);
        if (record == null || record.kind() != Operation.DECIDE.kind()) {
            throw Refused.of(DomainError.DECISION_NOT_FOUND, "request_id: no Decide with this request_id is on"
                    + " record for this borrower");
        }
        return record.payload();
    }

    /**
     * The recorded answer to the request {@link #key} names, marked replayed, when it is the same request: refused
     * ({@link DomainError#REQUEST_ID_REUSED}, nothing changes) when the id was used for another operation or with
     * another {@link #fingerprint} that is not the same request with its defaults spelled another way
     * ({@link #sameRequest}).
     */
    private <R> R replay(Operation<?, R> op, Object request) {
        DecisionRecord record = state.decisions().get(key);
        if (record.kind() != op.kind()) {
            Operation<?, ?> other = Operation.ofKind(record.kind());
            String name = other == null ? "kind " + record.kind() : other.name();
            throw Refused.invalid(DomainError.REQUEST_ID_REUSED, "request_id: already used for "
                    + ("AEIOU".indexOf(name.charAt(0)) >= 0 ? "an " : "a ") + name + " call; use a new request_id");
        }
        if (record.fingerprint() != fingerprint && !sameRequest(request, record.fingerprint())) {
            throw Refused.invalid(DomainError.REQUEST_ID_REUSED, "request_id: already used for a different "
                    + op.name() + " request (its amount, product, currency, merchant or other fields differ);"
                    + " use a new request_id");
        }
        answer(op, AnswerBytes.of(record.payload()), true);
        return null;
    }

    /**
     * Whether {@code request}, whose fingerprint is not the {@code recorded} one, is still the recorded Decide with
     * the defaults spelled another way: an empty currency or market means the borrower's (docs/api.md), so a retry
     * that names them where the first call left them empty, or the reverse, is the same request and is answered from
     * the record, not refused as a reused id (issue 19, found by clients/python/adversary.py). Only on a mismatch
     * (the cold path); false when the market cannot be resolved (the handler would refuse the request anyway).
     */
    private boolean sameRequest(Object request, long recorded) {
        Markets.Market m;
        if (request instanceof DecisionRequest r && (m = marketOf(r.getBorrowerId(), r.getMarket())) != null) {
            for (String market : new String[] {"", m.code()}) {
                for (String currency : new String[] {"", m.currency()}) {
                    if (IdempotencyKeys.decide(r.getProductValue(), r.getAmountMinor(), currency, r.getMerchantId(),
                            r.getInstallments(), market) == recorded) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The market of a request for {@code borrowerId} naming {@code named} ("" = the profile's), or null if refused. */
    private Markets.Market marketOf(String borrowerId, String named) {
        try {
            return markets.resolve(named, markets.all().size() == 1 ? null : profile(borrowerId), "");
        } catch (Refused e) {
            return null;
        }
    }

    // ---- duty cycle: timers and rotation ----------------------------------------------------------

    /** Expires due holds, removes finished holds past retention, rotates idempotency records. */
    int duty(long nowMs) {
        useMarket(markets.defaultMarket()); // quota gauges are the default market's; expiry releases by quota slot
        int work = 0;
        while (!expiries.isEmpty() && expiries.peekLong() <= nowMs && work < EXPIRY_BATCH) {
            expiries.pollLong();
            long holdId = expiries.pollLong();
            if (state.holds().expireIfActive(holdId, hold)) {
                expired(holdId, nowMs);
            }
            work++;
        }
        while (!removals.isEmpty() && removals.peekLong() <= nowMs && work < EXPIRY_BATCH) {
            removals.pollLong();
            state.holds().removeIfFinished(removals.pollLong());
            work++;
        }
        if (shardId == 0 && metrics.enabled() && nowMs >= nextQuotaReportMs) {
            reportQuotas(nowMs);
            nextQuotaReportMs = nowMs + 1000;
        }
        if (nowMs >= nextRotationCheckMs) {
            state.decisions().rotateIfDue(nowMs);
            nextRotationCheckMs = nowMs + 1000;
        }
        if (quotaLease >= 0 && log != null && nowMs >= nextQuotaTransferMs) {
            nextQuotaTransferMs = nowMs + QUOTA_TRANSFER_PERIOD_MS;
            work += moveQuotaHeadroom(nowMs);
        }
        return work;
    }

    /**
     * The leader of a replicated group accepts the quota headroom other groups gave it and gives some of its own to a
     * group running low ({@link FundingQuotas#moveHeadroom}), in a frame of its own. A give counts as committed, so
     * that its receiver may accept it, only once that frame is durable: never an answer waits for it, and a give the
     * group's log loses (its leader deposed before the commit: the node fail-stops) is never accepted.
     */
    private int moveQuotaHeadroom(long nowMs) {
        FundingQuotas quotas = risk.quotas();
        int moved = quotas.moveHeadroom(quotaLease, FundingQuotas.dayIndex(nowMs), transfers);
        if (gives.isEmpty()) {
            return moved;
        }
        try {
            long position = endCommand(nowMs);
            int from = quotaLease;
            for (int i = 0; i < gives.size(); i += 4) {
                int funder = (int) gives.getLong(i);
                int to = (int) gives.getLong(i + 1);
                long day = gives.getLong(i + 2);
                long cumulative = gives.getLong(i + 3);
                log.whenDurable(position, durable -> {
                    if (durable && day < 0) {
                        quotas.commitGiven(funder, from, to, cumulative);
                    } else if (durable) {
                        quotas.commitGivenDaily(funder, from, to, day, cumulative);
                    }
                });
            }
        } catch (IllegalStateException logFailed) {
            // the frame is lost with the log: the node stops (docs/cluster.md, "Fencing"); nothing to commit
        } finally {
            gives.clear();
        }
        return moved;
    }

    /**
     * Publishes each partner's remaining quota, and with leases each Raft group's lease left (once a second, from
     * shard 0's duty cycle).
     */
    private void reportQuotas(long nowMs) {
        var quotas = risk.quotas();
        for (var funder : risk.rules().active().funding().funders()) {
            int slot = quotas.indexOf(funder.id());
            if (slot >= 0) {
                long day = FundingQuotas.dayIndex(nowMs);
                metrics.decisions().partnerQuotaLeft(funder.id(), Math.min(quotas.remainingTotal(slot),
                        quotas.remainingToday(slot, day)));
                for (int g = 0, groups = quotas.leaseGroups(); g < groups; g++) {
                    long total = quotas.leaseTotal(slot, g) - quotas.leaseUsedTotal(slot, g);
                    long daily = quotas.leaseDaily(slot, g, day);
                    long today = daily >= FunderSpec.UNLIMITED_DAILY ? Long.MAX_VALUE
                            : daily - quotas.leaseUsedToday(slot, g, day);
                    metrics.decisions().partnerLeaseLeft(slot, funder.id(), g, Math.max(0, Math.min(total, today)));
                }
            }
        }
    }

    // ---- start-up ---------------------------------------------------------------------------------

    /**
     * Redoes an interrupted mutation, rebuilds the expiry queues, and reconciles held = sum of
     * active holds for every ledger entry (repairing and counting any difference).
     */
    RecoveryReport recover(long nowMs) {
        // one walk of the holds (only the fields read here): the active ones grouped by line in primitive arrays
        // (RecoveryLines: exact, no object per line or hold), the queues' pairs in primitive arrays
        RecoveryLines byLine = new RecoveryLines((int) Math.min(Integer.MAX_VALUE / 4, state.ledger().size()));
        LongArrayList activeTimes = new LongArrayList();
        LongArrayList activeIds = new LongArrayList();
        LongArrayList finishedTimes = new LongArrayList();
        LongArrayList finishedIds = new LongArrayList();
        state.holds().forEachBrief((holdId, holdState, expiresMs, borrowerId, product, amountMinor) -> {
            if (holdState == HoldState.ACTIVE) {
                activeTimes.addLong(expiresMs);
                activeIds.addLong(holdId);
                byLine.addHold(borrowerId, product, holdId, amountMinor);
            } else {
                finishedTimes.addLong(Math.max(expiresMs, nowMs) + holdRetentionMs);
                finishedIds.addLong(holdId);
            }
        });
        queue(expiries, activeTimes, activeIds);
        queue(removals, finishedTimes, finishedIds);
        long[] mismatches = {0};
        long[] negative = {0};
        IntArrayList repairs = new IntArrayList();
        // one walk of the ledger for both checks: each line, its active holds and its balances (held as repaired)
        state.ledger().forEach((borrowerId, product, s) -> {
            int line = byLine.addLine(borrowerId, product, s.drawnMinor());
            if (s.heldMinor() != byLine.held(line)) {
                mismatches[0]++;
                repairs.addInt(line);
            }
            if (s.availableMinor() < 0) {
                negative[0]++;
            }
        });
        for (int i = 0; i < repairs.size(); i++) {
            int line = repairs.getInt(i);
            state.ledger().setHeld(byLine.borrowerId(line).toString(), byLine.product(line), byLine.held(line),
                    nowMs);
            endCommand(nowMs); // one frame per repair: any number of repairs fits the log
        }
        long exposureRepairs = exposures.reconcile(byLine, this::attribute, () -> endCommand(nowMs));
        return new RecoveryReport(log == null ? 0 : log.appendedPosition(), activeIds.size(), finishedIds.size(),
                state.ledger().size(), mismatches[0], negative[0], exposureRepairs);
    }

    /** A new exposure record's region and group: the borrower's profile's ("" without a profile). */
    private void attribute(String borrowerId, dev.formica.engine.state.ExposureRecord record) {
        Profile profile = profile(borrowerId);
        record.region(profile == null ? "" : profile.getRegion()).group(profile == null ? "" : profile.getGroupId());
    }

    /** Appends the (time, hold id) pairs to {@code queue} in time order (ties by hold id). */
    private static void queue(LongArrayQueue queue, LongArrayList times, LongArrayList ids) {
        int n = ids.size();
        long[] t = times.toLongArray();
        long[] h = ids.toLongArray();
        PairSort.sort(t, h, n);
        for (int i = 0; i < n; i++) {
            queue.addLong(t[i]);
            queue.addLong(h[i]);
        }
    }

}
