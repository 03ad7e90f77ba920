package dev.formica.engine.server;

import dev.formica.engine.errors.Refused;
import dev.formica.engine.pipeline.DecisionPipeline;
import dev.formica.engine.pipeline.Operation;
import dev.formica.engine.pipeline.Sink;
import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RiskEvent;
import dev.formica.v1.RiskEventResponse;
import dev.formica.v1.RowError;
import dev.formica.v1.UpsertProfileRequest;
import dev.formica.v1.UpsertProfileResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * {@code ProfileService}: borrower profiles (single and bulk) and risk events.
 *
 * <p>Thread contract: called on Netty event-loop threads (direct executor); replies are completed
 * from shard threads.
 */
final class ProfileGrpcService extends ProfileServiceGrpc.ProfileServiceImplBase {
    /** Rows of a bulk load in flight at once: flow control instead of an unbounded buffer. */
    static final int LOAD_WINDOW = 256;
    static final int MAX_REPORTED_ERRORS = 1000;
    /** The path of Upsert's profile: the fields a refusal of it names are below it. */
    private static final String PROFILE = "profile.";

    private final DecisionPipeline pipeline;

    public ProfileGrpcService(DecisionPipeline pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public void upsert(UpsertProfileRequest request, StreamObserver<UpsertProfileResponse> out) {
        Refused market = RequestValidator.market(pipeline.markets(), request.getProfile().getMarket(), "");
        if (GrpcReplies.rejected(RequestValidator.check(request), out)
                || GrpcReplies.rejected(market == null ? null : market.withFieldPrefix(PROFILE), out)) {
            return;
        }
        String borrowerId = request.getProfile().getBorrowerId();
        UnarySink<UpsertProfileResponse> reply = new UnarySink<>(out);
        pipeline.submit(Operation.UPSERT_PROFILE, request.getProfile(), new Sink<>() {
            @Override
            public void onResult(Boolean created) {
                reply.onResult(UpsertProfileResponse.newBuilder().setBorrowerId(borrowerId).setCreated(created)
                        .build());
            }

            @Override
            public void onError(Refused error) {
                // the shard checks the profile itself (a line in another market): its fields are the profile's
                reply.onError(error.withFieldPrefix(PROFILE));
            }
        }, GrpcReplies.deadline());
    }

    @Override
    public void get(GetProfileRequest request, StreamObserver<Profile> out) {
        if (!GrpcReplies.rejected(RequestValidator.check(request), out)) {
            pipeline.profile(request.getBorrowerId(), new UnarySink<>(out), GrpcReplies.deadline());
        }
    }

    @Override
    public StreamObserver<Profile> load(StreamObserver<LoadSummary> out) {
        ServerCallStreamObserver<LoadSummary> call = (ServerCallStreamObserver<LoadSummary>) out;
        call.disableAutoRequest();
        BulkLoad load = new BulkLoad(call);
        call.request(LOAD_WINDOW);
        return load;
    }

    /** One Load call: validates each row, stores the good ones, and reports once all are answered. */
    private final class BulkLoad implements StreamObserver<Profile> {
        private final ServerCallStreamObserver<LoadSummary> call;
        private final LoadSummary.Builder summary = LoadSummary.newBuilder();
        private long rows;
        private int pending = 1;
        private boolean finished;

        BulkLoad(ServerCallStreamObserver<LoadSummary> call) {
            this.call = call;
        }

        @Override
        public void onNext(Profile profile) {
            long row;
            synchronized (this) {
                row = ++rows;
                summary.setReceived(row);
                pending++;
            }
            dev.formica.engine.errors.FieldViolations violations = RequestValidator.check(profile, "");
            if (violations != null) {
                rowDone(row, null, violations.message());
                return;
            }
            Sink<Boolean> sink = new Sink<>() {
                @Override
                public void onResult(Boolean created) {
                    rowDone(row, created, null);
                }

                @Override
                public void onError(Refused error) {
                    if (error.violations() != null) {
                        // "market: ...", as a row's own check names its fields: the row's field, not a status code
                        rowDone(row, null, error.violations().first());
                        return;
                    }
                    StatusRuntimeException status = GrpcErrors.toStatus(error);
                    rowDone(row, null, status.getStatus().getCode() + ": " + status.getStatus().getDescription());
                }
            };
            Refused market = RequestValidator.market(pipeline.markets(), profile.getMarket(), "");
            if (market != null) {
                sink.onError(market);
            } else {
                pipeline.submit(Operation.UPSERT_PROFILE, profile, sink, null);
            }
        }

        private synchronized void rowDone(long row, Boolean created, String violation) {
            if (created != null) {
                summary.setLoaded(summary.getLoaded() + 1);
                if (created) {
                    summary.setCreated(summary.getCreated() + 1);
                } else {
                    summary.setUpdated(summary.getUpdated() + 1);
                }
            } else {
                summary.setRejected(summary.getRejected() + 1);
                if (summary.getErrorsCount() < MAX_REPORTED_ERRORS) {
                    int colon = violation.indexOf(':');
                    summary.addErrors(RowError.newBuilder().setRow(row)
                            .setField(colon > 0 ? violation.substring(0, colon) : "")
                            .setReason(colon > 0 ? violation.substring(colon + 1).trim() : violation));
                }
            }
            if (!finished) {
                call.request(1);
            }
            finishIfDone();
        }

        private synchronized void finishIfDone() {
            if (--pending == 0 && !finished) {
                finished = true;
                try {
                    call.onNext(summary.build());
                    call.onCompleted();
                } catch (StatusRuntimeException | IllegalStateException cancelled) {
                    // client went away
                }
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            finished = true;
        }

        @Override
        public void onCompleted() {
            finishIfDone();
        }
    }

    @Override
    public void reportRiskEvent(RiskEvent request, StreamObserver<RiskEventResponse> out) {
        GrpcReplies.submit(pipeline, Operation.RISK_EVENT, request, RequestValidator.check(request), "", "", out);
    }
}
