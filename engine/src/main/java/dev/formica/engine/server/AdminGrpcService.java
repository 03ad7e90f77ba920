package dev.formica.engine.server;

import dev.formica.engine.metrics.LatencyHub;
import dev.formica.v1.ActivateRuleSetRequest;
import dev.formica.v1.ActivateRuleSetResponse;
import dev.formica.v1.AdminServiceGrpc;
import dev.formica.v1.GetLatencyRequest;
import dev.formica.v1.GetRiskAppetiteRequest;
import dev.formica.v1.LatencySnapshot;
import dev.formica.v1.ListRuleSetsRequest;
import dev.formica.v1.ListRuleSetsResponse;
import dev.formica.v1.PublishRuleSetRequest;
import dev.formica.v1.PublishRuleSetResponse;
import dev.formica.v1.RiskAppetite;
import dev.formica.v1.SetRiskAppetiteRequest;
import dev.formica.v1.SetShadowRuleSetRequest;
import dev.formica.v1.SetShadowRuleSetResponse;
import dev.formica.v1.UpdateBlockListRequest;
import dev.formica.v1.UpdateBlockListResponse;
import dev.formica.v1.ValidateRuleSetRequest;
import dev.formica.v1.ValidateRuleSetResponse;
import io.grpc.stub.StreamObserver;

/**
 * {@code AdminService}: rule sets, risk appetite, block lists and latency snapshots. Requests are
 * validated; the logic arrives with the risk-logic and observability issues and answers
 * UNIMPLEMENTED until then rather than a made-up result.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor).
 */
public final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
    private static final String RISK_LOGIC = "issue: Risk logic";
    private final LatencyHub latency;

    public AdminGrpcService(LatencyHub latency) {
        this.latency = latency;
    }

    @Override
    public void validateRuleSet(ValidateRuleSetRequest request, StreamObserver<ValidateRuleSetResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("ValidateRuleSet", RISK_LOGIC, out);
        }
    }

    @Override
    public void publishRuleSet(PublishRuleSetRequest request, StreamObserver<PublishRuleSetResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("PublishRuleSet", RISK_LOGIC, out);
        }
    }

    @Override
    public void activateRuleSet(ActivateRuleSetRequest request, StreamObserver<ActivateRuleSetResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("ActivateRuleSet", RISK_LOGIC, out);
        }
    }

    @Override
    public void setShadowRuleSet(SetShadowRuleSetRequest request, StreamObserver<SetShadowRuleSetResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("SetShadowRuleSet", RISK_LOGIC, out);
        }
    }

    @Override
    public void listRuleSets(ListRuleSetsRequest request, StreamObserver<ListRuleSetsResponse> out) {
        GrpcReplies.unimplemented("ListRuleSets", RISK_LOGIC, out);
    }

    @Override
    public void setRiskAppetite(SetRiskAppetiteRequest request, StreamObserver<RiskAppetite> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("SetRiskAppetite", RISK_LOGIC, out);
        }
    }

    @Override
    public void getRiskAppetite(GetRiskAppetiteRequest request, StreamObserver<RiskAppetite> out) {
        GrpcReplies.unimplemented("GetRiskAppetite", RISK_LOGIC, out);
    }

    @Override
    public void updateBlockList(UpdateBlockListRequest request, StreamObserver<UpdateBlockListResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("UpdateBlockList", RISK_LOGIC, out);
        }
    }

    @Override
    public void getLatency(GetLatencyRequest request, StreamObserver<LatencySnapshot> out) {
        if (request.getNamesCount() > 64) {
            out.onError(RequestValidator.invalid("names: at most 64 names"));
            return;
        }
        for (String name : request.getNamesList()) {
            if (!LatencyHub.isValidName(name)) {
                out.onError(RequestValidator.invalid("names: '" + name + "' is not a stage (queue_wait, features,"
                        + " fraud, credit, funding, commit, total) or an RPC (rpc.Decide, ...)"));
                return;
            }
        }
        out.onNext(latency.snapshot(java.util.Set.copyOf(request.getNamesList())));
        out.onCompleted();
    }
}
