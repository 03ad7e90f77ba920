package dev.formica.engine.pipeline;

import dev.formica.v1.LoadSummary;
import dev.formica.v1.Profile;
import dev.formica.v1.ProfileServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A bulk {@code ProfileService.Load} of a few rows over a channel, for the tests that read its summary. */
public final class ProfileLoads {
    private ProfileLoads() {
    }

    public static LoadSummary load(ManagedChannel channel, Profile... rows) throws Exception {
        CompletableFuture<LoadSummary> summary = new CompletableFuture<>();
        StreamObserver<Profile> out = ProfileServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .load(new StreamObserver<>() {
                    @Override
                    public void onNext(LoadSummary value) {
                        summary.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        summary.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        summary.completeExceptionally(new AssertionError("Load ended without a summary"));
                    }
                });
        for (Profile row : rows) {
            out.onNext(row);
        }
        out.onCompleted();
        return summary.get(30, TimeUnit.SECONDS);
    }
}
