package dev.formica.client;

import dev.formica.v1.CancelRequest;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmRequest;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditApplication;
import dev.formica.v1.CreditLine;
import dev.formica.v1.CreditOffer;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.DecisionServiceGrpc;
import dev.formica.v1.GetCreditLineRequest;
import dev.formica.v1.Outcome;
import dev.formica.v1.RepayRequest;
import dev.formica.v1.RepayResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A DecisionService that fails the next calls with scripted statuses, then answers, and records
 * what it saw. Thread-safe: tests script it and read it while the client calls it.
 */
final class FakeDecisionService extends DecisionServiceGrpc.DecisionServiceImplBase {
    final String name;
    /** Statuses to fail the next unary calls with, in order; empty means answer. */
    final Queue<Status> failures = new ConcurrentLinkedQueue<>();
    /** Refusals (status, trailers, details) to fail the next unary calls with, before {@link #failures}. */
    final Queue<java.util.function.Supplier<io.grpc.StatusRuntimeException>> refusals = new ConcurrentLinkedQueue<>();
    /** Every request_id seen, one entry per attempt (unary) or message (stream). */
    final List<String> requestIds = new CopyOnWriteArrayList<>();
    /** Every borrower_id seen, one entry per attempt or message. */
    final List<String> borrowers = new CopyOnWriteArrayList<>();
    /** Number of GetCreditLine attempts. */
    final List<GetCreditLineRequest> lineReads = new CopyOnWriteArrayList<>();

    FakeDecisionService(String name) {
        this.name = name;
    }

    /** Fails every call with {@code status}, {@code times} times in a row. */
    FakeDecisionService failNext(Status status, int times) {
        for (int i = 0; i < times; i++) {
            failures.add(status);
        }
        return this;
    }

    private boolean failed(StreamObserver<?> observer) {
        java.util.function.Supplier<io.grpc.StatusRuntimeException> refusal = refusals.poll();
        if (refusal != null) {
            observer.onError(refusal.get());
            return true;
        }
        Status failure = failures.poll();
        if (failure == null) {
            return false;
        }
        observer.onError(failure.asRuntimeException());
        return true;
    }

    private DecisionResponse answer(DecisionRequest request) {
        return DecisionResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .setOutcome(Outcome.APPROVE)
                .setHoldId(name + "-hold-" + request.getBorrowerId())
                .setApprovedAmountMinor(request.getAmountMinor())
                .setRuleSetVersion(name)
                .build();
    }

    @Override
    public void decide(DecisionRequest request, StreamObserver<DecisionResponse> responses) {
        requestIds.add(request.getRequestId());
        borrowers.add(request.getBorrowerId());
        if (failed(responses)) {
            return;
        }
        responses.onNext(answer(request));
        responses.onCompleted();
    }

    @Override
    public StreamObserver<DecisionRequest> decideStream(StreamObserver<DecisionResponse> responses) {
        return new StreamObserver<>() {
            @Override
            public void onNext(DecisionRequest request) {
                requestIds.add(request.getRequestId());
                borrowers.add(request.getBorrowerId());
                responses.onNext(answer(request));
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }

    @Override
    public void confirm(ConfirmRequest request, StreamObserver<ConfirmResponse> responses) {
        requestIds.add(request.getRequestId());
        if (failed(responses)) {
            return;
        }
        responses.onNext(ConfirmResponse.newBuilder().setRequestId(request.getRequestId())
                .setHoldId(request.getHoldId()).build());
        responses.onCompleted();
    }

    @Override
    public void cancel(CancelRequest request, StreamObserver<CancelResponse> responses) {
        requestIds.add(request.getRequestId());
        if (failed(responses)) {
            return;
        }
        responses.onNext(CancelResponse.newBuilder().setRequestId(request.getRequestId())
                .setHoldId(request.getHoldId()).build());
        responses.onCompleted();
    }

    @Override
    public void repay(RepayRequest request, StreamObserver<RepayResponse> responses) {
        requestIds.add(request.getRequestId());
        borrowers.add(request.getBorrowerId());
        if (failed(responses)) {
            return;
        }
        responses.onNext(RepayResponse.newBuilder().setRequestId(request.getRequestId()).build());
        responses.onCompleted();
    }

    @Override
    public void getCreditLine(GetCreditLineRequest request, StreamObserver<CreditLine> responses) {
        lineReads.add(request);
        borrowers.add(request.getBorrowerId());
        if (failed(responses)) {
            return;
        }
        responses.onNext(CreditLine.newBuilder().setBorrowerId(request.getBorrowerId())
                .setProduct(request.getProduct()).setLineMinor(1_000_00).build());
        responses.onCompleted();
    }

    @Override
    public void apply(CreditApplication request, StreamObserver<CreditOffer> responses) {
        requestIds.add(request.getRequestId());
        borrowers.add(request.getBorrowerId());
        if (failed(responses)) {
            return;
        }
        responses.onNext(CreditOffer.newBuilder().setRequestId(request.getRequestId())
                .setBorrowerId(request.getBorrowerId()).setOutcome(Outcome.APPROVE).build());
        responses.onCompleted();
    }
}
