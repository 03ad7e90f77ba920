package dev.formica.engine.server;

import dev.formica.engine.errors.FieldViolations;
import dev.formica.engine.metrics.LatencyHub;
import dev.formica.engine.risk.BlockLists;
import dev.formica.engine.risk.ConcentrationReports;
import dev.formica.engine.risk.RiskAppetite;
import dev.formica.engine.risk.RiskContext;
import dev.formica.engine.risk.RuleSetRegistry;
import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.LoanProduct;
import dev.formica.engine.rules.RuleProblem;
import dev.formica.engine.rules.RuleSetCompiler;
import dev.formica.v1.ActivateRuleSetRequest;
import dev.formica.v1.ActivateRuleSetResponse;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.BacktestReport;
import dev.formica.v1.BacktestRequest;
import dev.formica.v1.ConcentrationReport;
import dev.formica.v1.ErrorReason;
import dev.formica.v1.GetConcentrationRequest;
import dev.formica.v1.GetLatencyRequest;
import dev.formica.v1.GetRiskAppetiteRequest;
import dev.formica.v1.LatencySnapshot;
import dev.formica.v1.ListRuleSetsRequest;
import dev.formica.v1.ListRuleSetsResponse;
import dev.formica.v1.MovePartitionsRequest;
import dev.formica.v1.MovePartitionsResponse;
import dev.formica.v1.Product;
import dev.formica.v1.ProductAppetite;
import dev.formica.v1.PublishRuleSetRequest;
import dev.formica.v1.PublishRuleSetResponse;
import dev.formica.v1.RiskAppetite.Builder;
import dev.formica.v1.RuleSetError;
import dev.formica.v1.RuleSetInfo;
import dev.formica.v1.SetRiskAppetiteRequest;
import dev.formica.v1.SetShadowRuleSetRequest;
import dev.formica.v1.SetShadowRuleSetResponse;
import dev.formica.v1.UpdateBlockListRequest;
import dev.formica.v1.UpdateBlockListResponse;
import dev.formica.v1.ValidateRuleSetRequest;
import dev.formica.v1.ValidateRuleSetResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.agrona.concurrent.EpochClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdminService}: rule sets (validate, publish, activate, shadow, list), risk appetite, block lists
 * and latency snapshots. Compilation happens here, on the caller's thread, so activation on the shards is a
 * reference swap.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor); the registry serialises changes.
 */
