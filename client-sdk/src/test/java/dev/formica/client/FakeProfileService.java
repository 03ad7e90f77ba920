package dev.formica.client;

import dev.formica.v1.GetProfileRequest;
import dev.formica.v1.LoadSummary;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import dev.formica.v1.RowError;
import dev.formica.v1.UpsertProfileRequest;
import dev.formica.v1.UpsertProfileResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A ProfileService that rejects profiles without a region in Load, fails the next unary calls with
 * scripted statuses, and records the borrowers it saw. Thread-safe.
 */
final class FakeProfileService extends ProfileServiceGrpc.ProfileServiceImplBase {
    final Queue<Status> failures = new ConcurrentLinkedQueue<>();
    final List<String> borrowers = new CopyOnWriteArrayList<>();
    final List<String> upserts = new CopyOnWriteArrayList<>();

    @Override
    public void upsert(UpsertProfileRequest request, StreamObserver<UpsertProfileResponse> responses) {
        upserts.add(request.getProfile().getBorrowerId());
        Status failure = failures.poll();
        if (failure != null) {
            responses.onError(failure.asRuntimeException());
            return;
        }
        responses.onNext(UpsertProfileResponse.newBuilder().setBorrowerId(request.getProfile().getBorrowerId())
                .setCreated(true).build());
        responses.onCompleted();
    }

    @Override
    public void get(GetProfileRequest request, StreamObserver<Profile> responses) {
        borrowers.add(request.getBorrowerId());
        Status failure = failures.poll();
        if (failure != null) {
            responses.onError(failure.asRuntimeException());
            return;
        }
        responses.onNext(Profile.newBuilder().setBorrowerId(request.getBorrowerId()).setRegion("CN-31").build());
        responses.onCompleted();
    }

    @Override
    public StreamObserver<Profile> load(StreamObserver<LoadSummary> responses) {
        return new StreamObserver<>() {
            private final LoadSummary.Builder summary = LoadSummary.newBuilder();

            @Override
            public void onNext(Profile profile) {
                borrowers.add(profile.getBorrowerId());
                summary.setReceived(summary.getReceived() + 1);
                if (profile.getRegion().isEmpty()) {
                    summary.setRejected(summary.getRejected() + 1).addErrors(RowError.newBuilder()
                            .setRow(summary.getReceived()).setField("region").setReason("required"));
                } else {
                    summary.setLoaded(summary.getLoaded() + 1).setCreated(summary.getCreated() + 1);
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                responses.onNext(summary.build());
                responses.onCompleted();
            }
        };
    }
}
