package dev.formica.engine.pipeline;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.config.EngineConfiguration;
import dev.formica.engine.errors.DomainError;
import dev.formica.engine.errors.Refused;
import dev.formica.v1.CancelResponse;
import dev.formica.v1.ConfirmResponse;
import dev.formica.v1.CreditLine;
import dev.formica.v1.DecisionRequest;
import dev.formica.v1.DecisionResponse;
import dev.formica.v1.Outcome;
import dev.formica.v1.Product;
import dev.formica.v1.RepayResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DecisionPipelineTest {
    @TempDir
    Path dir;
    PipelineFixture f;

    void start(EngineConfiguration.ShardMode mode) {
        f = new PipelineFixture(dir, mode);
        f.upsert("alice", Product.CONSUMER_CREDIT, 500_000);
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    @BeforeEach
    void noop() {
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldReserveHoldOnApproveAndTurnItIntoDrawnBalanceOnConfirm(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("r1", "alice", 329_900);
        assertEquals(Outcome.APPROVE, approved.getOutcome());
        assertEquals(329_900, approved.getApprovedAmountMinor());
        assertEquals(170_100, approved.getAvailableAfterMinor());
        assertEquals(PipelineFixture.START_MS + Duration.ofMinutes(15).toMillis(), approved.getHoldExpiresMs());
        assertTrue(approved.getServerNanos() > 0);
        CreditLine line = f.line("alice");
        assertEquals(329_900, line.getHeldMinor());
        assertEquals(0, line.getDrawnMinor());

        ConfirmResponse confirmed = f.confirm("c1", approved.getHoldId()).get();
        assertEquals(329_900, confirmed.getDrawnAmountMinor());
        assertEquals(0, confirmed.getLine().getHeldMinor());
        assertEquals(329_900, confirmed.getLine().getDrawnMinor());
        assertEquals(170_100, confirmed.getLine().getAvailableMinor());
        assertEquals(confirmed.getLine(), f.line("alice"));
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldDeclineWithReasonsAndReserveNothing(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse unknown = f.decide("r1", "nobody", 100);
        assertEquals(Outcome.DECLINE, unknown.getOutcome());
        assertEquals("NO_PROFILE", unknown.getReasons(0).getCode());

        DecisionResponse tooMuch = f.decide("r2", "alice", 500_001);
        assertEquals(Outcome.DECLINE, tooMuch.getOutcome());
        assertEquals("INSUFFICIENT_LINE", tooMuch.getReasons(0).getCode());
        assertEquals("available_minor=500000", tooMuch.getReasons(0).getValue());
        assertEquals("", tooMuch.getHoldId());

        f.state("alice").ledger().setFrozen("alice", Product.CONSUMER_CREDIT_VALUE, true, PipelineFixture.START_MS);
        DecisionResponse frozen = f.decide("r3", "alice", 100);
        assertEquals("LINE_FROZEN", frozen.getReasons(0).getCode());
        assertEquals(0, f.line("alice").getHeldMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldNotReserveTwiceForSameRequestId(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse first = f.decide("same", "alice", 100_000);
        DecisionResponse retry = f.decide("same", "alice", 100_000);
        assertFalse(first.getReplayed());
        assertTrue(retry.getReplayed());
        assertEquals(first.toBuilder().setReplayed(true).build(), retry);
        assertEquals(100_000, f.line("alice").getHeldMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldReplayAfterRestartFromThePersistedRecord(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse first = f.decide("r-restart", "alice", 120_000);
        ConfirmResponse confirmed = f.confirm("c-restart", first.getHoldId()).get();
        f.restart();
        DecisionResponse retry = f.decide("r-restart", "alice", 120_000);
        assertTrue(retry.getReplayed());
        assertEquals(first.getHoldId(), retry.getHoldId());
        ConfirmResponse confirmRetry = f.confirm("c-restart", first.getHoldId()).get();
        assertTrue(confirmRetry.getReplayed());
        assertEquals(confirmed.getLine(), confirmRetry.getLine());
        CreditLine line = f.line("alice");
        assertEquals(0, line.getHeldMinor());
        assertEquals(120_000, line.getDrawnMinor());
        DecisionResponse next = f.decide("r-next", "alice", 1);
        assertNotEquals(first.getHoldId(), next.getHoldId(), "hold ids never repeat across restarts");
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldReleaseExpiredHoldsOnTheInjectedClock(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("r1", "alice", 200_000);
        f.clock.advance(Duration.ofMinutes(15).toMillis() - 1);
        assertEquals(200_000, f.line("alice").getHeldMinor(), "not yet expired");
        f.clock.advance(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> f.line("alice").getHeldMinor() == 0);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> f.confirm("c1", approved.getHoldId()).get());
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("expired"));
        assertEquals(0, f.line("alice").getDrawnMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldExpireOnConfirmEvenBeforeTheTimerRuns(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("r1", "alice", 200_000);
        f.clock.advance(Duration.ofMinutes(16).toMillis());
        assertEquals(Status.Code.FAILED_PRECONDITION, f.confirm("c1", approved.getHoldId()).errorCode());
        assertEquals(0, f.line("alice").getHeldMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldReleaseOnCancelOnceAndRefuseConfirmAfterwards(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("r1", "alice", 50_000);
        CancelResponse cancelled = f.cancel("x1", approved.getHoldId()).get();
        assertEquals(50_000, cancelled.getReleasedAmountMinor());
        assertEquals(500_000, cancelled.getLine().getAvailableMinor());
        CancelResponse again = f.cancel("x2", approved.getHoldId()).get();
        assertEquals(0, again.getReleasedAmountMinor());
        assertEquals(Status.Code.FAILED_PRECONDITION, f.confirm("c1", approved.getHoldId()).errorCode());
        assertEquals(Status.Code.NOT_FOUND, f.confirm("c2", "h" + Long.toHexString(123)).errorCode());
        // the form of a hold id is the server's check (RequestValidationTest); to the pipeline it names no hold
        assertEquals(Status.Code.NOT_FOUND, f.confirm("c3", "not-a-hold").errorCode());
        assertEquals(0, f.line("alice").getHeldMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldRefuseCancelOfAConfirmedHold(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("r1", "alice", 50_000);
        f.confirm("c1", approved.getHoldId()).get();
        assertEquals(Status.Code.FAILED_PRECONDITION, f.cancel("x1", approved.getHoldId()).errorCode());
        assertEquals(50_000, f.line("alice").getDrawnMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldRepayDrawnBalanceAndRefuseRepayingMoreThanOwed(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("r1", "alice", 80_000);
        f.confirm("c1", approved.getHoldId()).get();
        String before = f.digest();
        assertEquals(Status.Code.FAILED_PRECONDITION, f.repay("p0", "alice", 80_001).errorCode());
        assertEquals(before, f.digest(), "a refused repayment changes nothing");
        RepayResponse repaid = f.repay("p1", "alice", 30_000).get();
        assertEquals(50_000, repaid.getLine().getDrawnMinor());
        assertTrue(f.repay("p1", "alice", 30_000).get().getReplayed());
        assertEquals(50_000, f.line("alice").getDrawnMinor());
        assertEquals(Status.Code.NOT_FOUND, f.repay("p2", "nobody", 1).errorCode());
    }

    /**
     * GetDecision used to read the shard's idempotency records on the caller's thread, through the key buffer the
     * shard writes with: a lookup racing a Decide could store the Decide's record under the looked-up key. Now the
     * shard reads them. Lookups of absent ids run beside a stream of decisions, and every decision is then found
     * under its own id with its own hold.
     */
    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldAnswerGetDecisionBesideDecisionsWithoutMixingRecords(EngineConfiguration.ShardMode mode)
            throws Exception {
        start(mode);
        int borrowers = 20;
        int decisions = 2_000;
        for (int b = 0; b < borrowers; b++) {
            f.upsert("g" + b, Product.CONSUMER_CREDIT, 1_000_000_000L);
        }
        AtomicBoolean deciding = new AtomicBoolean(true);
        AtomicInteger lookups = new AtomicInteger();
        Thread reader = new Thread(() -> {
            for (int j = 0; deciding.get() || j < 100; j++) {
                Refused absent = assertThrows(Refused.class,
                        () -> f.pipeline.storedDecision("absent-" + lookups.get(), "g" + lookups.get() % borrowers));
                assertEquals(DomainError.DECISION_NOT_FOUND, absent.error());
                lookups.incrementAndGet();
            }
        });
        List<FutureSink<DecisionResponse>> answers = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        reader.setUncaughtExceptionHandler((t, e) -> failure.set(e));
        reader.start();
        List<DecisionResponse> decided = new ArrayList<>();
        for (int i = 0; i < decisions; i++) {
            answers.add(f.decideAsync("d" + i, "g" + i % borrowers, 100 + i));
            if (answers.size() == 200 || i == decisions - 1) { // within the shards' queues
                for (FutureSink<DecisionResponse> a : answers) {
                    decided.add(a.get());
                }
                answers.clear();
            }
        }
        deciding.set(false);
        reader.join();
        assertEquals(null, failure.get());
        assertTrue(lookups.get() >= 100);
        for (int i = 0; i < decisions; i++) {
            DecisionResponse stored = f.pipeline.storedDecision("d" + i, "g" + i % borrowers);
            assertTrue(stored.getReplayed());
            assertEquals(decided.get(i).getHoldId(), stored.getHoldId(), "d" + i);
            assertEquals(100 + i, stored.getApprovedAmountMinor(), "d" + i);
        }
    }

    /**
     * Issue 19, item 9, as found: Decide{r1, alice, 3,299.00} then Decide{r1, bob, 10.00} returned alice's hold to
     * bob's caller, and GetDecision{r1, bob} returned alice's decision. Now a request id is bob's own, and the
     * same id with another amount is refused and changes nothing.
     */
    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldKeepRequestIdsPerBorrowerAndRefuseAReuseWithOtherFields(EngineConfiguration.ShardMode mode) {
        start(mode);
        f.upsert("bob", Product.CONSUMER_CREDIT, 500_000);
        DecisionResponse alices = f.decide("r1", "alice", 329_900);
        assertEquals(Outcome.APPROVE, alices.getOutcome());
        DecisionResponse bobs = f.decide("r1", "bob", 1_000);
        assertFalse(bobs.getReplayed(), "bob's r1 is bob's own request");
        assertEquals(Outcome.APPROVE, bobs.getOutcome());
        assertNotEquals(alices.getHoldId(), bobs.getHoldId(), "bob never gets alice's hold");
        assertEquals(1_000, bobs.getApprovedAmountMinor());
        assertEquals(DomainError.DECISION_NOT_FOUND,
                assertThrows(Refused.class, () -> f.pipeline.storedDecision("r2", "bob")).error());
        assertEquals(alices.getHoldId(), f.pipeline.storedDecision("r1", "alice").getHoldId());
        assertEquals(bobs.getHoldId(), f.pipeline.storedDecision("r1", "bob").getHoldId());

        String before = f.digest();
        StatusRuntimeException reused = assertThrows(StatusRuntimeException.class,
                () -> f.decide("r1", "alice", 999));
        assertEquals(Status.Code.INVALID_ARGUMENT, reused.getStatus().getCode());
        assertTrue(reused.getStatus().getDescription().startsWith("request_id:"), reused.getStatus().toString());
        assertEquals(before, f.digest(), "a refused reuse changes nothing");
        assertTrue(f.decide("r1", "alice", 329_900).getReplayed(), "the same request is still a retry");
        assertEquals(329_900, f.line("alice").getHeldMinor());
        assertEquals(1_000, f.line("bob").getHeldMinor());
    }

    /**
     * Issue 19 (clients/python/adversary.py): an empty currency means the line's, so a retry that names it where the
     * first call left it empty, or the reverse, is the same request: answered from its record, not refused as a
     * reused id (the caller could not learn the answer, and a new id would hold the amount twice).
     */
    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldReplayARetryThatNamesTheDefaultCurrencyOrLeavesItOut(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse implicit = f.decide("r1", "alice", 10_000);
        DecisionResponse named = decide(PipelineFixture.decision("r1", "alice", 10_000).toBuilder()
                .setCurrency("CNY").build());
        assertTrue(named.getReplayed(), "the line's currency named is the same request");
        assertEquals(implicit.getHoldId(), named.getHoldId());

        DecisionResponse first = decide(PipelineFixture.decision("r2", "alice", 20_000).toBuilder()
                .setCurrency("CNY").build());
        DecisionResponse retry = f.decide("r2", "alice", 20_000);
        assertTrue(retry.getReplayed(), "the currency left out is the same request");
        assertEquals(first.getHoldId(), retry.getHoldId());
        assertEquals(30_000, f.line("alice").getHeldMinor(), "each amount held once");

        String before = f.digest();
        StatusRuntimeException other = assertThrows(StatusRuntimeException.class,
                () -> decide(PipelineFixture.decision("r1", "alice", 10_001).toBuilder().setCurrency("CNY").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, other.getStatus().getCode());
        assertTrue(other.getStatus().getDescription().startsWith("request_id:"), other.getStatus().toString());
        assertEquals(before, f.digest(), "another amount is still another request, refused, nothing changed");
    }

    private DecisionResponse decide(DecisionRequest request) {
        FutureSink<DecisionResponse> sink = new FutureSink<>();
        f.pipeline.decide(request, sink, System.nanoTime(), null);
        return sink.get();
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldRejectARequestIdReusedForAnotherKindOfCall(EngineConfiguration.ShardMode mode) {
        start(mode);
        DecisionResponse approved = f.decide("shared-id", "alice", 10_000);
        assertEquals(Status.Code.INVALID_ARGUMENT, f.confirm("shared-id", approved.getHoldId()).errorCode());
        assertEquals(10_000, f.line("alice").getHeldMinor());
    }

    @ParameterizedTest
    @EnumSource(EngineConfiguration.ShardMode.class)
    void shouldKeepLinesOnProfileUpdateAndReportCreation(EngineConfiguration.ShardMode mode) {
        start(mode);
        f.decide("r1", "alice", 10_000);
        assertFalse(f.upsert("alice", Product.CONSUMER_CREDIT, 700_000), "existing profile is updated");
        CreditLine line = f.line("alice");
        assertEquals(700_000, line.getLineMinor());
        assertEquals(10_000, line.getHeldMinor(), "a profile write never touches held balances");
        assertTrue(f.upsert("bob", Product.CONSUMER_CREDIT, 1));
    }
}