final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(AdminGrpcService.class);

    private final RiskContext risk;
    private final EpochClock clock;

    private final LatencyHub latency;
    private final BacktestService backtests;
    /** MovePartitions: the groups and their moves; null in tests that make no moves. */
    private final GroupMoveService moves;
    /** AddNode, RemoveNode: the groups' members; null in tests that make no changes. */
    private final GroupMembersService members;

    public AdminGrpcService(RiskContext risk, EpochClock clock, LatencyHub latency, BacktestService backtests) {
        this(risk, clock, latency, backtests, null);
    }

    AdminGrpcService(RiskContext risk, EpochClock clock, LatencyHub latency, BacktestService backtests,
            GroupMoveService moves) {
        this(risk, clock, latency, backtests, moves, null);
    }

    AdminGrpcService(RiskContext risk, EpochClock clock, LatencyHub latency, BacktestService backtests,
            GroupMoveService moves, GroupMembersService members) {
        this.members = members;
        this.risk = risk;
        this.clock = clock;
        this.latency = latency;
        this.backtests = backtests;
        this.moves = moves;
    }

    @Override
    public void movePartitions(MovePartitionsRequest request, StreamObserver<MovePartitionsResponse> out) {
        if (moves == null) {
            out.onError(Status.UNIMPLEMENTED.withDescription("MovePartitions is not served here").asRuntimeException());
            return;
        }
        moves.move(request, out);
    }

    @Override
    public void addNode(dev.formica.v1.AddNodeRequest request,
            StreamObserver<dev.formica.v1.ChangeMembersResponse> out) {
        if (members == null) {
            out.onError(Status.UNIMPLEMENTED.withDescription("AddNode is not served here").asRuntimeException());
            return;
        }
        members.add(request, out);
    }

    @Override
    public void removeNode(dev.formica.v1.RemoveNodeRequest request,
            StreamObserver<dev.formica.v1.ChangeMembersResponse> out) {
        if (members == null) {
            out.onError(Status.UNIMPLEMENTED.withDescription("RemoveNode is not served here").asRuntimeException());
            return;
        }
        members.remove(request, out);
    }

    @Override
    public void backtest(BacktestRequest request, StreamObserver<BacktestReport> out) {
        backtests.backtest(request, out);
    }

    @Override
    public void validateRuleSet(ValidateRuleSetRequest request, StreamObserver<ValidateRuleSetResponse> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        RuleSetCompiler.Outcome o = risk.rules().compiler().compile(request.getYaml());
        ValidateRuleSetResponse.Builder b = ValidateRuleSetResponse.newBuilder().setValid(o.valid());
        o.errors().forEach(e -> b.addErrors(error(e)));
        o.warnings().forEach(w -> b.addErrors(error(w)));
        reply(out, b.build());
    }

    @Override
    public void publishRuleSet(PublishRuleSetRequest request, StreamObserver<PublishRuleSetResponse> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        RuleSetCompiler.Outcome o = risk.rules().compiler().compile(request.getYaml());
        if (!o.valid()) {
            // every problem is a violation of the field yaml: "yaml: LINE:COLUMN: message"
            FieldViolations problems = null;
            for (RuleProblem p : o.errors()) {
                problems = FieldViolations.add(problems, "yaml: " + p);
            }
            RuleProblem first = o.errors().get(0);
            out.onError(Refusals.builder(Status.Code.INVALID_ARGUMENT, ErrorReason.RULE_SET_INVALID, "yaml: " + first
                    + (o.errors().size() > 1 ? " (and " + (o.errors().size() - 1)
                            + " more; the details and ValidateRuleSet list them all)" : ""))
                    .violations(problems).build());
            return;
        }
        try {
            RuleSetRegistry.Published p = risk.rules().publish(o.ruleSet(), request.getAuthor(), clock.time());
            LOG.info("rule set " + p.ruleSet().version() + " published");
            PublishRuleSetResponse.Builder b = PublishRuleSetResponse.newBuilder().setVersion(p.ruleSet().version());
            o.warnings().forEach(w -> b.addWarnings(error(w)));
            reply(out, b.build());
        } catch (IllegalArgumentException e) {
            out.onError(Refusals.of(Status.Code.ALREADY_EXISTS, ErrorReason.RULE_SET_VERSION_EXISTS, e.getMessage()));
        }
    }

    @Override
    public void activateRuleSet(ActivateRuleSetRequest request, StreamObserver<ActivateRuleSetResponse> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        try {
            String previous = risk.rules().activate(request.getVersion());
            reply(out, ActivateRuleSetResponse.newBuilder().setActiveVersion(request.getVersion())
                    .setPreviousVersion(previous).build());
        } catch (IllegalArgumentException e) {
            out.onError(Refusals.notFound(ErrorReason.RULE_SET_NOT_FOUND, e.getMessage()));
        }
    }

    @Override
    public void setShadowRuleSet(SetShadowRuleSetRequest request, StreamObserver<SetShadowRuleSetResponse> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        try {
            risk.rules().setShadow(request.getVersion());
            reply(out, SetShadowRuleSetResponse.newBuilder().setShadowVersion(request.getVersion()).build());
        } catch (IllegalArgumentException e) {
            out.onError(Refusals.notFound(ErrorReason.RULE_SET_NOT_FOUND, e.getMessage()));
        }
    }

    @Override
    public void listRuleSets(ListRuleSetsRequest request, StreamObserver<ListRuleSetsResponse> out) {
        ListRuleSetsResponse.Builder b = ListRuleSetsResponse.newBuilder();
        CompiledRuleSet active = risk.rules().active();
        CompiledRuleSet shadow = risk.rules().shadow();
        for (RuleSetRegistry.Published p : risk.rules().list()) {
            CompiledRuleSet rs = p.ruleSet();
            RuleSetRegistry.ShadowCounts counts = risk.rules().shadowCounts(rs.version());
            b.addRuleSets(RuleSetInfo.newBuilder().setVersion(rs.version()).setAuthor(p.author())
                    .setPublishedMs(p.publishedMs()).setActive(rs == active).setShadow(rs == shadow)
                    .setShadowDecisions(counts.decisions()).setShadowDisagreements(counts.disagreements())
                    .setFraudRules(rs.fraudRuleCount()).setCreditRules(rs.creditRuleCount())
                    .setDescription(rs.description()));
        }
        reply(out, b.build());
    }

    @Override
    public void setRiskAppetite(SetRiskAppetiteRequest request, StreamObserver<dev.formica.v1.RiskAppetite> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        risk.appetite().set(request.getProductValue(), request.getFactorBps(), request.getReason(), clock.time());
        LOG.info("risk appetite " + request.getFactorBps() + " bps for "
                + (request.getProductValue() == 0 ? "all products" : request.getProduct()));
        reply(out, appetite());
    }

    @Override
    public void getRiskAppetite(GetRiskAppetiteRequest request, StreamObserver<dev.formica.v1.RiskAppetite> out) {
        reply(out, appetite());
    }

    private dev.formica.v1.RiskAppetite appetite() {
        Builder b = dev.formica.v1.RiskAppetite.newBuilder();
        for (LoanProduct each : LoanProduct.values()) {
            int p = each.number();
            RiskAppetite.Setting s = risk.appetite().setting(p);
            if (s != null) {
                b.addProducts(ProductAppetite.newBuilder().setProduct(Product.forNumber(p)).setFactorBps(s.factorBps())
                        .setReason(s.reason()).setSetMs(s.setMs()));
            }
        }
        return b.build();
    }

    @Override
    public void updateBlockList(UpdateBlockListRequest request, StreamObserver<UpdateBlockListResponse> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        BlockLists.Kind kind = BlockLists.Kind.values()[request.getKindValue() - 1];
        try {
            long[] r = risk.blockLists().update(kind, request.getAddList(), request.getRemoveList(), clock.time());
            // Counts only: the entries are personal data and stay out of the log.
            LOG.info("block list " + kind + ": +" + r[0] + " -" + r[1]);
            reply(out, UpdateBlockListResponse.newBuilder().setAdded(r[0]).setRemoved(r[1])
                    .setSize(risk.blockLists().size(kind)).build());
        } catch (IllegalStateException e) {
            // no RetryInfo: a retry gets the same answer until entries are removed
            out.onError(Refusals.of(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.BLOCK_LIST_FULL, e.getMessage()));
        }
    }

    @Override
    public void getConcentration(GetConcentrationRequest request, StreamObserver<ConcentrationReport> out) {
        if (GrpcReplies.rejected(RequestValidator.check(request), out)) {
            return;
        }
        reply(out, ConcentrationReports.build(risk, clock.time(), request.getDimension(), request.getTop() == 0 ? 20
                : request.getTop()));
    }

    @Override
    public void getLatency(GetLatencyRequest request, StreamObserver<LatencySnapshot> out) {
        if (request.getNamesCount() > 64) {
            out.onError(RequestValidator.invalid("names: at most 64 names"));
            return;
        }
        FieldViolations bad = null;
        for (String name : request.getNamesList()) {
            if (!LatencyHub.isValidName(name)) {
                bad = FieldViolations.add(bad, "names: '" + name + "' is not a stage (queue_wait, features,"
                        + " fraud, credit, funding, commit, total) or an RPC (rpc.Decide, ...)");
            }
        }
        if (GrpcReplies.rejected(bad, out)) {
            return;
        }
        out.onNext(latency.snapshot(java.util.Set.copyOf(request.getNamesList())));
        out.onCompleted();
    }

    private static RuleSetError error(RuleProblem p) {
        return RuleSetError.newBuilder().setLine(p.line()).setColumn(p.column()).setMessage(p.message()).build();
    }

    private static <T> void reply(StreamObserver<T> out, T value) {
        out.onNext(value);
        out.onCompleted();
    }

}
