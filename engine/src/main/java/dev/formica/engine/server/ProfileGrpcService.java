package dev.formica.engine.server;

import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import dev.formica.v1.UpsertProfileRequest;
import dev.formica.v1.UpsertProfileResponse;
import io.grpc.stub.StreamObserver;

/**
 * {@code ProfileService}: borrower profiles and risk events.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor).
 */
public final class ProfileGrpcService extends ProfileServiceGrpc.ProfileServiceImplBase {
    private static final String DECISION_CORE = "issue: Decision core";
    private static final String LIFECYCLE = "issue: Loan lifecycle";

    @Override
    public void upsert(UpsertProfileRequest request, StreamObserver<UpsertProfileResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Upsert", DECISION_CORE, out);
        }
    }

    @Override
    public void get(GetProfileRequest request, StreamObserver<Profile> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("Get", DECISION_CORE, out);
        }
    }

    @Override
    public StreamObserver<Profile> load(StreamObserver<LoadSummary> out) {
        GrpcReplies.unimplemented("Load", DECISION_CORE, out);
        return new StreamObserver<>() {
            @Override
            public void onNext(Profile value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    @Override
    public void reportRiskEvent(RiskEvent request, StreamObserver<RiskEventResponse> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            GrpcReplies.unimplemented("ReportRiskEvent", LIFECYCLE, out);
        }
    }
}
