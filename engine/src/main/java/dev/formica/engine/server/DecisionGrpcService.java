package dev.formica.engine.server;

import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionError;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * {@code DecisionService}: validates every request, then hands it to the decision pipeline.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor).
 */
public final class DecisionGrpcService extends DecisionServiceGrpc.DecisionServiceImplBase {
    private static final String DECISION_CORE = "issue: Decision core";
    private static final String RISK_LOGIC = "issue: Risk logic";

    @Override
    public void decide(DecisionRequest request, StreamObserver<DecisionResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Decide", DECISION_CORE, out);
        }
    }

    @Override
    public StreamObserver<DecisionRequest> decideStream(StreamObserver<DecisionResponse> out) {
        return new StreamObserver<>() {
            @Override
            public void onNext(DecisionRequest request) {
                String violation = RequestValidator.check(request);
                int code = violation != null
                        ? Status.Code.INVALID_ARGUMENT.value() : Status.Code.UNIMPLEMENTED.value();
                String message = violation != null
                        ? violation : "DecideStream is not implemented yet (" + DECISION_CORE + ")";
                out.onNext(DecisionResponse.newBuilder()
                        .setRequestId(request.getRequestId())
                        .setError(DecisionError.newBuilder().setCode(code).setMessage(message))
                        .build());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                out.onCompleted();
            }
        };
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<ConfirmResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Confirm", DECISION_CORE, out);
        }
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<CancelResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Cancel", DECISION_CORE, out);
        }
    }

    @Override
    public void repay(RepayRequest request, StreamObserver<RepayResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Repay", DECISION_CORE, out);
        }
    }

    @Override
    public void getCreditLine(GetCreditLineRequest request, StreamObserver<CreditLine> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("GetCreditLine", DECISION_CORE, out);
        }
    }

    @Override
    public void apply(CreditApplication request, StreamObserver<CreditOffer> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Apply", RISK_LOGIC, out);
        }
    }
}
